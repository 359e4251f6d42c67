"""A merge run of issues with nothing changed writes no row, though ``updatedSince`` (a date)
makes it read the cursor's day again; a real change on that day is still written, even one
in the very second of the cursor (the row's content differs, its ``updated`` does not)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from backlog_connector.emulator import Emulator
from backlog_connector.sinks.duckdb import DuckDBSink

from .conftest import client_for, sync, table_rows


def test_unchanged_runs_write_nothing_and_changes_on_the_cursor_day_are_written(
    make_emulator: Callable[..., Emulator], tmp_path: Path
) -> None:
    emu = make_emulator(issues=300, projects=2)
    sink = DuckDBSink(tmp_path / "warehouse.duckdb")
    try:
        with client_for(emu) as client:
            first = sync(client, sink, "issues")
            cursor = first.ctx.new_cursor
            assert cursor is not None
            assert cursor["seen"]
            assert set(cursor["digests"]) == set(cursor["seen"])

            unchanged = sync(client, sink, "issues")
            assert unchanged.ctx.rows_read > 0  # the cursor's day is read again ...
            assert sum(unchanged.stats.rows_written.values()) == 0  # ... and nothing written

            # a second write in the cursor's very second: same `updated`, new content
            boundary = int(next(iter(cursor["seen"])))
            issue = emu.state.issues[boundary]
            assert cursor["seen"][str(boundary)] == issue.updated
            issue.summary = "changed within the same second"
            emu.renderer.forget(boundary)
            same_second = sync(client, sink, "issues")
            assert same_second.stats.rows_written["issues"] == 1
            rows = {r["id"]: r for r in table_rows(sink, "issues", "id")}
            assert rows[boundary]["summary"] == "changed within the same second"

            # a change through the API later on the day, then nothing again
            other = emu.state.order[0].id
            client.patch(f"/issues/{other}", [("summary", "changed through the API")])
            later = sync(client, sink, "issues")
            assert later.stats.rows_written["issues"] == 1
            rows = {r["id"]: r for r in table_rows(sink, "issues", "id")}
            assert rows[other]["summary"] == "changed through the API"
            assert sum(sync(client, sink, "issues").stats.rows_written.values()) == 0
            assert sink.row_count("issues") == 300
    finally:
        sink.close()
