"""Absurd schedules: refused when saved over the API (422 naming the longest allowed), and a bad
one already saved (an older version accepted it) never turns the listing routes into 500s."""

from __future__ import annotations

import sqlite3

from service_helpers import LiveService

from backlog_connector.emulator import Emulator


def _add_projects_dataset(live: LiveService, space: Emulator, name: str) -> None:
    with live.client() as client:
        if client.get("/api/accounts/acme").status_code == 404:
            added = client.post(
                "/api/accounts",
                json={
                    "name": "acme",
                    "base_url": space.base_url,
                    "api_key": space.api_keys["admin"],
                },
            )
            assert added.status_code == 201, added.text
        made = client.post(
            "/api/datasets",
            json={"name": name, "account": "acme", "report": "projects", "schedule": "daily 03:00"},
        )
        assert made.status_code == 201, made.text  # fmt: skip


def test_an_overflowing_interval_is_refused_naming_the_longest(
    live: LiveService, space: Emulator
) -> None:
    _add_projects_dataset(live, space, "Good")
    with live.client() as client:
        for spec in ("every 100000000000000000000h", "every 99999999999h", "every 367d"):
            made = client.post(
                "/api/datasets",
                json={"name": "Bad", "account": "acme", "report": "projects", "schedule": spec},
            )
            assert made.status_code == 422, made.text
            assert "366 days" in made.json()["detail"]
            changed = client.patch("/api/datasets/Good", json={"schedule": spec})
            assert changed.status_code == 422, changed.text  # fmt: skip
        assert client.get("/api/datasets/Good").json()["schedule"] == "daily 03:00"
        assert [d["name"] for d in client.get("/api/datasets").json()] == ["Good"]


def test_a_saved_schedule_that_cannot_be_evaluated_does_not_500_the_listings(
    live: LiveService, space: Emulator
) -> None:
    _add_projects_dataset(live, space, "Good")
    _add_projects_dataset(live, space, "Overflow")
    _add_projects_dataset(live, space, "Lost Zone")
    # What an older version saved: values today's checks refuse.
    with sqlite3.connect(live.plane.home / "control.sqlite") as db:
        db.execute("UPDATE datasets SET schedule = 'every 99999999999h' WHERE name = 'Overflow'")
        db.execute("UPDATE datasets SET timezone = 'Mars/Olympus' WHERE name = 'Lost Zone'")
    with live.client() as client:
        listed = client.get("/api/datasets")
        assert listed.status_code == 200, listed.text
        by_name = {d["name"]: d["scheduler"] for d in listed.json()}
        assert by_name["Good"]["next_due"] is not None
        assert by_name["Good"]["problem"] is None
        for bad in ("Overflow", "Lost Zone"):
            assert by_name[bad]["next_due"] is None
            assert "schedule" in by_name[bad]["problem"]
        status = client.get("/api/scheduler")
        assert status.status_code == 200, status.text
        assert len(status.json()) == 3
        assert client.get("/api/datasets/Overflow").status_code == 200
        page = client.get("/api/datasets/Lost Zone")
        assert page.status_code == 200
