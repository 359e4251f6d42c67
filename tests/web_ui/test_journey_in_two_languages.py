"""The whole web journey in Debian's chromium, in Japanese and in English, on a desktop (1280 px)
and on a phone (390 px): sign in, add an account against the emulator (first at an address where
nothing answers: a friendly message), create a dataset with the wizard, run it, see its page and
history, then the datasets, insights and destinations pages, delete what it made, sign out.

On every page: no horizontal overflow of the page, the key elements visible, Japanese text in
Japanese. One ``serve`` and one chromium for the four journeys; screenshots go to
``$BACKLOG_CONNECTOR_SCREENSHOTS`` (every page; by default a few pages into a temporary
directory), named ``journey-<lang>-<width>-<page>.png``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from test_browser import CHROMIUM, CHROMIUM_ARGS

from backlog_connector.emulator import Emulator

pytestmark = pytest.mark.browser

PASSWORD = "journey-test-password"
#: where screenshots go: every page's when the variable names a directory, else a few pages'
#: in a temporary directory (a full-page screenshot costs about half a second)
ALL_SHOTS = bool(os.environ.get("BACKLOG_CONNECTOR_SCREENSHOTS"))
SHOTS = Path(os.environ.get("BACKLOG_CONNECTOR_SCREENSHOTS") or tempfile.mkdtemp(prefix="shots-"))
FEW_SHOTS = ("02-datasets-empty", "07-dataset", "08-datasets")
#: a loopback port where nothing listens (the friendly connection error)
DEAD_URL = "http://127.0.0.1:9"


@dataclass(frozen=True)
class Words:
    """What the pages say in one language."""

    lang: str
    accept: str
    sign_in: str
    no_datasets: str
    add_account: str
    saved: str
    not_connected: str
    new_dataset: str
    step2: str
    issues_title: str
    run_now: str
    history: str
    insights: str
    destinations: str
    no_postgres: str
    sign_out: str
    deleted: str


EN = Words(
    "en", "en-US,en;q=0.9", "Sign in", "No datasets yet", "Add an account", "verified and saved",
    "Could not connect to 127.0.0.1:9", "New dataset", "Step 2 of 5", "Issues", "Run now",
    "Run history", "Insights", "Destinations", "No PostgreSQL destination yet", "Sign out",
    "deleted",
)  # fmt: skip
JA = Words(
    "ja", "ja,en-US;q=0.8,en;q=0.5", "ログイン", "データセットはまだありません",
    "アカウントを追加", "を確認して保存しました", "127.0.0.1:9 に接続できませんでした",
    "新しいデータセット", "ステップ 2 / 5", "課題一覧の取得", "今すぐ実行", "実行履歴",
    "インサイト", "保存先", "PostgreSQL の保存先はまだありません", "ログアウト", "を削除しました",
)  # fmt: skip


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    """``backlog-connector serve --port 0`` in a fresh data home (retry waits off, so a
    refused connection fails at once); yields its base URL."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "BACKLOG_CONNECTOR_HOME": str(Path(tmp) / "home"),
            "BACKLOG_CONNECTOR_ADMIN_PASSWORD": PASSWORD,
            "BACKLOG_CONNECTOR_API_TOKEN": "journey-test-token",
            "BACKLOG_CONNECTOR_TESTING_ZERO_WAITS": "1",
        }
        exe = Path(sys.executable).with_name("backlog-connector")
        proc = subprocess.Popen(
            [str(exe), "serve", "--port", "0", "--log-level", "warning"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        lines: list[str] = []
        url = ""
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            match = re.search(r"Serving on (http://\S+)", line)
            if match:
                url = match.group(1)
                break
        threading.Thread(target=lambda: [lines.append(x) for x in proc.stdout or ()],
                         daemon=True).start()  # fmt: skip
        try:
            assert url, "serve did not start:\n" + "".join(lines)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        output = "".join(lines)
        assert PASSWORD not in output
        assert "Errno 111" in output or "ConnectError" in output  # the raw detail: in the log


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: scripts/test.sh installs it")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def _fits(page: Page, where: str) -> None:
    """The page is no wider than the window (nothing scrolls sideways but inner containers)."""
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right"
        " > window.innerWidth + 1 && !e.closest('.table-wrap, .runs-chart'))"
        ".map(e => e.tagName + '.' + e.className).slice(0, 6)"
    )
    assert scroll <= inner, (where, scroll, inner, wide)


def _inside(page: Page, selector: str) -> None:
    """Every element of ``selector`` is visible and within the window's width."""
    width = page.evaluate("window.innerWidth")
    items = page.locator(selector)
    assert items.count() > 0, selector
    for i in range(items.count()):
        expect(items.nth(i)).to_be_visible()
        box = items.nth(i).bounding_box()
        assert box is not None
        assert box["x"] >= 0, (selector, box)
        assert box["x"] + box["width"] <= width + 0.5, (selector, box, width)


def _page(page: Page, words: Words, width: int, name: str) -> None:
    """The checks of every page: its language, its width; then a screenshot."""
    assert page.locator("html").get_attribute("lang") == words.lang
    _fits(page, name)
    _inside(page, ".topbar .brand")
    if ALL_SHOTS or name in FEW_SHOTS:
        path = SHOTS / f"journey-{words.lang}-{width}-{name}.png"
        page.screenshot(path=str(path), full_page=True)


def _journey(chromium: Browser, url: str, emulator: Emulator, words: Words, width: int) -> None:
    context = chromium.new_context(
        base_url=url, viewport={"width": width, "height": 900 if width > 600 else 844},
        locale="ja-JP" if words.lang == "ja" else "en-US",
        extra_http_headers={"Accept-Language": words.accept},
    )  # fmt: skip
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    account, dataset = f"emu-{words.lang}-{width}", f"Issues {words.lang} {width}"

    # sign in
    page.goto("/datasets")
    expect(page.locator("h1")).to_have_text(words.sign_in)
    _page(page, words, width, "01-sign-in")
    page.fill("#f-password", PASSWORD)
    page.click("form.card button[type=submit]")

    # the empty datasets page offers the web actions, not a command
    expect(page.locator(".empty h2")).to_have_text(words.no_datasets)
    empty = page.locator(".card.empty")
    expect(empty.locator('a[href="/datasets/new"]')).to_be_visible()
    expect(empty.locator('a[href="/accounts/new"]')).to_be_visible()
    assert "backlog-connector " not in empty.inner_text()
    _inside(page, ".topbar form button")  # "Sign out" is not clipped
    expect(page.locator(".topbar form button")).to_have_text(words.sign_out)
    _page(page, words, width, "02-datasets-empty")

    # add an account: where nothing answers first (told so, no raw detail), then the emulator
    empty.locator('a[href="/accounts/new"]').click()
    expect(page.locator("h1")).to_have_text(words.add_account)
    page.fill("#f-new_name", account)
    page.click("details > summary")
    page.fill("#f-base_url", DEAD_URL)
    page.fill("#f-api_key", "some-key")
    page.click("form.card button[type=submit]")
    problem = page.locator(".field .error, .form-error").first
    expect(problem).to_contain_text(words.not_connected)
    shown = page.content()
    assert "Errno" not in shown
    assert "ConnectError" not in shown
    _page(page, words, width, "03-account-unreachable")
    page.fill("#f-base_url", emulator.base_url)
    page.fill("#f-api_key", emulator.api_keys["admin"])
    page.click("form.card button[type=submit]")
    expect(page.locator(".flash.success")).to_contain_text(words.saved)
    _page(page, words, width, "04-accounts")

    # the wizard, from the account's card
    page.locator(f"#account-{account} a[href^='/datasets/new']").click()
    expect(page.locator("h1")).to_have_text(words.new_dataset)
    page.check(f"input[name=account][value='{account}']")
    page.click("button[value=next]")
    expect(page.locator(".page-head .sub")).to_contain_text(words.step2)
    expect(page.locator(".report-list")).to_contain_text(words.issues_title)
    page.check("input[name=report][value=issues]")  # auto-submits (app.js)
    picker = page.locator("[data-project-picker] input[type=checkbox]")
    expect(picker.first).to_be_visible()
    key = picker.first.get_attribute("value")
    picker.first.check()
    _page(page, words, width, "05-wizard-data")
    for step in (3, 4, 5):
        page.click("button[value=next]")
        expect(page.locator(".page-head .sub")).to_contain_text(words.step2.replace("2", str(step)))
        _fits(page, f"wizard step {step}")
    page.fill("#f-name", dataset)
    _page(page, words, width, "06-wizard-name")
    page.click("button[value=create]")
    expect(page.locator("h1")).to_contain_text(dataset)

    # run it; the page follows the run, then shows its history, chart and rows
    page.click(f"form[data-run-form] button >> text={words.run_now}")
    expect(page.locator(".history .badge.succeeded").first).to_be_visible(timeout=60_000)
    expect(page.locator("section.card h2").filter(has_text=words.history)).to_be_visible()
    expect(page.locator("table.preview")).to_contain_text(f"{key}-")
    expect(page.locator(".runs-chart svg").first).to_be_visible()
    _inside(page, "table.history tbody tr:first-child td:not(.blank)")
    if width < 600:  # the chart's labels stay readable: 10 CSS px or more
        smallest = page.evaluate(
            "(() => { const svg = document.querySelector('.runs-chart svg');"
            " const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;"
            " return Math.min(...[...svg.querySelectorAll('text')].map("
            "   t => parseFloat(getComputedStyle(t).fontSize) * scale)); })()"
        )
        assert smallest >= 10, smallest
    _page(page, words, width, "07-dataset")

    page.click(".page-head .actions a[href$='/edit']")
    expect(page.locator("form.card button[type=submit]")).to_be_visible()
    _page(page, words, width, "07-edit")
    page.go_back()

    # the list: the row and its cells on the screen
    page.click("nav >> a[href='/datasets']")
    expect(page.locator("table.datasets")).to_contain_text(dataset)
    expect(page.locator("table.datasets")).to_contain_text(words.issues_title)
    _inside(page, "table.datasets tbody tr:first-child td")
    _page(page, words, width, "08-datasets")

    # insights (the offer to create its datasets) and destinations (the offer to add one)
    page.click("nav >> a[href='/insights']")
    expect(page.locator("h1")).to_have_text(words.insights)
    expect(page.locator("#insights-missing button")).to_be_visible()
    _page(page, words, width, "09-insights")
    page.click("nav >> a[href='/destinations']")
    expect(page.locator("h1")).to_have_text(words.destinations)
    expect(page.locator("#no-postgres h2")).to_have_text(words.no_postgres)
    expect(page.locator('#no-postgres a[href="/destinations/new"]')).to_be_visible()
    _page(page, words, width, "10-destinations")

    # clean up through the pages, so the next journey starts empty, and sign out
    page.goto(f"/datasets/{dataset.replace(' ', '%20')}/delete")
    page.click("button.danger")
    expect(page.locator(".flash.success")).to_contain_text(words.deleted)
    page.goto(f"/accounts/{account}/remove")
    page.click("button.danger")
    expect(page.locator(".flash.success")).to_contain_text(account)
    page.click(".topbar form button")
    expect(page.locator("h1")).to_have_text(words.sign_in)
    assert not errors, errors
    context.close()


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("words", [JA, EN], ids=["ja", "en"])
def test_the_journey_in_each_language_and_width(
    chromium: Browser, served: str, emulator: Emulator, words: Words, width: int
) -> None:
    _journey(chromium, served, emulator, words, width)


def test_the_language_switch_overrides_the_browser(chromium: Browser, served: str) -> None:
    context = chromium.new_context(base_url=served, extra_http_headers={"Accept-Language": "en"})
    page = context.new_page()
    page.goto("/login")
    expect(page.locator("h1")).to_have_text("Sign in")
    page.click(".lang-switch a[hreflang=ja]")
    expect(page.locator("h1")).to_have_text("ログイン")
    assert page.locator("html").get_attribute("lang") == "ja"
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/login")  # the cookie keeps it
    expect(page.locator("button[type=submit]")).to_have_text("ログイン")
    page.click(".lang-switch a[hreflang=en]")
    expect(page.locator("h1")).to_have_text("Sign in")
    context.close()
