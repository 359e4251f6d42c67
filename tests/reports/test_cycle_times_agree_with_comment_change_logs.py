"""``cycle_times``, ``cumulative_flow`` and ``throughput`` after a full run through the control
plane (real emulator on loopback, real DuckDB file): every value agrees with what the API's own
comment change logs say, to the second."""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from backlog_connector.backlog.client import BacklogClient
from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator
from backlog_connector.sinks.duckdb import open_read_only

from .flow_helpers import Truth, truth

DERIVED = ("cycle_times", "cumulative_flow", "throughput")


def _table(cp: ControlPlane, name: str) -> list[dict[str, Any]]:
    reader = open_read_only(cp.warehouse_path)
    try:
        return reader.preview(name, limit=10_000_000).to_pylist()  # type: ignore[no-any-return]
    finally:
        reader.close()


def _at(epoch: int | None) -> dt.datetime | None:
    return None if epoch is None else dt.datetime.fromtimestamp(epoch, dt.UTC)


@pytest.fixture(scope="module")
def loaded(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("BACKLOG_CONNECTOR_")}
    home = tmp_path_factory.mktemp("flow") / "home"
    with ControlPlane.open(home) as cp:
        cp.add_account("acme", base_url=emulator.base_url, api_key=emulator.api_keys["admin"])
        for name in DERIVED:
            cp.create_dataset(name, account="acme", report=name)
        runs = cp.run_datasets(list(DERIVED))
        assert [r.status for r in runs] == ["succeeded"] * 3, [r.error for r in runs]
        yield cp
    os.environ.update(saved)


@pytest.fixture(scope="module")
def issues(admin: BacklogClient) -> dict[int, Truth]:
    return truth(admin)


def test_every_closed_issue_has_lead_and_cycle_time_of_its_change_logs(
    loaded: ControlPlane, issues: dict[int, Truth]
) -> None:
    rows = {r["issue_id"]: r for r in loaded.preview("cycle_times", limit=100_000).to_pylist()}
    assert rows.keys() == issues.keys()
    closed = [t for t in issues.values() if t.status == 4]
    assert len(closed) > 50  # the seed closes most old issues: the check covers many
    for t in closed:
        row = rows[t.issue_id]
        resolved, started = t.resolved(), t.first_started()
        assert resolved is not None
        assert started is not None
        assert row["resolved"] == _at(resolved), t.issue_id
        assert row["first_started"] == _at(started), t.issue_id
        assert row["created"] == _at(t.created)
        assert round(row["lead_time_hours"] * 3600) == resolved - t.created
        assert round(row["cycle_time_hours"] * 3600) == resolved - started
        assert row["reopened"] == sum(1 for _at_, old, _new in t.moves if old == 4)
    for t in issues.values():
        if t.status != 4:
            row = rows[t.issue_id]
            assert row["resolved"] is None, t.issue_id
            assert row["lead_time_hours"] is None, t.issue_id
            assert row["first_started"] == _at(t.first_started())
        assert rows[t.issue_id]["status_id"] == t.status
        assert rows[t.issue_id]["status_changes"] == len(t.moves)


def test_time_in_status_adds_up_to_the_time_before_the_current_status(
    loaded: ControlPlane, issues: dict[int, Truth]
) -> None:
    rows = {r["issue_id"]: r for r in loaded.preview("cycle_times", limit=100_000).to_pylist()}
    stays = _table(loaded, "cycle_times__time_in_status")
    seconds: Counter[int] = Counter()
    for stay in stays:
        seconds[stay["issue_id"]] += stay["seconds"]
        assert stay["hours"] == pytest.approx(stay["seconds"] / 3600)
    for issue_id, t in issues.items():
        last = t.moves[-1][0] if t.moves else t.created
        assert seconds[issue_id] == last - t.created, issue_id
        assert rows[issue_id]["status_since"] == _at(last)
    # a two-step issue: the seconds of its first status are those before its first move
    two = next(t for t in issues.values() if len(t.moves) >= 2)
    first = next(s for s in stays if s["issue_id"] == two.issue_id and s["status_id"] == 1)
    assert first["seconds"] == two.moves[0][0] - two.created


def test_cumulative_flow_ends_with_todays_statuses_and_starts_with_the_first_issue(
    loaded: ControlPlane, issues: dict[int, Truth]
) -> None:
    flow = loaded.preview("cumulative_flow", limit=1_000_000).to_pylist()
    last_day = max(r["day"] for r in flow)
    assert last_day == dt.datetime.now(dt.UTC).date()
    today = Counter((r["project_id"], r["status_id"]) for r in flow if r["day"] == last_day)
    assert set(today.values()) == {1}  # one row per project and status
    counted = {(r["project_id"], r["status_id"]): r["issues"] for r in flow if r["day"] == last_day}
    expected = Counter((t.project_id, t.status) for t in issues.values())
    assert {k: v for k, v in counted.items() if v} == dict(expected)
    # on some day in the middle, count from the change logs who was where at the day's end
    day = sorted({r["day"] for r in flow})[200]
    end = int(dt.datetime.combine(day, dt.time(), dt.UTC).timestamp()) + 86_400
    where: Counter[tuple[int, int]] = Counter()
    for t in issues.values():
        if t.created < end:
            status = next((new for at, _o, new in reversed(t.moves) if at < end), None)
            where[(t.project_id, status if status is not None else 1)] += 1
    on_day = {(r["project_id"], r["status_id"]): r["issues"] for r in flow if r["day"] == day}
    assert {k: v for k, v in on_day.items() if v} == dict(where)


def test_throughput_weeks_add_up_and_end_with_the_open_issues(
    loaded: ControlPlane, issues: dict[int, Truth]
) -> None:
    weeks = loaded.preview("throughput", limit=100_000).to_pylist()
    for project_id in {t.project_id for t in issues.values()}:
        mine = sorted(
            (w for w in weeks if w["project_id"] == project_id), key=lambda w: w["week_start"]
        )
        assert all(w["week_start"].weekday() == 0 for w in mine)
        assert sum(w["created"] for w in mine) == sum(
            1 for t in issues.values() if t.project_id == project_id
        )
        assert sum(w["resolved"] for w in mine) == sum(
            1
            for t in issues.values()
            if t.project_id == project_id
            for _at_, _old, new in t.moves
            if new == 4
        )
        running = 0
        for w in mine:
            running += w["created"] - w["resolved"] + w["reopened"]
            assert w["open_at_end"] == running
        assert mine[-1]["open_at_end"] == sum(
            1 for t in issues.values() if t.project_id == project_id and t.status != 4
        )
        assert (mine[-1]["iso_year"], mine[-1]["iso_week"]) == tuple(
            dt.datetime.now(dt.UTC).date().isocalendar()[:2]
        )


def test_a_closed_status_named_by_the_dataset_moves_resolved(
    loaded: ControlPlane, issues: dict[int, Truth], emulator: Emulator
) -> None:
    # status 3 as done, by id for every project, and by its name in one project
    project = emulator.state.projects[1]
    name = emulator.state.statuses[1][3].name
    loaded.create_dataset(
        "ct_three", account="acme", report="cycle_times", options={"closed_status": "3"}
    )
    loaded.create_dataset(
        "ct_named",
        account="acme",
        report="cycle_times",
        options={"closed_status": name, "projects": project.key},
    )
    runs = loaded.run_datasets(["ct_three", "ct_named"])
    assert [r.status for r in runs] == ["succeeded"] * 2, [r.error for r in runs]
    at_three = [t for t in issues.values() if t.status == 3]
    assert at_three
    by_id = {r["issue_id"]: r for r in loaded.preview("ct_three", limit=100_000).to_pylist()}
    named = {r["issue_id"]: r for r in loaded.preview("ct_named", limit=100_000).to_pylist()}
    assert {t.issue_id for t in issues.values() if t.project_id == 1} == named.keys()
    for t in at_three:
        assert by_id[t.issue_id]["resolved"] == _at(t.resolved(closed=3))
        if t.project_id == 1:
            assert named[t.issue_id]["resolved"] == _at(t.resolved(closed=3))
    assert all(r["resolved"] is None for r in by_id.values() if r["status_id"] == 4)
    loaded.create_dataset(  # saved unchecked: saving would refuse it already
        "ct_bad",
        account="acme",
        report="cycle_times",
        options={"closed_status": "Done"},
        check_options=False,
    )
    (bad,) = loaded.run_datasets(["ct_bad"])
    assert bad.status == "failed"
    assert "no status 'Done'" in (bad.error or "")
    assert "Its statuses:" in (bad.error or "")
