"""In Debian's chromium against a running ``serve``: add a PostgreSQL destination on its page,
then create a dataset through the wizard with that destination picked on the last step; its run
lands the rows in PostgreSQL and the pages show the destination, never the password."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from test_browser import PASSWORD, browser, serve, shot  # noqa: F401 (fixtures)

from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator
from datasets.pg_destination import PgDatabase, pg_database, secret_forms

pytestmark = pytest.mark.browser


@pytest.fixture
def pg() -> Iterator[PgDatabase]:
    with pg_database() as db:
        yield db


def test_wizard_creates_a_dataset_in_postgresql(
    serve: tuple[str, Path, list[str]],  # noqa: F811
    browser: Browser,  # noqa: F811
    emulator: Emulator,
    pg: PgDatabase,
) -> None:
    url, home, _output = serve
    with ControlPlane.open(home) as plane:  # the account is not what this test is about
        plane.add_account("emu", base_url=emulator.base_url, api_key=emulator.api_keys["admin"])
    page = browser.new_context(base_url=url, viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(20_000)
    page.goto("/destinations/new")
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")

    # the destination page: add, with the password in its own field
    expect(page.locator("h1")).to_contain_text("Add a PostgreSQL destination")
    page.fill("#f-name", "analytics")
    page.fill("#f-url", pg.url(password=None))
    page.fill("#f-password", pg.password)
    page.click("text=Check and save")
    expect(page.locator(".flash.success")).to_contain_text("analytics")
    expect(page.locator("#destination-analytics")).to_contain_text(pg.database)
    shot(page, "20-destinations")

    # the wizard: account, users report, manual, replace; the destination on step 5
    page.goto("/datasets/new")
    page.check("input[name=account][value=emu]")
    page.click("button[value=next]")
    page.check("input[name=report][value=users]")
    expect(page.locator(".sub")).to_contain_text("Step 2 of 5")
    page.click("button[value=next]")
    expect(page.locator(".sub")).to_contain_text("Step 3 of 5")
    page.click("button[value=next]")
    expect(page.locator(".sub")).to_contain_text("Step 4 of 5")
    page.click("button[value=next]")
    expect(page.locator(".sub")).to_contain_text("Step 5 of 5")
    page.fill("#f-name", "People")
    page.select_option("#f-destination", "analytics")
    shot(page, "21-wizard-destination")
    page.click("button[value=create]")
    expect(page.locator("h1")).to_contain_text("People")
    expect(page.locator(".page-head .sub")).to_contain_text("analytics")

    page.click("text=Run now")
    expect(page.locator(".history .badge.succeeded").first).to_be_visible(timeout=60_000)
    expect(page.locator("table.preview tbody tr").first).to_be_visible()
    rows = pg.scalar("select count(*) from public.people")
    assert isinstance(rows, int)
    assert rows > 0
    page.goto("/datasets")
    expect(page.locator("table.datasets")).to_contain_text("analytics")
    expect(page.locator("table.datasets")).to_contain_text("People")
    page.goto("/destinations")
    expect(page.locator("#destination-analytics")).to_contain_text("People")
    for form in secret_forms(pg.password):
        assert form not in page.content()
