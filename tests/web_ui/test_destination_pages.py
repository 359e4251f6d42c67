"""The destinations pages and the destination field of the wizard and the edit page, in-process
against the real PostgreSQL: a refused destination shows its message by the URL field and saves
nothing, no page carries the password (nor a posted URL holding it), the wizard's last step
creates a dataset in a PostgreSQL destination, removing it is refused while in use."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from web_ui_helpers import Browser, field_error, wizard

from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator
from datasets.pg_destination import PgDatabase, pg_database, secret_forms


@pytest.fixture
def pg() -> Iterator[PgDatabase]:
    with pg_database() as db:
        yield db


def _clean(pg: PgDatabase, *pages: str) -> None:
    for page in pages:
        for form in secret_forms(pg.password):
            assert form not in page


def test_destination_pages_and_the_wizard(
    browser: Browser, plane: ControlPlane, emulator: Emulator, pg: PgDatabase
) -> None:
    listing = browser.get("/destinations").text
    assert "warehouse" in listing
    assert "Add destination" in listing

    # refused (no CREATE): the message sits by the URL field, nothing saved, URL not sent back
    refused = browser.post("/destinations/new", {"name": "pg", "url": pg.url(user=pg.reader),
                                                 "schema": "public"})  # fmt: skip
    assert refused.status_code == 400
    assert "permission" in field_error(refused.text, "url").lower()
    assert "Enter the URL again" in refused.text
    assert [d.name for d in plane.list_destinations()] == ["warehouse"]
    bad_name = browser.post("/destinations/new", {"name": "warehouse", "url": pg.url()})
    assert "built-in" in field_error(bad_name.text, "name")

    form = {"name": "pg", "url": pg.url(password=None), "password": pg.password, "schema": "public"}
    added = browser.post("/destinations/new", form)
    assert added.status_code == 303, field_error(added.text, "url")
    listing = browser.get("/destinations").text
    assert f"postgresql://{pg.owner}@127.0.0.1:5432/{pg.database}" in listing
    assert plane.get_destination("pg").schema == "public"

    # the wizard: saved account, users report, manual, replace; destination on the last step
    plane.add_account("emu", base_url=emulator.base_url, api_key=emulator.api_keys["admin"])
    page = browser.get("/datasets/new").text
    page = wizard(browser, 1, {"account": "emu", "action": "next"}, page)
    page = wizard(browser, 2, {"report": "users", "action": "next"}, page)
    page = wizard(browser, 3, {"schedule_mode": "manual", "action": "next"}, page)
    page = wizard(browser, 4, {"update_mode": "replace", "retries": "0",
                               "retry_interval": "5m", "action": "next"}, page)  # fmt: skip
    assert "Step 5 of 5" in page
    assert '<option value="pg"' in page
    assert '<option value="warehouse" selected' in page  # the default
    gone = wizard(browser, 5, {"name": "People", "destination": "nope", "action": "create"}, page)
    assert "no destination named 'nope'" in field_error(gone, "destination")
    target = wizard(browser, 5, {"name": "People", "destination": "pg", "action": "create"}, page)
    assert target == "/datasets/People"
    assert plane.get_dataset("People").destination == "pg"
    run = plane.run_datasets(["People"])[0]
    assert run.status == "succeeded", run.error
    assert pg.scalar("select count(*) from public.people") == run.table_rows

    detail = browser.get("/datasets/People").text
    assert 'href="/destinations#destination-pg">pg</a>' in detail
    assert "<code>_space</code>" in detail  # the schema, read from PostgreSQL
    assert 'table class="preview"' in detail
    assert 'data-label="Destination">pg</td>' in browser.get("/datasets").text
    plane.create_dataset("Teams", account="emu", report="teams")
    only_pg = browser.get("/datasets?destination=pg").text
    assert "People" in only_pg
    assert 'href="/datasets/Teams"' not in only_pg
    assert 'name="destination"' in only_pg

    # removing is refused while People uses it; the edit page moves it back to the warehouse
    confirm = browser.get("/destinations/pg/remove").text
    assert "cannot be removed while datasets use it" in confirm
    refused_remove = browser.post("/destinations/pg/remove", {})
    assert refused_remove.status_code == 409
    assert "People" in refused_remove.text
    edit = browser.get("/datasets/People/edit").text
    assert '<option value="pg" selected' in edit
    form = {"description": "", "schedule_mode": "manual", "update_mode": "replace",
            "retries": "0", "retry_interval": "5m", "enabled": "1",
            "destination": "warehouse"}  # fmt: skip
    saved = browser.post("/datasets/People/edit", form)
    assert saved.status_code == 303
    assert plane.get_dataset("People").destination == "warehouse"
    removed = browser.post("/destinations/pg/remove", {})
    assert removed.status_code == 303
    assert [d.name for d in plane.list_destinations()] == ["warehouse"]
    _clean(pg, listing, refused.text, added.text, page, detail, confirm, edit,
           browser.get("/destinations").text)  # fmt: skip
    assert removed.headers["location"] == "/destinations"
