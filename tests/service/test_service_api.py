"""The REST API over a real socket: authentication, OpenAPI, and what the CLI does."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from service_helpers import LiveService, poll

from backlog_connector.emulator import Emulator
from backlog_connector.web import api


def api_routes() -> list[tuple[str, str]]:
    """(method, path) of every REST route the API module declares."""
    return sorted(
        (method, route.path)
        for router in (api.public, api.router)
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    )


def fill(path: str) -> str:
    return re.sub(r"\{run_id\}", "1", re.sub(r"\{name\}", "x", path))


def add_account(client: httpx.Client, emu: Emulator, name: str = "acme") -> dict[str, Any]:
    body = {"name": name, "base_url": emu.base_url, "api_key": emu.api_keys["admin"]}
    response = client.post("/api/accounts", json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


# --- authentication ------------------------------------------------------------------------


def test_every_route_but_health_needs_a_token(live: LiveService) -> None:
    routes = api_routes()
    assert len(routes) >= 20
    with live.client(auth=False) as anonymous, live.client(token="wrong-token") as wrong:
        for method, path in routes:
            if path == "/api/health":
                continue
            for client in (anonymous, wrong):
                response = client.request(method, fill(path))
                assert response.status_code == 401, (method, path, response.status_code)
                assert response.headers["content-type"].startswith("application/json")
                assert "Authorization: Bearer" in response.json()["detail"]
        health = anonymous.get("/api/health")
        assert health.status_code == 200
        assert health.json() == {"status": "ok", "scheduler": True}
    with live.client() as client:
        assert client.get("/api/accounts").json() == []


def test_openapi_lists_every_route(live: LiveService) -> None:
    with live.client(auth=False) as anonymous:
        assert anonymous.get("/openapi.json").status_code == 401
        assert anonymous.get("/docs").status_code == 401
    with live.client() as client:
        spec = client.get("/openapi.json").json()
        docs = client.get("/docs")
    documented = sorted(
        (method.upper(), path) for path, ops in spec["paths"].items() for method in ops
    )
    assert api_routes() == [r for r in documented if r[1].startswith("/api/")]
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()


def test_signed_in_session_may_use_the_api(live: LiveService) -> None:
    with live.client(auth=False) as browser:
        form = browser.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token is not None
        wrong = browser.post("/login", data={"password": "nope", "csrf_token": token.group(1)})
        assert wrong.status_code == 400
        assert browser.get("/api/accounts").status_code == 401
        form = browser.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token is not None
        signed_in = browser.post(
            "/login", data={"password": "correct horse battery", "csrf_token": token.group(1)}
        )
        assert signed_in.status_code in (302, 303)
        assert browser.get("/api/accounts").status_code == 200


def sign_in(browser: httpx.Client) -> str:
    """Sign ``browser`` in; the session's CSRF token (the forms' hidden field)."""
    form = browser.get("/login").text
    found = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert found is not None
    signed_in = browser.post(
        "/login", data={"password": "correct horse battery", "csrf_token": found.group(1)}
    )
    assert signed_in.status_code in (302, 303)
    again = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/datasets/new").text)
    assert again is not None
    return again.group(1)


def test_session_requests_that_change_things_need_the_csrf_token_or_own_origin(
    live: LiveService,
) -> None:
    # Every localhost port is the same site: SameSite=Lax alone lets another local page POST.
    with live.client(auth=False) as browser:
        token = sign_in(browser)
        body = {"full": False}
        refused = [
            {},
            {"Origin": "http://127.0.0.1:1"},  # another program on this machine
            {"Origin": "http://localhost:" + live.base_url.rsplit(":", 1)[1]},  # other host name
            {"Origin": "null"},
            {"X-CSRF-Token": "not-the-token"},
        ]
        for headers in refused:
            for method, path in (
                ("POST", "/api/datasets/x/runs"),
                ("DELETE", "/api/datasets/x"),
                ("PATCH", "/api/datasets/x"),
                ("POST", "/api/runs/1/cancel"),
            ):
                response = browser.request(method, path, json=body, headers=headers)
                assert response.status_code == 403, (headers, method, path, response.text)
                assert "X-CSRF-Token" in response.json()["detail"]
        assert browser.get("/api/datasets").status_code == 200  # reading needs neither
        # the same requests from our own pages get through to the route (404: no dataset "x")
        for headers in ({"X-CSRF-Token": token}, {"Origin": live.base_url}):
            response = browser.post("/api/datasets/x/runs", json=body, headers=headers)
            assert response.status_code == 404, (headers, response.text)
    with live.client() as client:  # a bearer token needs no CSRF header
        assert client.post("/api/datasets/x/runs", json={"full": False}).status_code == 404


# --- accounts, datasets, runs ------------------------------------------------------------------


def test_accounts_are_verified_and_never_show_the_key(live: LiveService, space: Emulator) -> None:
    key = space.api_keys["admin"]
    with live.client() as client:
        created = add_account(client, space)
        assert created["name"] == "acme"
        assert created["user_id"] is not None
        for response in (client.get("/api/accounts"), client.get("/api/accounts/acme")):
            assert response.status_code == 200
            assert key not in response.text
        again = client.post("/api/accounts", json={"name": "acme", "base_url": space.base_url,
                                                   "api_key": key})  # fmt: skip
        assert again.status_code == 409
        assert "acme" in again.json()["detail"]
        refused = client.post("/api/accounts", json={"name": "other", "base_url": space.base_url,
                                                     "api_key": "not-a-key"})  # fmt: skip
        assert refused.status_code == 400
        assert refused.json()["error"] == "AuthenticationError"
        assert "not-a-key" not in refused.text
        foreign = client.post("/api/accounts", json={"name": "x", "base_url": "ftp://evil",
                                                     "api_key": key})  # fmt: skip
        assert foreign.status_code == 422
        assert [a["name"] for a in client.get("/api/accounts").json()] == ["acme"]
        assert client.get("/api/accounts/nobody").status_code == 404


def test_validation_errors_name_the_field_and_never_echo_input(live: LiveService) -> None:
    with live.client() as client:
        response = client.post(
            "/api/accounts",
            json={"name": "x", "api_key": ["SUPERSECRET-1"], "apikey": "SUPERSECRET-2"},
        )
    assert response.status_code == 422
    body = response.json()
    assert "SUPERSECRET" not in response.text
    fields = {p["field"] for p in body["problems"]}
    assert {"api_key", "apikey"} <= fields
    assert body["detail"].startswith("invalid request: ")


def test_dataset_lifecycle_run_now_preview_history_export(
    live: LiveService, space: Emulator
) -> None:
    with live.client() as client:
        add_account(client, space)
        spec = {"name": "P", "account": "acme", "report": "projects", "schedule": "hourly"}
        bad = client.post("/api/datasets", json=spec)
        assert bad.status_code == 422
        assert "Accepted forms" in bad.json()["detail"]
        spec = {"name": "Backlog Projects", "account": "acme", "report": "projects"}
        created = client.post("/api/datasets", json=spec)
        assert created.status_code == 201, created.text
        assert created.json()["table"] == "backlog_projects"
        assert client.post("/api/datasets", json=created.json() | {}).status_code == 422

        queued = client.post("/api/datasets/Backlog Projects/runs")
        assert queued.status_code == 202
        run = queued.json()
        assert run["status"] in ("queued", "running")
        assert queued.headers["location"] == f"/api/runs/{run['id']}"
        final = poll(lambda: client.get(run["links"]["self"]).json(),
                     lambda r: r["status"] not in ("queued", "running"))  # fmt: skip
        assert final["status"] == "succeeded", final
        assert final["trigger"] == "manual"

        preview = client.get("/api/datasets/Backlog Projects/preview", params={"limit": 5})
        assert preview.status_code == 200
        rows = preview.json()["rows"]
        assert len(rows) == min(5, len(space.state.projects))
        assert {"id", "project_key", "_space"} <= set(preview.json()["columns"])
        schema = client.get("/api/datasets/Backlog Projects/schema").json()
        assert {"name": "id", "type": "BIGINT"} in schema
        history = client.get("/api/datasets/Backlog Projects/runs").json()
        assert [h["id"] for h in history] == [run["id"]]
        exported = client.get("/api/datasets/Backlog Projects/export", params={"format": "csv"})
        assert exported.status_code == 200
        table = list(csv.DictReader(io.StringIO(exported.text)))
        assert len(table) == len(space.state.projects)

        changed = client.patch("/api/datasets/Backlog Projects", json={"schedule": "daily 03:00"})
        assert changed.status_code == 200
        assert changed.json()["schedule"] == "daily 03:00"
        shown = client.get("/api/datasets/Backlog Projects").json()
        assert shown["scheduler"]["next_due"] is not None
        assert client.patch("/api/datasets/Backlog Projects", json={}).status_code == 422
        in_use = client.delete("/api/accounts/acme")
        assert in_use.status_code == 409
        assert in_use.json()["datasets"] == ["Backlog Projects"]

        assert client.delete("/api/datasets/Backlog Projects").status_code == 204
        assert client.get("/api/datasets/Backlog Projects").status_code == 404
        assert client.get(f"/api/runs/{run['id']}").status_code == 404
        assert client.get("/api/reports").status_code == 200
        assert client.get("/api/reports/issues").json()["name"] == "issues"
        assert client.get("/api/reports/nope").status_code == 404


def test_run_now_while_running_is_a_conflict(live: LiveService) -> None:
    from backlog_connector.emulator import EmulatorConfig

    with Emulator(EmulatorConfig(seed=8, projects=1, issues=5)) as emu, live.client() as client:
        add_account(client, emu)
        client.post("/api/datasets", json={"name": "Slow", "account": "acme",
                                           "report": "projects"})  # fmt: skip
        emu.set_faults(slow=1.0, slow_seconds=1.0)
        first = client.post("/api/datasets/Slow/runs")
        assert first.status_code == 202
        second = client.post("/api/datasets/Slow/runs")
        assert second.status_code == 409
        assert "already running" in second.json()["detail"]
        cancel = client.post(f"/api/runs/{first.json()['id']}/cancel")
        assert cancel.status_code == 202
        final = poll(lambda: client.get(f"/api/runs/{first.json()['id']}").json(),
                     lambda r: r["status"] not in ("queued", "running"))  # fmt: skip
        assert final["status"] == "cancelled"
        assert client.post(f"/api/runs/{final['id']}/cancel").status_code == 409


def test_revoked_key_fails_is_not_retried_and_shows_in_the_api(
    live: LiveService, space: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    from backlog_connector.emulator import EmulatorConfig

    def settled(shown: dict[str, Any]) -> bool:
        # the run is recorded, and its job has left the scheduler: whatever the scheduler
        # decides after a failure (a retry or not) is decided by then
        last = shown["last_run"]
        return bool(last) and last["status"] not in ("queued", "running") and (
            shown["scheduler"]["running_job"] is None)  # fmt: skip

    with Emulator(EmulatorConfig(seed=9, projects=1, issues=5)) as emu, live.client() as client:
        add_account(client, emu)
        # manual: nothing but the runs started here and any retry of them can start
        spec = {"name": "Doomed", "account": "acme", "report": "projects",
                "retries": 3, "retry_interval": "1s"}  # fmt: skip
        assert client.post("/api/datasets", json=spec).status_code == 201
        assert client.post("/api/datasets/Doomed/runs").status_code == 202
        shown = poll(lambda: client.get("/api/datasets/Doomed").json(), settled)
        assert shown["last_run"]["status"] == "succeeded"
        with caplog.at_level("WARNING", logger="backlog_connector.scheduler"):
            emu.revoke_key(emu.api_keys["admin"])
            assert client.post("/api/datasets/Doomed/runs").status_code == 202
            shown = poll(lambda: client.get("/api/datasets/Doomed").json(), settled)
        runs = client.get("/api/datasets/Doomed/runs").json()
    assert shown["last_run"]["status"] == "failed"
    assert shown["scheduler"]["retry_at"] is None  # no retry pending ...
    assert [(r["trigger"], r["status"]) for r in runs] == [  # ... and none ran
        ("manual", "failed"),
        ("manual", "succeeded"),
    ]
    failed = runs[0]
    assert failed["error_action"] == "configuration"
    assert "authentication" in failed["error"].lower() or "key" in failed["error"].lower()
    assert emu.api_keys["admin"] not in failed["error"]
    assert "not retried" in caplog.text
