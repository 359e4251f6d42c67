"""Timelines read back from a dataset's own ``status_changes`` table (what an incremental run
of the derived reports starts from, see :mod:`.timeline`)."""

from __future__ import annotations

import pyarrow as pa

from backlog_connector.reports.base import RunContext
from backlog_connector.reports.timeline import STATUS_CHANGES_TABLE, Change, Timeline


def previous_timelines(ctx: RunContext) -> dict[int, Timeline] | None:
    """The timelines the dataset's ``status_changes`` table holds (None: no such table)."""
    if ctx.previous is None:
        return None
    table = ctx.previous(STATUS_CHANGES_TABLE.suffix)
    if table is None:
        return None
    return timelines_from_table(table)


def timelines_from_table(table: pa.Table) -> dict[int, Timeline]:
    """Rebuild timelines from rows of ``STATUS_CHANGES_TABLE``."""
    columns = {
        name: table.column(name).to_pylist()
        for name in ("issue_id", "project_id", "comment_id", "from_status_id", "to_status_id")
    }
    at = table.column("changed_at").cast(pa.int64()).to_pylist()
    # changed_at comes back in whatever unit the sink stored; bring it to seconds
    unit = table.schema.field("changed_at").type
    divisor = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}.get(
        getattr(unit, "unit", "s"), 1
    )
    timelines: dict[int, Timeline] = {}
    pending: list[tuple[int, Change]] = []
    for i, issue_id in enumerate(columns["issue_id"]):
        when = at[i] // divisor if at[i] is not None else None
        to_id = columns["to_status_id"][i]
        if issue_id is None or when is None or to_id is None:
            continue
        if columns["comment_id"][i] == 0:
            timelines[issue_id] = Timeline(issue_id, columns["project_id"][i], when, to_id)
        else:
            pending.append(
                (
                    issue_id,
                    Change(columns["comment_id"][i], when, columns["from_status_id"][i], to_id),
                )
            )
    for issue_id, change in pending:
        timeline = timelines.get(issue_id)
        if timeline is not None:
            timeline.changes.append(change)
    for timeline in timelines.values():
        timeline.changes.sort(key=lambda c: (c.at, c.comment_id))
    return timelines
