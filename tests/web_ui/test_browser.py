"""The web UI in Debian's chromium (Playwright, sync API) against a running ``serve``
subprocess and the emulator: sign in, add an account (wrong key, then the right one), create an
issues dataset with a project picked in the picker, run it, see its rows and run, edit its
schedule, delete it. Saves a screenshot of every page to ``artifacts/screenshots/``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator
from backlog_connector.settings import Settings

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
PASSWORD = "web-ui-test-password"
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[tuple[str, Path, list[str]]]:
    """``backlog-connector serve --port 0`` in a fresh data home; yields (base URL, home, the
    lines it printed so far)."""
    home = tmp_path / "home"
    env = {
        **os.environ,
        "BACKLOG_CONNECTOR_HOME": str(home),
        "BACKLOG_CONNECTOR_ADMIN_PASSWORD": PASSWORD,
        "BACKLOG_CONNECTOR_API_TOKEN": "web-ui-test-token",
    }
    exe = Path(sys.executable).with_name("backlog-connector")
    proc = subprocess.Popen(
        [str(exe), "serve", "--port", "0", "--log-level", "warning"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    url = ""
    lines: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)
        match = re.search(r"Serving on (http://\S+)", line)
        if match:
            url = match.group(1)
            break
    # keep draining the output so the server never blocks on a full pipe
    threading.Thread(target=lambda: [lines.append(x) for x in proc.stdout or ()],
                     daemon=True).start()  # fmt: skip
    try:
        assert url, "serve did not start:\n" + "".join(lines)
        yield url, home, lines
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert PASSWORD not in "".join(lines)


@pytest.fixture
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: scripts/test.sh installs it (apt-get install "
                    "chromium)")  # fmt: skip
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_browser_journey(
    serve: tuple[str, Path, list[str]], browser: Browser, emulator: Emulator
) -> None:
    url, home, output = serve
    context = browser.new_context(base_url=url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    script_errors: list[str] = []
    page.on("pageerror", lambda exc: script_errors.append(str(exc)))

    # sign in
    page.goto("/datasets")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    shot(page, "01-sign-in")
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/datasets$"))
    expect(page.locator("h2")).to_have_text("No datasets yet")
    shot(page, "02-datasets-empty")

    # new dataset, step 1: add an account, first with a wrong key
    page.click("text=New dataset")
    expect(page.locator("h1")).to_have_text("New dataset")
    page.check("input[name=account][value=__new__]")
    page.fill("#f-new_name", "emulator")
    page.click("summary")
    page.fill("#f-base_url", emulator.base_url)
    page.fill("#f-api_key", "not-the-key")
    page.click("button[value=next]")
    error = page.locator("#api_key-error")
    expect(error).to_contain_text("Authentication failure")
    # the message sits right under the key field, inside the same field box
    expect(page.locator(".field.has-error", has=page.locator("#f-api_key"))).to_have_count(1)
    shot(page, "03-wizard-credentials-wrong-key")
    page.fill("#f-api_key", emulator.api_keys["admin"])
    page.click("button[value=next]")

    # step 2: the report menu; choosing Issues shows its options and the project picker
    expect(page.locator(".sub")).to_contain_text("Step 2 of 5")
    page.check("input[name=report][value=issues]")  # auto-submits (app.js)
    picker = page.locator("[data-project-picker]")
    expect(picker).to_be_visible()
    keys = picker.locator("input[type=checkbox]")
    assert keys.count() >= 2
    first_key = keys.first.get_attribute("value")
    keys.first.check()
    shot(page, "04-wizard-data-selection")
    page.click("button[value=next]")

    # step 3: scheduling (keep manual), step 4: update method (merge recommended)
    expect(page.locator(".sub")).to_contain_text("Step 3 of 5")
    shot(page, "05-wizard-scheduling")
    page.click("button[value=next]")
    expect(page.locator(".sub")).to_contain_text("Step 4 of 5")
    expect(page.locator("input[name=update_mode][value=merge]")).to_be_checked()
    shot(page, "06-wizard-update-method")
    page.click("button[value=next]")

    # step 5: name and describe, then create
    expect(page.locator(".sub")).to_contain_text("Step 5 of 5")
    page.fill("#f-name", "Backlog Issues")
    page.fill("#f-description", "課題の一覧 — issues of one project")
    shot(page, "07-wizard-name")
    page.click("button[value=create]")
    expect(page.locator("h1")).to_contain_text("Backlog Issues")

    # run it now and follow the progress until the page shows the rows
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if re.search(r"/runs/\d+\.json", r.url)
            else None)  # fmt: skip
    page.click("text=Run now")
    expect(page.locator(".history .badge.succeeded").first).to_be_visible(timeout=60_000)
    preview = page.locator("table.preview tbody tr")
    expect(preview.first).to_be_visible()
    assert preview.count() > 0
    expect(page.locator("table.preview")).to_contain_text(f"{first_key}-")
    expect(page.locator(".chart svg rect").first).to_be_visible()
    assert polls, "the page did not follow the run's progress"
    expect(page.locator("#run-progress")).to_be_hidden()  # reloaded once the run ended
    shot(page, "08-dataset-page")

    # edit the schedule: daily at 07:30
    page.click("text=Edit")
    page.check("input[name=schedule_mode][value=basic]")
    page.check("input[name=kind][value=daily]")
    page.fill("#f-at_time", "07:30")
    shot(page, "09-edit")
    page.click("text=Save changes")
    expect(page.locator(".flash.success")).to_contain_text("Saved")
    expect(page.locator("dl.kv")).to_contain_text("daily 07:30")

    # the list and the accounts
    page.click("nav >> text=Datasets")
    expect(page.locator("table.datasets")).to_contain_text("Backlog Issues")
    expect(page.locator("table.datasets")).to_contain_text("daily 07:30")
    shot(page, "10-datasets-list")
    page.click("nav >> text=Accounts")
    expect(page.locator("section.card")).to_contain_text("Backlog Issues")
    assert emulator.api_keys["admin"] not in page.content()
    shot(page, "11-accounts")

    # delete the dataset, after confirming
    page.goto("/datasets/Backlog%20Issues")
    page.click(".actions >> text=Delete")
    shot(page, "12-delete-confirm")
    page.click("text=Delete dataset")
    expect(page.locator(".flash.success")).to_contain_text("deleted")
    expect(page.locator("h2")).to_have_text("No datasets yet")

    context.close()
    assert script_errors == []
    assert emulator.api_keys["admin"] not in "".join(output)
    with ControlPlane.open(settings=Settings(home=home)) as cp:
        assert cp.list_datasets() == []
        assert [a.name for a in cp.list_accounts()] == ["emulator"]
