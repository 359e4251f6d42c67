"""Answers that drift from Backlog's documented shapes: a wrong shape fails the run naming the
endpoint; an unparseable value makes a warning and a row of ``<table>__rejects``; a new field
reaches ``_extra``. The emulator answers through a loopback proxy that spoils chosen bodies."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator

from .drift_proxy import DriftProxy, Rule


def _wrap(key: str) -> Rule:
    return lambda body, _query: {key: body, "count": len(body)}


@pytest.fixture
def drifting(emulator: Emulator) -> Iterator[DriftProxy]:
    with DriftProxy(emulator.base_url) as proxy:
        yield proxy


@pytest.fixture
def account(plane: ControlPlane, drifting: DriftProxy, emulator: Emulator) -> str:
    plane.add_account("drift", base_url=drifting.base_url, api_key=emulator.api_keys["admin"])
    return "drift"


def _run(plane: ControlPlane, account: str, report: str, **kw: Any) -> Any:
    plane.create_dataset(report, account=account, report=report, **kw)
    (run,) = plane.run_datasets([report])
    return run


def test_a_list_wrapped_in_an_object_fails_the_run_naming_the_endpoint(
    plane: ControlPlane, account: str, drifting: DriftProxy
) -> None:
    drifting.rules["/api/v2/users"] = _wrap("users")
    run = _run(plane, account, "users")
    assert run.status == "failed"
    assert "GET /users" in run.error
    assert "list" in run.error
    assert "wrapped" in run.error
    assert run.rows_written == 0
    assert plane.schema("users") == []  # no table was created


def test_an_object_where_the_project_list_belongs_fails_per_project_reports(
    plane: ControlPlane, account: str, drifting: DriftProxy
) -> None:
    drifting.rules["/api/v2/projects"] = lambda body, _q: body[0]
    run = _run(plane, account, "categories")
    assert run.status == "failed"
    assert "GET /projects" in run.error
    assert "an object with keys" in run.error


def test_a_wrapped_issue_page_fails_the_issues_run(
    plane: ControlPlane, account: str, drifting: DriftProxy
) -> None:
    drifting.rules["/api/v2/issues"] = _wrap("issues")
    run = _run(plane, account, "issues")
    assert run.status == "failed"
    assert "/issues" in run.error
    assert "list" in run.error


def test_a_page_of_strings_fails_the_run(
    plane: ControlPlane, account: str, drifting: DriftProxy
) -> None:
    drifting.rules["/api/v2/teams"] = lambda body, _q: [str(t["id"]) for t in body]
    run = _run(plane, account, "teams")
    assert run.status == "failed"
    assert "GET /teams" in run.error
    assert "a str" in run.error


def test_a_count_that_is_not_an_object_fails_the_issues_run(
    plane: ControlPlane, account: str, drifting: DriftProxy
) -> None:
    drifting.rules["/api/v2/issues/count"] = lambda body, _q: [body]
    run = _run(plane, account, "issues")
    assert run.status == "failed"
    assert "GET /issues/count" in run.error
    assert "one JSON object" in run.error


def _spoil_users(body: list[dict[str, Any]], _query: Any) -> list[dict[str, Any]]:
    body = [dict(u) for u in body]
    body[0]["lastLoginTime"] = "2014/07/15 15:00:00"
    body[1]["roleType"] = "admin"
    body[1]["hobby"] = {"kind": "go", "rank": 3}  # a field the connector does not know
    return body


def test_unparseable_values_are_warnings_and_rejects_not_silent_nulls(
    plane: ControlPlane, account: str, drifting: DriftProxy, emulator: Emulator
) -> None:
    drifting.rules["/api/v2/users"] = _spoil_users
    run = _run(plane, account, "users")
    assert run.status == "succeeded", run.error
    assert run.warnings == 2
    assert plane.history("users")[0].to_dict()["warnings"] == 2

    users = {u["id"]: u for u in plane.preview("users", 1000).to_pylist()}
    ids = sorted(emulator.state.users)
    assert len(users) == len(ids)
    assert users[ids[0]]["last_login_time"] is None
    assert users[ids[1]]["role_type"] is None
    assert orjson.loads(users[ids[1]]["_extra"]) == {"hobby": {"kind": "go", "rank": 3}}
    assert users[ids[0]]["_extra"] is None

    rejects = plane._warehouse().preview("users__rejects", 100).to_pylist()
    found = sorted((r["id"], r["column_name"], r["raw_value"]) for r in rejects)
    assert found == [
        (ids[0], "last_login_time", "2014/07/15 15:00:00"),
        (ids[1], "role_type", "admin"),
    ]
    assert all(r["table_suffix"] == "" and r["_space"] for r in rejects)
    assert {orjson.loads(r["row_key"])["id"] for r in rejects} == {ids[0], ids[1]}
    assert (
        "timestamp" in next(r for r in rejects if r["column_name"] == "last_login_time")["reason"]
    )

    # the next clean run replaces the table: the rejects are gone with the warnings
    drifting.rules.clear()
    (again,) = plane.run_datasets(["users"])
    assert again.warnings == 0
    assert plane._warehouse().row_count("users__rejects") == 0


def _spoil_issue_fields(body: list[dict[str, Any]], _query: Any) -> list[dict[str, Any]]:
    body = [dict(i) for i in body]
    if body:
        body[0]["dueDate"] = "15/07/2014"
        body[0]["estimatedHours"] = "two"
        body[0]["attachments"] = []
    return body


def test_issue_values_that_do_not_parse_are_kept_with_the_issue_in_merge_runs(
    plane: ControlPlane, account: str, drifting: DriftProxy
) -> None:
    drifting.rules["/api/v2/issues"] = _spoil_issue_fields
    run = _run(plane, account, "issues", options={"projects": "1"})
    assert run.status == "succeeded", run.error
    assert run.warnings >= 2  # the first issue of every page
    rejects = plane._warehouse().preview("issues__rejects", 1000).to_pylist()
    assert {r["column_name"] for r in rejects} == {"due_date", "estimated_hours"}
    assert {r["raw_value"] for r in rejects} == {"15/07/2014", "two"}
    assert len(rejects) == run.warnings
    # rejects carry the issue's key: a merge replaces them when the issue is written again
    issue_ids = {r["id"] for r in rejects}
    assert issue_ids
    assert all(isinstance(i, int) for i in issue_ids)


def test_warnings_reach_the_api_run_record_and_the_run_page(
    plane: ControlPlane, account: str, drifting: DriftProxy
) -> None:
    from fastapi.testclient import TestClient

    from backlog_connector.web.app import create_app

    drifting.rules["/api/v2/users"] = _spoil_users
    run = _run(plane, account, "users")
    app = create_app(plane, run_scheduler=False)
    secrets = app.state.new_secrets
    with TestClient(app, base_url="http://localhost") as web:
        headers = {"Authorization": f"Bearer {secrets.api_token}"}
        record = web.get(f"/api/runs/{run.id}", headers=headers).json()
        assert record["warnings"] == 2
        history = web.get("/api/datasets/users/runs", headers=headers).json()
        assert history[0]["warnings"] == 2
        form = web.get("/login").text
        found = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert found is not None
        signed_in = web.post(
            "/login", data={"password": secrets.admin_password, "csrf_token": found.group(1)}
        )
        assert signed_in.status_code == 200
        page = web.get("/datasets/users").text
        assert "2 warnings" in page
        assert "users__rejects" in page


def test_runs_read_date_only_values_in_the_space_zone(
    plane: ControlPlane, drifting: DriftProxy, emulator: Emulator
) -> None:
    def in_auckland(body: dict[str, Any], _query: Any) -> dict[str, Any]:
        return {**body, "timezone": "Pacific/Auckland"}

    def summer_midnight(body: list[dict[str, Any]], _query: Any) -> list[dict[str, Any]]:
        return [{**i, "dueDate": "2014-12-14T11:00:00Z"} for i in body]  # 15 Dec, +13:00

    drifting.rules["/api/v2/space"] = in_auckland
    plane.add_account("kiwi", base_url=drifting.base_url, api_key=emulator.api_keys["admin"])
    drifting.rules["/api/v2/issues"] = summer_midnight
    run = _run(plane, "kiwi", "issues", options={"projects": "1"})
    assert run.status == "succeeded", run.error
    days = {r["due_date"].isoformat() for r in plane.preview("issues", 1000).to_pylist()}
    assert days == {"2014-12-15"}
