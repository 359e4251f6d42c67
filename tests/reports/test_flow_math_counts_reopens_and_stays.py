"""The timeline arithmetic on hand-made histories: reopened issues, issues that began past the
start status, repeated change records, and the day/week boundaries of flow and throughput."""

from __future__ import annotations

from backlog_connector.reports.flow_math import (
    DAY,
    StatusTargets,
    cumulative_flow,
    cycle_facts,
    throughput,
    week_of,
)
from backlog_connector.reports.timeline import Change, Timeline

MONDAY = 20_458 * DAY  # 2026-01-05, a Monday (UTC)
H = 3600


def _timeline(*moves: tuple[int, int, int], first: int = 1, created: int = MONDAY) -> Timeline:
    changes = [Change(n + 1, created + at, old, new) for n, (at, old, new) in enumerate(moves)]
    return Timeline(7, 1, created, first, changes)


def test_a_reopened_issue_is_resolved_at_its_last_close_and_counts_the_reopen() -> None:
    t = _timeline((2 * H, 1, 2), (5 * H, 2, 4), (6 * H, 4, 2), (10 * H, 2, 4))
    facts = cycle_facts(t, StatusTargets())
    assert facts.first_started == MONDAY + 2 * H
    assert facts.resolved == MONDAY + 10 * H
    assert facts.reopened == 1
    assert facts.lead_time_hours(MONDAY) == 10
    assert facts.cycle_time_hours() == 8
    assert {s: (st.seconds, st.entries) for s, st in facts.stays.items()} == {
        1: (2 * H, 1), 2: (7 * H, 2), 4: (1 * H, 2),
    }  # fmt: skip
    assert facts.status_since == MONDAY + 10 * H


def test_reopened_and_still_open_has_no_resolved_time() -> None:
    facts = cycle_facts(_timeline((H, 1, 4), (3 * H, 4, 2)), StatusTargets())
    assert facts.resolved is None
    assert facts.lead_time_hours(MONDAY) is None
    assert facts.cycle_time_hours() is None
    assert facts.reopened == 1


def test_an_issue_that_began_past_the_start_status_started_when_created() -> None:
    facts = cycle_facts(_timeline((4 * H, 2, 4), first=2), StatusTargets())
    assert facts.first_started == MONDAY
    assert facts.cycle_time_hours() == 4


def test_a_repeated_record_of_the_same_move_changes_nothing() -> None:
    once = cycle_facts(_timeline((H, 1, 2), (2 * H, 2, 4)), StatusTargets())
    twice = cycle_facts(_timeline((H, 1, 2), (H + 5, 1, 2), (2 * H, 2, 4)), StatusTargets())
    assert once == twice


def test_flow_counts_the_status_at_each_days_end() -> None:
    # created Monday 00:00, in progress Monday 23:00, closed Tuesday 01:00 and reopened 02:00
    t = _timeline((23 * H, 1, 2), (25 * H, 2, 4), (26 * H, 4, 2))
    day = MONDAY // DAY
    counts = {(c.day - day, c.status_id): c.issues
              for c in cumulative_flow([t], day + 2, {1: [1, 2, 3, 4]})}  # fmt: skip
    assert counts[(0, 1)] == 0
    assert counts[(0, 2)] == 1
    assert counts[(1, 4)] == 0  # closed for an hour inside the day: not at its end
    assert counts[(1, 2)] == 1
    assert counts[(2, 2)] == 1
    assert len(counts) == 3 * 4


def test_throughput_weeks_start_on_monday_and_count_reopens() -> None:
    sunday_night = MONDAY + 6 * DAY + 23 * H
    t = _timeline((sunday_night - MONDAY, 1, 4), (7 * DAY + H, 4, 2))
    assert week_of(sunday_night) == MONDAY // DAY
    weeks = throughput([t], MONDAY // DAY + 8, {1: 4})
    assert [(w.created, w.resolved, w.reopened, w.open_at_end) for w in weeks] == [
        (1, 1, 0, 0), (0, 0, 1, 1),
    ]  # fmt: skip
