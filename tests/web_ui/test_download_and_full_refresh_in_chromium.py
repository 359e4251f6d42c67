"""In Debian's chromium against a running ``serve``: the dataset page's "Download CSV" gives the
table as CSV from the DuckDB warehouse and from a PostgreSQL destination, and "Full refresh"
starts a run that reads every row again where "Run now" reads only what changed."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from test_browser import PASSWORD, browser, serve, shot  # noqa: F401 (fixtures)

from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator
from datasets.pg_destination import PgDatabase, pg_database

pytestmark = pytest.mark.browser
TOKEN = {"Authorization": "Bearer web-ui-test-token"}  # the serve fixture's API token


@pytest.fixture
def pg() -> Iterator[PgDatabase]:
    with pg_database() as db:
        yield db


def runs(url: str, name: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{url}/api/datasets/{name}/runs", headers=TOKEN)
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()
    return found


def run_from_page(page: Page, url: str, name: str, button: str) -> dict[str, Any]:
    before = len(runs(url, name))
    page.goto(f"/datasets/{name}")
    page.click(f".actions >> text={button}")
    expect(page.locator(".history tbody tr")).to_have_count(before + 1, timeout=60_000)
    expect(page.locator(".history tbody tr").first.locator(".badge.succeeded")).to_be_visible(
        timeout=60_000
    )
    return runs(url, name)[0]


def download(page: Page, name: str) -> list[dict[str, str]]:
    page.goto(f"/datasets/{name}")
    with page.expect_download() as info:
        page.click(".actions >> text=Download CSV")
    path = info.value.path()
    assert info.value.suggested_filename.endswith(".csv")
    return list(csv.DictReader(io.StringIO(Path(path).read_text(encoding="utf-8"))))


def test_download_csv_and_full_refresh(
    serve: tuple[str, Path, list[str]],  # noqa: F811
    browser: Browser,  # noqa: F811
    emulator: Emulator,
    pg: PgDatabase,
) -> None:
    url, home, _output = serve
    with ControlPlane.open(home) as plane:
        plane.add_account("emu", base_url=emulator.base_url, api_key=emulator.api_keys["admin"])
        plane.add_destination("pg", pg.url())
        plane.create_dataset("Issues", account="emu", report="issues", update_mode="merge",
                             options={"projects": "WEB"})  # fmt: skip
        plane.create_dataset("People", account="emu", report="users", destination="pg")
    page = browser.new_context(
        base_url=url, viewport={"width": 1280, "height": 900}, accept_downloads=True
    ).new_page()
    page.set_default_timeout(20_000)
    page.goto("/datasets/Issues")
    page.fill("#f-password", PASSWORD)
    page.click("form.card button[type=submit]")
    expect(page.locator(".actions >> text=Download CSV")).to_have_count(0)  # no table yet

    first = run_from_page(page, url, "Issues", "Run now")
    issues = [i for i in emulator.state.issues.values() if i.project_id == 1]
    assert first["rows_read"] == len(issues)
    rows = download(page, "Issues")
    assert len(rows) == len(issues)
    assert {r["issue_key"] for r in rows} == {f"WEB-{i.key_id}" for i in issues}
    shot(page, "download-01-dataset-page")

    again = run_from_page(page, url, "Issues", "Run now")
    assert again["rows_read"] < len(issues)  # merge: only what changed since the first run
    full = run_from_page(page, url, "Issues", "Full refresh")
    assert full["rows_read"] == len(issues)  # the cursor was ignored: everything again
    assert len(download(page, "Issues")) == len(issues)

    run_from_page(page, url, "People", "Run now")
    people = download(page, "People")
    assert len(people) == len(emulator.state.users)
    assert pg.scalar("select count(*) from public.people") == len(people)
