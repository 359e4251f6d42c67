"""The derived reports: ``cycle_times``, ``cumulative_flow`` and ``throughput``.

All three compute from the issues' status timelines (``reports.timeline``). The first run reads
every issue's comments; later runs read only the space activities since the last one and the
issues they touch, and take the rest of the history from the dataset's own ``status_changes``
child table.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from backlog_connector.backlog.errors import InvalidOptionError
from backlog_connector.reports.base import OptionSpec, RunContext, TableBatch, UpdateMode
from backlog_connector.reports.batching import BatchBuffer, ChildTable
from backlog_connector.reports.columns import Row, Rows, TableShape, field
from backlog_connector.reports.common import PROJECTS_OPTION, PROJECTS_PARSER, CatalogReport
from backlog_connector.reports.flow_math import (
    StatusTargets,
    cumulative_flow,
    cycle_facts,
    day_of,
    iso_day,
    iso_week,
    throughput,
)
from backlog_connector.reports.options import Parser
from backlog_connector.reports.stored_timelines import previous_timelines
from backlog_connector.reports.timeline import (
    STATUS_CHANGES_TABLE,
    ProjectStatuses,
    Timeline,
    TimelineReader,
)
from backlog_connector.reports.values import DATE, FLOAT, INT, STRING, TIMESTAMP

START_OPTION = OptionSpec(
    "start_status",
    "the status work starts from: its id or name (default 1, Open / 未対応); "
    "first_started is the first move out of it",
    default=None,
)
CLOSED_OPTION = OptionSpec(
    "closed_status",
    "the status that means done: its id or name (default 4, Closed / 完了); "
    "resolved is the last move into it",
    default=None,
)


def _text(value: str) -> str:
    text = value.strip()
    if not text:
        raise InvalidOptionError("a status option is empty; give a status id or name, or drop it")
    return text


STATUS_PARSERS: dict[str, Parser] = {
    **PROJECTS_PARSER,
    "start_status": _text,
    "closed_status": _text,
}


def resolve_status(
    statuses: ProjectStatuses, project: Row, option: str, value: str | None, default: int
) -> int:
    """The status id ``value`` (an id or a name) stands for in ``project``; a name the project
    lacks is an ``InvalidOptionError`` listing the project's statuses."""
    if value is None:
        return default
    if value.isdigit():
        return int(value)
    project_id = project["id"]
    found = statuses.id_of(project_id, value)
    if found is None:
        names = ", ".join(f"{s.get('id')} {s.get('name')}" for s in statuses.of(project_id))
        raise InvalidOptionError(
            f"Option {option!r}: project {project.get('projectKey')} has no status {value!r}. "
            f"Its statuses: {names}. Give an id or one of these names."
        )
    return found


def targets_of(reader: TimelineReader, options: Mapping[str, Any]) -> dict[int, StatusTargets]:
    """Start and closed status per chosen project."""
    return {
        p["id"]: StatusTargets(
            resolve_status(reader.statuses, p, "start_status", options.get("start_status"), 1),
            resolve_status(reader.statuses, p, "closed_status", options.get("closed_status"), 4),
        )
        for p in reader.projects
    }


def _named(user: Any, key: str) -> Any:
    return user.get(key) if isinstance(user, dict) else None


CYCLE_TABLE = TableShape(
    "",
    (
        field("issue_id", INT),
        field("issue_key", STRING),
        field("project_id", INT),
        field("issue_type_name", STRING),
        field("assignee_id", INT),
        field("assignee_name", STRING),
        field("status_id", INT),
        field("status_name", STRING),
        field("status_since", TIMESTAMP),
        field("created", TIMESTAMP),
        field("first_started", TIMESTAMP),
        field("resolved", TIMESTAMP),
        field("lead_time_hours", FLOAT),
        field("cycle_time_hours", FLOAT),
        field("reopened", INT),
        field("status_changes", INT),
    ),
    key=("issue_id",),
    description=(
        "one row per issue: created, first started, resolved (NULL while open), "
        "lead and cycle time in hours, times reopened"
    ),
)

TIME_IN_STATUS_TABLE = TableShape(
    "time_in_status",
    (
        field("issue_id", INT),
        field("status_id", INT),
        field("status_name", STRING),
        field("hours", FLOAT),
        field("seconds", INT),
        field("entries", INT),
    ),
    key=("issue_id", "status_id"),
    description=(
        "hours each issue spent in each status (finished stays; the current one is still "
        "open: see status_since)"
    ),
    parent_key=("issue_id",),
)


def _time_in_status(rows: Rows) -> list[Row]:
    out: list[Row] = []
    for row in rows:
        for status_id, stay in row["_facts"].stays.items():
            out.append(
                {
                    "issue_id": row["issue_id"],
                    "status_id": status_id,
                    "status_name": row["_statuses"].name_of(row["project_id"], status_id),
                    "hours": stay.seconds / 3600,
                    "seconds": stay.seconds,
                    "entries": stay.entries,
                }
            )
    return out


def _status_changes(rows: Rows) -> list[Row]:
    return [change for row in rows for change in row["_timeline"].rows()]


class CycleTimesReport(CatalogReport):
    name = "cycle_times"
    title = "Cycle times"
    description = (
        "Per issue: when it was created, first started and resolved, lead and cycle time in "
        "hours, times reopened, and hours in each status. The first run reads every issue's "
        "comments; later runs read only the space activities since the last one."
    )
    options = (PROJECTS_OPTION, START_OPTION, CLOSED_OPTION)
    parsers: ClassVar[Mapping[str, Parser]] = STATUS_PARSERS
    tables = (
        CYCLE_TABLE.spec(),
        TIME_IN_STATUS_TABLE.spec(),
        STATUS_CHANGES_TABLE.spec(),
    )
    update_modes = (UpdateMode.MERGE, UpdateMode.REPLACE)
    default_update_mode = UpdateMode.MERGE
    incremental = True

    def read(self, ctx: RunContext) -> Iterator[TableBatch]:
        reader = TimelineReader(ctx, incremental_allowed=ctx.mode is UpdateMode.MERGE)
        targets = targets_of(reader, ctx.options)
        buffer = BatchBuffer(
            CYCLE_TABLE,
            (
                ChildTable(TIME_IN_STATUS_TABLE, _time_in_status),
                ChildTable(STATUS_CHANGES_TABLE, _status_changes),
            ),
            space=ctx.space,
            limit=self.batch_rows,
        )
        previous = previous_timelines(ctx) if reader.incremental else None
        timelines = reader.full() if previous is None else iter(reader.changed(previous))
        for timeline in timelines:
            row = self._row(timeline, targets, reader.statuses)
            timeline.issue = None  # keep memory flat over a long full read
            yield from buffer.add([row])
        yield from buffer.flush()
        ctx.deleted_keys = [(issue_id,) for issue_id in sorted(reader.deleted)]
        ctx.new_cursor = reader.cursor()

    @staticmethod
    def _row(
        timeline: Timeline, targets: dict[int, StatusTargets], statuses: ProjectStatuses
    ) -> Row:
        facts = cycle_facts(timeline, targets.get(timeline.project_id, StatusTargets()))
        issue = timeline.issue or {}
        assignee = issue.get("assignee")
        return {
            "issue_id": timeline.issue_id,
            "issue_key": issue.get("issueKey"),
            "project_id": timeline.project_id,
            "issue_type_name": _named(issue.get("issueType"), "name"),
            "assignee_id": _named(assignee, "id"),
            "assignee_name": _named(assignee, "name"),
            "status_id": facts.status,
            "status_name": statuses.name_of(timeline.project_id, facts.status),
            "status_since": facts.status_since,
            "created": timeline.created,
            "first_started": facts.first_started,
            "resolved": facts.resolved,
            "lead_time_hours": facts.lead_time_hours(timeline.created),
            "cycle_time_hours": facts.cycle_time_hours(),
            "reopened": facts.reopened,
            "status_changes": len(timeline.changes),
            "_facts": facts,
            "_statuses": statuses,
            "_timeline": timeline,
        }


def all_timelines(ctx: RunContext, reader: TimelineReader) -> dict[int, Timeline]:
    """Every chosen issue's timeline: the stored ones brought up to date, or a full read."""
    previous = previous_timelines(ctx) if reader.incremental else None
    if previous is None:
        timelines: dict[int, Timeline] = {}
        for timeline in reader.full():
            timeline.issue = None
            timelines[timeline.issue_id] = timeline
        return timelines
    reader.changed(previous)
    for timeline in previous.values():
        timeline.issue = None
    return previous


def _today() -> int:
    return day_of(int(time.time()))


def _timeline_batches(
    timelines: dict[int, Timeline], space: str, limit: int
) -> Iterator[TableBatch]:
    buffer: list[Row] = []
    for timeline in timelines.values():
        buffer.extend(timeline.rows())
        if len(buffer) >= limit:
            yield TableBatch(STATUS_CHANGES_TABLE.suffix, STATUS_CHANGES_TABLE.batch(buffer, space))
            buffer = []
    if buffer:
        yield TableBatch(STATUS_CHANGES_TABLE.suffix, STATUS_CHANGES_TABLE.batch(buffer, space))


def _project_keys(reader: TimelineReader) -> dict[int, Any]:
    return {p["id"]: p.get("projectKey") for p in reader.projects}


FLOW_TABLE = TableShape(
    "",
    (
        field("project_id", INT),
        field("project_key", STRING),
        field("day", DATE),
        field("status_id", INT),
        field("status_name", STRING),
        field("issues", INT),
    ),
    key=("project_id", "day", "status_id"),
    description="per project, per day (UTC), per status: issues in that status at the day's end",
)


class CumulativeFlowReport(CatalogReport):
    name = "cumulative_flow"
    title = "Cumulative flow"
    description = (
        "Per project, per day (UTC) from its first issue to today, per status: how many "
        "issues were in that status at the end of the day (a cumulative flow diagram). "
        "Kept fresh from the space activities after the first run."
    )
    options = (PROJECTS_OPTION,)
    parsers = PROJECTS_PARSER
    tables = (FLOW_TABLE.spec(), STATUS_CHANGES_TABLE.spec())
    update_modes = (UpdateMode.REPLACE,)
    default_update_mode = UpdateMode.REPLACE
    incremental = True

    def read(self, ctx: RunContext) -> Iterator[TableBatch]:
        reader = TimelineReader(ctx)
        timelines = all_timelines(ctx, reader)
        keys = _project_keys(reader)
        order = {pid: [s["id"] for s in reader.statuses.of(pid)] for pid in keys}
        counts = cumulative_flow(timelines.values(), _today(), order)
        for start in range(0, len(counts), self.batch_rows):
            rows = [
                {
                    "project_id": c.project_id,
                    "project_key": keys.get(c.project_id),
                    "day": iso_day(c.day),
                    "status_id": c.status_id,
                    "status_name": reader.statuses.name_of(c.project_id, c.status_id),
                    "issues": c.issues,
                }
                for c in counts[start : start + self.batch_rows]
            ]
            yield TableBatch("", FLOW_TABLE.batch(rows, ctx.space))
        yield from _timeline_batches(timelines, ctx.space, self.batch_rows)
        ctx.new_cursor = reader.cursor()


THROUGHPUT_TABLE = TableShape(
    "",
    (
        field("project_id", INT),
        field("project_key", STRING),
        field("week_start", DATE),
        field("iso_year", INT),
        field("iso_week", INT),
        field("created", INT),
        field("resolved", INT),
        field("reopened", INT),
        field("open_at_end", INT),
    ),
    key=("project_id", "week_start"),
    description=(
        "per project, per ISO week: issues created, resolved (moved into the closed status), "
        "reopened, and open (not closed) at the week's end"
    ),
)


class ThroughputReport(CatalogReport):
    name = "throughput"
    title = "Throughput"
    description = (
        "Per project, per ISO week (UTC, Monday first): issues created, resolved, reopened "
        "and open at the end of the week. Kept fresh from the space activities."
    )
    options = (PROJECTS_OPTION, CLOSED_OPTION)
    parsers: ClassVar[Mapping[str, Parser]] = STATUS_PARSERS
    tables = (THROUGHPUT_TABLE.spec(), STATUS_CHANGES_TABLE.spec())
    update_modes = (UpdateMode.REPLACE,)
    default_update_mode = UpdateMode.REPLACE
    incremental = True

    def read(self, ctx: RunContext) -> Iterator[TableBatch]:
        reader = TimelineReader(ctx)
        closed = {pid: t.closed for pid, t in targets_of(reader, ctx.options).items()}
        timelines = all_timelines(ctx, reader)
        keys = _project_keys(reader)
        weeks = throughput(timelines.values(), _today(), closed)
        for start in range(0, len(weeks), self.batch_rows):
            rows = []
            for w in weeks[start : start + self.batch_rows]:
                year, number = iso_week(w.week_start)
                rows.append(
                    {
                        "project_id": w.project_id,
                        "project_key": keys.get(w.project_id),
                        "week_start": iso_day(w.week_start),
                        "iso_year": year,
                        "iso_week": number,
                        "created": w.created,
                        "resolved": w.resolved,
                        "reopened": w.reopened,
                        "open_at_end": w.open_at_end,
                    }
                )
            yield TableBatch("", THROUGHPUT_TABLE.batch(rows, ctx.space))
        yield from _timeline_batches(timelines, ctx.space, self.batch_rows)
        ctx.new_cursor = reader.cursor()
