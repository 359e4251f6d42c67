"""The Insights page in Debian's chromium against a running ``serve`` and the emulator: it
offers to create the missing insight datasets, creates and runs them, then draws the four
charts from them; in English on a desktop, in Japanese (Accept-Language) at 390 px. Saves
screenshots to ``artifacts/screenshots/insights-*.png``."""

from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from test_browser import PASSWORD, browser, serve, shot  # noqa: F401 - fixtures

from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator

pytestmark = pytest.mark.browser


def _sign_in(page: Page) -> None:
    page.goto("/insights")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/insights$"))


def _wait_for_runs(home: Path, names: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with ControlPlane.open(home) as cp:
            done = [d for d in cp.list_datasets() if d.rows is not None]
            failed = [
                d
                for d in cp.list_datasets()
                if d.last_run is not None and d.last_run.status == "failed"
            ]
        assert not failed, [d.last_run.error for d in failed if d.last_run]
        if len(done) == names:
            return
        time.sleep(0.5)
    pytest.fail("the insight datasets did not finish their first runs")


def test_insights_page_creates_its_datasets_and_draws_the_charts(
    serve: tuple[str, Path, list[str]],  # noqa: F811
    browser: Browser,  # noqa: F811
    emulator: Emulator,
) -> None:
    url, home, _output = serve
    with ControlPlane.open(home) as cp:
        cp.add_account("acme", base_url=emulator.base_url, api_key=emulator.api_keys["admin"])
    context = browser.new_context(
        base_url=url, viewport={"width": 1280, "height": 900}, locale="en-US"
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in(page)

    # nothing to read yet: the page offers to create the three datasets
    missing = page.locator("#insights-missing")
    expect(missing).to_contain_text("cycle_times, cumulative_flow, throughput")
    shot(page, "insights-01-missing")
    missing.locator("button[type=submit]").click()
    expect(page.locator(".flash.success")).to_contain_text("acme_cycle_times")
    _wait_for_runs(home, 3)
    page.goto("/insights?account=acme")
    expect(page.locator("#insights-missing")).to_have_count(0)

    # four charts, each drawn from data
    expect(page.locator("h1")).to_have_text("Insights")
    project = page.locator("select[name=project] option:checked").inner_text()
    sizes = Counter(i.project_id for i in emulator.state.issues.values())
    busiest = emulator.state.projects[sizes.most_common(1)[0][0]].key
    assert project == busiest  # the default: the project with the most issues
    assert page.locator("#chart-cfd svg polygon").count() >= 3  # one area per status in use
    assert page.locator("#chart-cycle svg rect").count() == 20  # the histogram's bins
    expect(page.locator("#chart-cycle svg")).to_contain_text("median")
    expect(page.locator("#chart-cycle svg")).to_contain_text("85th pct.")
    assert page.locator("#chart-throughput svg rect").count() > 100  # two bars a week
    expect(page.locator("#chart-throughput svg")).to_contain_text("resolved")
    assert page.locator("#chart-assignees svg rect").count() >= 2
    expect(page.locator("#chart-cycle p.muted").first).to_contain_text("closed issues")
    shot(page, "insights-02-desktop-en")

    # another project through the picker
    second = next(p.key for p in emulator.state.projects.values() if p.key != busiest)
    page.select_option("select[name=project]", second)
    page.click("form.filters button[type=submit]")
    expect(page).to_have_url(re.compile(rf"project={second}"))
    assert page.locator("#chart-cfd svg polygon").count() >= 3

    # a phone in Japanese: the labels follow Accept-Language, nothing is wider than the screen
    phone = browser.new_context(
        base_url=url, viewport={"width": 390, "height": 844}, device_scale_factor=2,
        locale="ja-JP", extra_http_headers={"Accept-Language": "ja,en;q=0.5"},
    )  # fmt: skip
    mobile = phone.new_page()
    mobile.set_default_timeout(20_000)
    _sign_in(mobile)
    mobile.goto("/insights?account=acme")
    expect(mobile.locator("h1")).to_have_text("インサイト")
    assert mobile.locator("html").get_attribute("lang") == "ja"
    expect(mobile.locator("#chart-cycle svg")).to_contain_text("中央値")
    expect(mobile.locator("#chart-throughput svg")).to_contain_text("未完了")
    expect(mobile.locator("#chart-cfd h2")).to_have_text("累積フロー図")
    shot(mobile, "insights-03-phone-ja")
    scroll_width = mobile.evaluate("document.documentElement.scrollWidth")
    wide = mobile.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right"
        " > 391).map(e => e.tagName + '.' + e.className + '#' + e.id).slice(0, 8)"
    )
    assert scroll_width <= 390, (scroll_width, wide)
    for chart in ("cfd", "cycle", "throughput", "assignees"):
        box = mobile.locator(f"#chart-{chart} svg").bounding_box()
        assert box is not None
        assert box["width"] <= 390
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 390
    # every chart's text is drawn at 10 CSS px or more on the phone
    smallest = mobile.evaluate(
        "Math.min(...[...document.querySelectorAll('.chart svg')].map(svg => {"
        " const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;"
        " return Math.min(...[...svg.querySelectorAll('text')].map("
        "   t => parseFloat(t.getAttribute('font-size')) * scale)); }))"
    )
    assert smallest >= 10, smallest
    assert not errors, errors
