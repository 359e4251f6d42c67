"""Incremental runs against the emulator: a merge run after 1 % of the issues changed and 10
were deleted leaves the table equal to a fresh full sync, with a bounded number of searches."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from backlog_connector.backlog.client import BacklogClient
from backlog_connector.emulator import Emulator
from backlog_connector.reports.base import RunContext, UpdateMode
from backlog_connector.reports.issues import IssuesReport
from backlog_connector.sinks.duckdb import DuckDBSink

from .conftest import client_for, sync, table_rows

ISSUE_TABLES = ("", "__categories", "__versions", "__milestones", "__custom_fields")
CHILD_KEYS = {
    "": ("id",),
    "__categories": ("issue_id", "category_id"),
    "__versions": ("issue_id", "version_id"),
    "__milestones": ("issue_id", "milestone_id"),
    "__custom_fields": ("issue_id", "field_id"),
}


def _change_and_delete(
    emu: Emulator, client: BacklogClient, changes: int, deletions: int, seed: int = 7
) -> tuple[list[int], list[int]]:
    rng = random.Random(seed)
    ids = sorted(emu.state.issues)
    changed = rng.sample(ids, changes)
    for n, issue_id in enumerate(changed):
        form: list[tuple[str, Any]] = [("summary", f"changed #{n}")]
        if n % 2:
            form.append(("statusId", 2 + n % 3))
        client.patch(f"/issues/{issue_id}", form)
    candidates = [
        i
        for i in ids
        if i not in changed
        and not emu.state.children.get(i)
        and emu.state.issues[i].parent_issue_id is None
    ]
    deleted = rng.sample(candidates, deletions)
    for issue_id in deleted:
        client.delete(f"/issues/{issue_id}")
    return changed, deleted


def _assert_same_tables(sink: DuckDBSink, merged: str, fresh: str) -> None:
    for suffix in ISSUE_TABLES:
        key = CHILD_KEYS[suffix]
        left = table_rows(sink, merged + suffix, *key)
        right = table_rows(sink, fresh + suffix, *key)
        assert len(left) == len(right), suffix
        assert left == right, suffix


def _merge_after_changes(
    make_emulator: Callable[..., Emulator], tmp_path: Path, issues: int
) -> None:
    emu = make_emulator(issues=issues, projects=4)
    sink = DuckDBSink(tmp_path / "warehouse.duckdb")
    with client_for(emu) as client:
        first = sync(client, sink, "issues")
        assert first.ctx.complete, first.ctx.incomplete_reason
        assert first.ctx.new_cursor is not None
        assert first.ctx.new_cursor["activity_id"] == len(emu.state.a_time)
        assert sink.row_count("issues") == issues

        changes = issues // 100
        changed, deleted = _change_and_delete(emu, client, changes, 10)
        searches_before = client.stats.requests.get("search", 0)
        second = sync(client, sink, "issues")
        searches = client.stats.requests.get("search", 0) - searches_before

        assert second.ctx.complete, second.ctx.incomplete_reason
        assert sorted(k for (k,) in second.ctx.deleted_keys) == sorted(deleted)
        assert second.stats.rows_written["issues"] >= changes
        assert searches <= math.ceil(changes / 100) + 3, searches
        assert sink.row_count("issues") == issues - 10
        merged = {r["id"]: r for r in table_rows(sink, "issues")}
        assert all(merged[i]["summary"].startswith("changed #") for i in changed)
        assert not set(deleted) & set(merged)

        sync(client, sink, "issues", table="fresh", mode="replace")
        _assert_same_tables(sink, "issues", "fresh")

        # nothing changed since: the next merge run writes nothing and keeps the table
        third = sync(client, sink, "issues")
        assert third.ctx.complete
        assert third.ctx.deleted_keys == []
        _assert_same_tables(sink, "issues", "fresh")
    sink.close()


def test_merge_after_changes_equals_a_fresh_full_sync(
    make_emulator: Callable[..., Emulator], tmp_path: Path
) -> None:
    _merge_after_changes(make_emulator, tmp_path, 2_000)


@pytest.mark.slow
def test_merge_after_changes_equals_a_fresh_full_sync_20k(
    make_emulator: Callable[..., Emulator], tmp_path: Path
) -> None:
    _merge_after_changes(make_emulator, tmp_path, 20_000)


def _run_with_write_between_pages(
    client: BacklogClient, sink: DuckDBSink, write: Callable[[int], None]
) -> RunContext:
    """A merge run of issues that calls ``write(first issue id read)`` after the first page."""
    # a batch per page, no read-ahead: the write lands between two page reads
    report = IssuesReport(batch_rows=100, read_ahead=0)
    ctx = RunContext(
        client=client,
        options=report.validate_options({}),
        space=client.address.fqdn,
        mode=UpdateMode.MERGE,
        cursor=sink.read_state("issues"),
    )
    run = sink.open_run("issues", report.tables, ctx.mode, run_id="between-pages")
    written = False
    for batch in report.read(ctx):
        run.write(batch)
        if not written and batch.suffix == "":
            write(batch.batch.column("id")[0].as_py())
            written = True
    if ctx.deleted_keys:
        run.delete(ctx.deleted_keys)
    run.commit(ctx.new_cursor)
    return ctx


def test_an_update_behind_a_full_run_is_caught_by_the_next_run(
    make_emulator: Callable[..., Emulator], tmp_path: Path
) -> None:
    emu = make_emulator(issues=450, projects=2)
    sink = DuckDBSink(tmp_path / "warehouse.duckdb")
    with client_for(emu) as client:
        edited: list[int] = []

        def edit(issue_id: int) -> None:
            client.patch(f"/issues/{issue_id}", [("summary", "edited mid-run")])
            edited.append(issue_id)

        ctx = _run_with_write_between_pages(client, sink, edit)
        assert ctx.complete, ctx.incomplete_reason
        [row] = [r for r in table_rows(sink, "issues") if r["id"] == edited[0]]
        assert row["summary"] != "edited mid-run"  # read before the edit

        after = sync(client, sink, "issues")
        assert after.ctx.complete
        assert after.stats.rows_written["issues"] < 450  # incremental, not a full read
        [row] = [r for r in table_rows(sink, "issues") if r["id"] == edited[0]]
        assert row["summary"] == "edited mid-run"
        sync(client, sink, "issues", table="fresh", mode="replace")
        _assert_same_tables(sink, "issues", "fresh")
    sink.close()


def test_a_deletion_while_paging_is_reported_and_healed(
    make_emulator: Callable[..., Emulator], tmp_path: Path
) -> None:
    """Deleting an issue already read shifts the rest of the list forward by one, so one unread
    issue slips past the page boundary: the count check reports the run incomplete, and the
    next run reads everything again and repairs the table."""
    emu = make_emulator(issues=450, projects=2)
    sink = DuckDBSink(tmp_path / "warehouse.duckdb")
    with client_for(emu) as client:
        ctx = _run_with_write_between_pages(
            client, sink, lambda issue_id: client.delete(f"/issues/{issue_id}")
        )
        assert not ctx.complete
        assert "issues/count" in (ctx.incomplete_reason or "")
        assert ctx.new_cursor is not None
        assert ctx.new_cursor["complete"] is False
        assert sink.row_count("issues") == 448  # the deleted one gone, one slipped through

        healed = sync(client, sink, "issues")
        assert healed.ctx.complete
        assert healed.stats.rows_written["issues"] == 449  # a full read again
        sync(client, sink, "issues", table="fresh", mode="replace")
        _assert_same_tables(sink, "issues", "fresh")
        assert sink.row_count("issues") == 449
    sink.close()
