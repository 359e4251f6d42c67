"""``/api/destinations`` over a real socket against the real PostgreSQL: a refused destination
is 400 with nothing saved, no response carries the password, a dataset created with a
destination lands there, and removing a destination in use is 409 naming the datasets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from service_helpers import LiveService, poll
from test_service_api import add_account, api_routes

from backlog_connector.emulator import Emulator
from datasets.pg_destination import PgDatabase, pg_database, secret_forms


@pytest.fixture
def pg() -> Iterator[PgDatabase]:
    with pg_database() as db:
        yield db


def _clean(pg: PgDatabase, *texts: str) -> None:
    for text in texts:
        for form in secret_forms(pg.password):
            assert form not in text


def test_destinations_api(live: LiveService, space: Emulator, pg: PgDatabase) -> None:
    assert ("POST", "/api/destinations/{name}/verify") in api_routes()
    with live.client() as client:
        add_account(client, space)
        refused = client.post("/api/destinations", json={
            "name": "pg", "url": pg.url(user=pg.reader), "schema": "backlog"})  # fmt: skip
        assert refused.status_code == 400, refused.text
        assert refused.json()["error"] == "DestinationError"
        listed = client.get("/api/destinations").json()
        assert [d["name"] for d in listed] == ["warehouse"]
        invalid = client.post("/api/destinations", json={"name": "pg", "url": "mysql://x/y"})
        assert invalid.status_code == 422

        added = client.post("/api/destinations", json={
            "name": "pg", "url": pg.url(password=None), "password": pg.password})  # fmt: skip
        assert added.status_code == 201, added.text
        shown = f"postgresql://{pg.owner}@127.0.0.1:5432/{pg.database}"
        assert (added.json()["url"], added.json()["schema"]) == (shown, "public")
        taken = client.post("/api/destinations", json={"name": "pg", "url": pg.url()})
        assert taken.status_code == 409

        body = {"name": "Users", "account": "acme", "report": "users", "destination": "pg"}
        created = client.post("/api/datasets", json=body)
        assert created.status_code == 201, created.text
        assert created.json()["destination"] == "pg"
        body = {"name": "Teams", "account": "acme", "report": "teams", "destination": "nope"}
        unknown = client.post("/api/datasets", json=body)
        assert unknown.status_code == 404

        run = client.post("/api/datasets/Users/runs").json()
        done: dict[str, Any] = poll(lambda: client.get(f"/api/runs/{run['id']}").json(),
                                    lambda r: r["status"] not in ("queued", "running"))  # fmt: skip
        assert done["status"] == "succeeded", done["error"]
        assert pg.scalar("select count(*) from public.users") == done["table_rows"] > 0
        preview = client.get("/api/datasets/Users/preview", params={"limit": 3}).json()
        assert len(preview["rows"]) == 3
        assert any(c["name"] == "_space" for c in client.get("/api/datasets/Users/schema").json())

        in_use = client.delete("/api/destinations/pg")
        assert in_use.status_code == 409
        assert in_use.json()["datasets"] == ["Users"]
        texts = [
            refused.text, added.text, taken.text, created.text, in_use.text,
            client.get("/api/destinations").text, client.get("/api/destinations/pg").text,
            client.post("/api/destinations/pg/verify").text, client.get("/api/datasets").text,
        ]  # fmt: skip
        _clean(pg, *texts)
        assert client.get("/api/destinations/pg").json()["datasets"] == ["Users"]
        moved = client.patch("/api/datasets/Users", json={"destination": "warehouse"})
        assert moved.json()["destination"] == "warehouse"
        assert client.delete("/api/destinations/pg").status_code == 204
        assert client.get("/api/destinations/pg").status_code == 404
