"""``comments``, ``issue_status_history`` and ``recent_updates`` against the emulator: full
loads against its ground truth, then incremental runs after writes through its API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from backlog_connector.backlog.client import BacklogClient
from backlog_connector.emulator import Emulator
from backlog_connector.sinks.duckdb import DuckDBSink

from .conftest import assert_declared_types, client_for, sync, table_rows


def _generated_comments(emu: Emulator) -> dict[int, int]:
    """comment id -> position in the emulator's comment columns (live issues only)."""
    state = emu.state
    return {
        state.c_id[pos]: pos for pos in range(len(state.c_id)) if state.c_issue[pos] in state.issues
    }


def test_comments_and_status_history_full_load(
    admin: BacklogClient, emulator: Emulator, warehouse: DuckDBSink
) -> None:
    state = emulator.state
    generated = _generated_comments(emulator)
    sync(admin, warehouse, "comments")
    got = table_rows(warehouse, "comments", "id")
    assert [r["id"] for r in got] == sorted(generated)
    for row in got[:300]:
        pos = generated[row["id"]]
        issue = state.issues[state.c_issue[pos]]
        assert row["issue_id"] == issue.id
        assert row["issue_key"] == state.issue_key(issue)
        assert row["project_id"] == issue.project_id
        assert row["created_user_id"] == state.c_user[pos]
        assert row["created"] == dt.datetime.fromtimestamp(state.c_time[pos], dt.UTC)
    changes = table_rows(warehouse, "comments__change_log", "comment_id", "position")
    assert {c["field"] for c in changes} <= {"status", "resolution", "attachment", "notification"}

    sync(admin, warehouse, "issue_status_history")
    history = table_rows(warehouse, "issue_status_history", "comment_id")
    expected = sorted(cid for cid, pos in generated.items() if state.c_status_to[pos])
    assert [h["comment_id"] for h in history] == expected
    for row in history:
        pos = generated[row["comment_id"]]
        statuses = state.statuses[row["project_id"]]
        assert row["from_status_id"] == state.c_status_from[pos]
        assert row["to_status_id"] == state.c_status_to[pos]
        assert row["from_status"] == statuses[state.c_status_from[pos]].name
        assert row["to_status"] == statuses[state.c_status_to[pos]].name
        assert row["changed_at"] == dt.datetime.fromtimestamp(state.c_time[pos], dt.UTC)
        assert row["changed_by_id"] == state.c_user[pos]
    assert_declared_types(warehouse, "comments", "comments")
    assert_declared_types(warehouse, "issue_status_history", "issue_status_history")


def test_incremental_comments_history_and_activities_after_writes(
    make_emulator: Callable[..., Emulator], tmp_path: Path
) -> None:
    emu = make_emulator(issues=120, projects=2)
    sink = DuckDBSink(tmp_path / "warehouse.duckdb")
    with client_for(emu) as client:
        sync(client, sink, "comments")
        sync(client, sink, "issue_status_history")
        sync(client, sink, "recent_updates")
        comments_before = sink.row_count("comments")
        history_before = sink.row_count("issue_status_history")
        activities_before = sink.row_count("recent_updates")

        issue_id = sorted(emu.state.issues)[5]
        old_status = emu.state.issues[issue_id].status_id
        new_status = 3 if old_status != 3 else 2
        client.patch(
            f"/issues/{issue_id}", [("statusId", new_status), ("comment", "moving it along")]
        )
        client.post(f"/issues/{issue_id}/comments", [("content", "a plain remark")])

        reads_before = client.stats.requests.get("read", 0)
        comments = sync(client, sink, "comments")
        # only the changed issue's comments were read, not every issue's
        assert client.stats.requests.get("read", 0) - reads_before < 10
        assert sink.row_count("comments") == comments_before + 2
        assert comments.ctx.new_cursor is not None
        texts = {r["content"] for r in table_rows(sink, "comments") if r["issue_id"] == issue_id}
        assert {"moving it along", "a plain remark"} <= texts

        sync(client, sink, "issue_status_history")
        assert sink.row_count("issue_status_history") == history_before + 1
        [latest] = [
            h
            for h in table_rows(sink, "issue_status_history", "comment_id")
            if h["issue_id"] == issue_id
        ][-1:]
        assert latest["to_status_id"] == new_status
        assert latest["from_status_id"] == old_status

        updates = sync(client, sink, "recent_updates")
        new_rows = table_rows(sink, "recent_updates", "id")[activities_before:]
        assert [r["type_id"] for r in new_rows] == [2, 3]
        assert all(r["issue_id"] == issue_id for r in new_rows)
        assert updates.ctx.new_cursor == {"version": 1, "max_id": len(emu.state.a_time)}
        assert sink.row_count("recent_updates") == len(emu.state.a_time)
        status_change = table_rows(sink, "recent_updates__changes", "activity_id")[-1]
        assert status_change["field"] == "status"
    sink.close()
