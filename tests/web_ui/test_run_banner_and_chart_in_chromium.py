"""The dataset page's run banner in Debian's chromium against a running ``serve``: a run of
2,000 issues on the emulator's free plan (its search budget runs out mid-run) shows done of
total with a percentage, rows per second, an ETA and "waiting N s for the search rate
budget"; cancelled, it ends and the history chart labels its x axis with dates instead of
"oldest / latest". Screenshots go to ``artifacts/screenshots/run-banner-*.png``."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from test_browser import PASSWORD, browser, serve, shot  # noqa: F401 - fixtures

from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator

pytestmark = pytest.mark.browser


def test_run_banner_shows_total_eta_and_budget_waits_then_the_chart_has_dates(
    serve: tuple[str, Path, list[str]],  # noqa: F811
    browser: Browser,  # noqa: F811
    make_emulator: Callable[..., Emulator],
) -> None:
    url, home, _output = serve
    emu = make_emulator(plan="free", minute_seconds=20, issues=2000, projects=1)
    with ControlPlane.open(home) as cp:
        cp.add_account("free", base_url=emu.base_url, api_key=emu.api_keys["admin"])
        cp.create_dataset("Issues", account="free", report="issues")
    context = browser.new_context(base_url=url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/datasets/Issues")
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/datasets/Issues$"))

    page.click("form[data-run-form] button")
    expect(page).to_have_url(re.compile(r"/datasets/Issues\?run=\d+"))
    banner = page.locator("#run-progress")
    expect(banner).to_be_visible()
    expect(banner.locator("[data-run-detail]")).to_contain_text(
        re.compile(r"[\d,]+ / 2,000 issues \(\d+%\)")
    )
    expect(banner.locator("[data-run-figures]")).to_contain_text("rows/s")
    expect(banner.locator("[data-run-figures]")).to_contain_text(re.compile(r"ETA \d+"))
    waiting = banner.locator("[data-run-waiting]")
    expect(waiting).to_have_text(
        re.compile(r"waiting \d+ s for the search rate budget"), timeout=60_000
    )
    width = banner.locator("[data-run-bar] span").evaluate("e => e.style.width")
    assert re.fullmatch(r"\d+%", width), width  # a bar of the share done, not a slider
    shot(page, "run-banner-01-waiting")

    banner.locator("form[data-cancel-form] button").click()
    expect(page).to_have_url(re.compile(r"/datasets/Issues$"), timeout=60_000)
    expect(page.locator("table.history tbody tr").first).to_contain_text("cancelled")
    axis = page.locator(".chart svg .x-axis")
    today = datetime.now(UTC).strftime("%m-%d")
    expect(axis).to_contain_text(today)
    expect(page.locator(".chart svg")).not_to_contain_text("oldest")
    expect(page.locator("table.history thead")).to_contain_text("Main rows")
    expect(page.locator("table.history thead")).to_contain_text("Child rows")
    shot(page, "run-banner-02-history-chart")
    assert errors == []
