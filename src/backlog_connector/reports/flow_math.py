"""The arithmetic of status timelines: cycle times, time in status, cumulative flow, throughput.

Pure functions over ``Timeline`` objects; times are epoch seconds, days are UTC day numbers.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from backlog_connector.reports.timeline import Timeline

DAY = 86_400
_EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class StatusTargets:
    """Which statuses start and finish work in one project."""

    start: int = 1
    closed: int = 4


@dataclass(frozen=True)
class Stay:
    """The finished stays of one issue in one status: total seconds and how often entered."""

    seconds: int
    entries: int


@dataclass(frozen=True)
class CycleFacts:
    """What ``cycle_times`` reports for one issue.

    ``first_started``: the first move out of the start status (the creation time when the
    issue began in another status); ``resolved``: the last move into the closed status, None
    unless the issue is closed now; ``reopened``: moves out of the closed status; ``stays``:
    finished stays per status (the current one is still open and not counted);
    ``status_since``: when the issue entered its current status.
    """

    first_started: int | None
    resolved: int | None
    reopened: int
    stays: dict[int, Stay]
    status: int
    status_since: int

    def lead_time_hours(self, created: int) -> float | None:
        """Hours from creation to resolution (None while open)."""
        return None if self.resolved is None else (self.resolved - created) / 3600

    def cycle_time_hours(self) -> float | None:
        """Hours from the first start to resolution (None while open or never started)."""
        if self.resolved is None or self.first_started is None:
            return None
        return (self.resolved - self.first_started) / 3600


def cycle_facts(timeline: Timeline, targets: StatusTargets) -> CycleFacts:
    """Walk one issue's changes and add up its cycle facts."""
    status, since = timeline.first_status, timeline.created
    first_started = None if status == targets.start else timeline.created
    seconds: dict[int, int] = defaultdict(int)
    entries: dict[int, int] = defaultdict(int)
    entries[status] += 1
    closed_at: int | None = None
    reopened = 0
    for change in timeline.changes:
        if change.to_id == status:
            continue  # a repeated record of a change already counted
        seconds[status] += max(0, change.at - since)
        if first_started is None and status == targets.start:
            first_started = change.at
        if status == targets.closed:
            reopened += 1
        if change.to_id == targets.closed:
            closed_at = change.at
        status, since = change.to_id, change.at
        entries[status] += 1
    stays = {s: Stay(seconds.get(s, 0), n) for s, n in entries.items()}
    resolved = closed_at if status == targets.closed else None
    return CycleFacts(first_started, resolved, reopened, stays, status, since)


def day_of(epoch: int) -> int:
    """The UTC day number of an epoch time."""
    return epoch // DAY


def iso_day(day: int) -> str:
    """``yyyy-MM-dd`` of a day number."""
    return (_EPOCH + dt.timedelta(days=day)).isoformat()


@dataclass(frozen=True)
class FlowCount:
    """Issues of one project in one status at the end of one day."""

    project_id: int
    day: int
    status_id: int
    issues: int


def cumulative_flow(
    timelines: Iterable[Timeline], last_day: int, statuses: dict[int, list[int]]
) -> list[FlowCount]:
    """Per project, per day from its first issue to ``last_day``, per status (``statuses``:
    the project's status ids in display order; statuses met only in the history follow):
    how many issues were in that status at the end of that day."""
    deltas: dict[int, dict[int, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    first_day: dict[int, int] = {}
    for t in timelines:
        project = deltas[t.project_id]
        start = day_of(t.created)
        first_day[t.project_id] = min(first_day.get(t.project_id, start), start)
        status = t.first_status
        _bump(project, status, start, 1)
        for change in t.changes:
            if change.to_id == status:
                continue
            day = day_of(change.at)
            _bump(project, status, day, -1)
            _bump(project, change.to_id, day, 1)
            status = change.to_id
    out: list[FlowCount] = []
    for project_id in sorted(deltas):
        per_status = deltas[project_id]
        order = list(statuses.get(project_id, []))
        order += sorted(s for s in per_status if s not in order)
        begin = first_day[project_id]
        for status_id in order:
            changes = per_status.get(status_id, {})
            count = 0
            for day in range(begin, max(begin, last_day) + 1):
                count += changes.get(day, 0)
                out.append(FlowCount(project_id, day, status_id, count))
    out.sort(key=lambda f: (f.project_id, f.day, order_index(statuses, f)))
    return out


def order_index(statuses: dict[int, list[int]], count: FlowCount) -> int:
    """Where a status sorts within its project (display order; unknown ones last)."""
    known = statuses.get(count.project_id, [])
    return (
        known.index(count.status_id) if count.status_id in known else len(known) + count.status_id
    )


def _bump(project: dict[int, dict[int, int]], status: int, day: int, by: int) -> None:
    days = project.setdefault(status, {})
    days[day] = days.get(day, 0) + by


@dataclass(frozen=True)
class WeekCount:
    """One project's ISO week: issues created, resolved (moves into the closed status),
    reopened (moves out of it), and open (not closed) at the week's end."""

    project_id: int
    week_start: int  # day number of the Monday
    created: int
    resolved: int
    reopened: int
    open_at_end: int


def week_of(epoch: int) -> int:
    """Day number of the Monday of the ISO week holding ``epoch`` (UTC)."""
    day = day_of(epoch)
    return day - (_EPOCH + dt.timedelta(days=day)).weekday()


def throughput(
    timelines: Iterable[Timeline], last_day: int, closed: dict[int, int]
) -> list[WeekCount]:
    """Per project, per ISO week from its first issue's week to the week of ``last_day``.
    ``closed``: the closed status per project (4 where missing)."""
    created: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    resolved: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    reopened: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for t in timelines:
        done = closed.get(t.project_id, 4)
        created[t.project_id][week_of(t.created)] += 1
        status = t.first_status
        for change in t.changes:
            if change.to_id == status:
                continue
            if change.to_id == done:
                resolved[t.project_id][week_of(change.at)] += 1
            elif status == done:
                reopened[t.project_id][week_of(change.at)] += 1
            status = change.to_id
    out: list[WeekCount] = []
    last_week = week_of(last_day * DAY)
    for project_id in sorted(created):
        weeks = created[project_id]
        open_now = 0
        week, end = min(weeks), max(last_week, max(weeks))
        while week <= end:
            made = weeks.get(week, 0)
            done_n = resolved[project_id].get(week, 0)
            again = reopened[project_id].get(week, 0)
            open_now += made - done_n + again
            out.append(WeekCount(project_id, week, made, done_n, again, open_now))
            week += 7
    return out


def iso_week(day: int) -> tuple[int, int]:
    """(ISO year, ISO week number) of a day number."""
    year, week, _ = (_EPOCH + dt.timedelta(days=day)).isocalendar()
    return year, week
