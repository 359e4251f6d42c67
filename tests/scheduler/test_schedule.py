"""Schedule parsing and the next due time, on a controlled clock, across DST changes."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from backlog_connector.backlog.errors import InvalidOptionError
from backlog_connector.datasets.schedules import next_due, parse_schedule

NY = "America/New_York"
BERLIN = "Europe/Berlin"
TOKYO = "Asia/Tokyo"


def local(tz: str, *args: int, fold: int = 0) -> datetime:
    """An aware local time (fold picks the second reading of a repeated hour)."""
    return datetime(*args, tzinfo=ZoneInfo(tz), fold=fold)  # type: ignore[misc]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def series(spec: str, tz: str, start: datetime, count: int) -> list[datetime]:
    """Successive due times, as a scheduler that is never late would see them."""
    schedule = parse_schedule(spec)
    first = next_due(schedule, tz, None, start)
    assert first is not None
    out = [first]
    while len(out) < count:
        following = next_due(schedule, tz, out[-1], out[-1])
        assert following is not None
        out.append(following)
    return out


# --- parsing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "kind", "canonical"),
    [
        ("manual", "manual", "manual"),
        ("  MANUAL ", "manual", "manual"),
        ("every 15m", "interval", "every 15m"),
        ("every 2h", "interval", "every 2h"),
        ("every 2 hours", "interval", "every 2h"),
        ("every 1d", "interval", "every 1d"),
        ("daily 09:00", "daily", "daily 09:00"),
        ("daily 9:05", "daily", "daily 09:05"),
        ("weekly mon,thu 09:00", "weekly", "weekly mon,thu 09:00"),
        ("Weekly Thu,Mon 18:30", "weekly", "weekly mon,thu 18:30"),
        ("weekly mon-fri 07:00", "weekly", "weekly mon,tue,wed,thu,fri 07:00"),
        ("cron 0 9 * * 1-5", "cron", "cron 0 9 * * 1-5"),
        ("cron   */15  *  * * *", "cron", "cron */15 * * * *"),
    ],
)
def test_parse_accepts_every_documented_form(spec: str, kind: str, canonical: str) -> None:
    schedule = parse_schedule(spec)
    assert schedule.kind == kind
    assert schedule.spec == canonical
    assert parse_schedule(schedule.spec) == schedule  # the canonical text parses back


def test_interval_seconds_and_cron_fields() -> None:
    assert parse_schedule("every 15m").interval_seconds == 900
    assert parse_schedule("every 2h").interval == timedelta(hours=2)
    assert parse_schedule("daily 09:30").cron == "30 9 * * *"
    assert parse_schedule("weekly mon,sun 09:00").cron == "0 9 * * 1,0"


def test_seconds_only_where_the_minimum_interval_allows() -> None:
    with pytest.raises(InvalidOptionError) as excinfo:
        parse_schedule("every 10s")
    message = str(excinfo.value)
    assert "minimum interval of 60 s" in message
    assert "BACKLOG_CONNECTOR_SCHEDULER__MIN_INTERVAL_SECONDS" in message
    assert parse_schedule("every 10s", min_interval_seconds=5).interval_seconds == 10
    assert parse_schedule("every 1m").interval_seconds == 60


def test_cron_finer_than_a_raised_minimum_is_refused() -> None:
    assert parse_schedule("cron */5 * * * *", min_interval_seconds=300).kind == "cron"
    with pytest.raises(InvalidOptionError, match="more often than the minimum interval"):
        parse_schedule("cron * * * * *", min_interval_seconds=300)


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("", "empty"),
        ("hourly", "unknown kind 'hourly'"),
        ("every", "an interval is"),
        ("every 15 parsecs", "an interval is"),
        ("every 0m", "longer than zero"),
        ("daily 25:00", "hours run 00-23"),
        ("daily 9am", "not a time"),
        ("daily", "not a time"),
        ("weekly funday 09:00", "'funday' is not a weekday"),
        ("weekly 09:00", "weekly needs days and a time"),
        ("weekly fri-mon 09:00", "runs backwards"),
        ("cron 0 9 * *", "five fields"),
        ("cron 0 0 9 * * 1", "five fields"),
        ("cron 99 9 * * *", "not a valid cron expression"),
        ("manual please", "unknown kind"),
    ],
)
def test_bad_specs_name_the_problem_and_the_accepted_forms(spec: str, problem: str) -> None:
    with pytest.raises(InvalidOptionError) as excinfo:
        parse_schedule(spec)
    message = str(excinfo.value)
    assert problem in message
    assert "Accepted forms: manual, every 15m" in message


# --- next due: manual and intervals -----------------------------------------------------------


def test_manual_is_never_due() -> None:
    assert next_due(parse_schedule("manual"), TOKYO, None, utc(2024, 1, 1)) is None
    assert next_due(parse_schedule("manual"), TOKYO, utc(2024, 1, 1), utc(2024, 2, 1)) is None


def test_interval_is_due_at_once_then_anchors_on_the_last_due_time() -> None:
    schedule = parse_schedule("every 15m")
    now = utc(2024, 5, 1, 12, 0, 7)
    assert next_due(schedule, TOKYO, None, now) == now
    last = utc(2024, 5, 1, 12, 0)
    # Running late (the run started at 12:00:40) does not move the grid.
    assert next_due(schedule, TOKYO, last, utc(2024, 5, 1, 12, 0, 40)) == utc(2024, 5, 1, 12, 15)
    assert next_due(schedule, TOKYO, last, utc(2024, 5, 1, 12, 15)) == utc(2024, 5, 1, 12, 15)


def test_interval_collapses_missed_due_times_into_one_catch_up() -> None:
    schedule = parse_schedule("every 15m")
    last = utc(2024, 5, 1, 12, 0)
    now = utc(2024, 5, 1, 14, 7)  # down for 8 due times
    due = next_due(schedule, TOKYO, last, now)
    assert due == utc(2024, 5, 1, 14, 0)  # the latest missed one, on the grid
    assert next_due(schedule, TOKYO, due, now) == utc(2024, 5, 1, 14, 15)


def test_interval_is_a_duration_across_dst() -> None:
    # 2024-03-10 02:00 EST -> 03:00 EDT in New York: "every 2h" stays 2 real hours apart.
    got = series("every 2h", NY, local(NY, 2024, 3, 10, 0, 0), 3)
    assert [b - a for a, b in itertools.pairwise(got)] == [timedelta(hours=2)] * 2
    assert [d.astimezone(ZoneInfo(NY)).hour for d in got] == [0, 3, 5]


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_due(parse_schedule("every 1h"), TOKYO, None, datetime(2024, 1, 1))


# --- next due: calendar schedules in a zone ----------------------------------------------------


def test_daily_runs_at_the_wall_clock_time_of_the_zone() -> None:
    schedule = parse_schedule("daily 09:00")
    now = utc(2024, 5, 1, 0, 30)  # 09:30 in Tokyo: today's 09:00 has passed
    assert next_due(schedule, TOKYO, None, now) == local(TOKYO, 2024, 5, 2, 9, 0)
    assert next_due(schedule, "UTC", None, now) == utc(2024, 5, 1, 9, 0)


def test_daily_keeps_local_time_across_both_dst_changes() -> None:
    spring = series("daily 09:00", BERLIN, local(BERLIN, 2024, 3, 29, 12, 0), 3)
    assert spring == [
        local(BERLIN, 2024, 3, 30, 9, 0), local(BERLIN, 2024, 3, 31, 9, 0),
        local(BERLIN, 2024, 4, 1, 9, 0),
    ]  # fmt: skip
    # 23 h over the night the clocks spring forward, then 24 h again.
    assert [b - a for a, b in itertools.pairwise(spring)] == [
        timedelta(hours=23),
        timedelta(hours=24),
    ]
    autumn = series("daily 09:00", BERLIN, local(BERLIN, 2024, 10, 26, 10, 0), 2)
    assert autumn == [local(BERLIN, 2024, 10, 27, 9, 0), local(BERLIN, 2024, 10, 28, 9, 0)]
    assert autumn[0] - local(BERLIN, 2024, 10, 26, 9, 0) == timedelta(hours=25)


def test_skipped_wall_time_runs_when_the_clocks_jump() -> None:
    # New York, 2024-03-10: 02:00 EST becomes 03:00 EDT; 02:30 does not exist that day.
    got = series("daily 02:30", NY, local(NY, 2024, 3, 9, 12, 0), 3)
    assert got[0] == utc(2024, 3, 10, 7, 0)  # = 03:00 EDT, the moment of the jump
    assert got[0].astimezone(ZoneInfo(NY)).strftime("%H:%M %Z") == "03:00 EDT"
    assert got[1] == local(NY, 2024, 3, 11, 2, 30)
    assert got[1].astimezone(ZoneInfo(NY)).strftime("%H:%M %Z") == "02:30 EDT"
    assert got[2] == local(NY, 2024, 3, 12, 2, 30)


def test_repeated_wall_time_runs_once_at_its_first_occurrence() -> None:
    # New York, 2024-11-03: 02:00 EDT becomes 01:00 EST; 01:30 happens twice.
    got = series("daily 01:30", NY, local(NY, 2024, 11, 2, 12, 0), 2)
    assert got[0] == utc(2024, 11, 3, 5, 30)  # 01:30 EDT, not 01:30 EST (06:30Z)
    assert got[1] == local(NY, 2024, 11, 4, 1, 30)
    # Standing in the second 01:30 (after the first one ran), nothing is due until tomorrow.
    second = local(NY, 2024, 11, 3, 1, 45, fold=1)
    assert next_due(parse_schedule("daily 01:30"), NY, got[0], second) == got[1]


def test_cron_every_half_hour_through_spring_forward_never_repeats() -> None:
    got = series("cron */30 * * * *", NY, local(NY, 2024, 3, 10, 1, 0), 4)
    walls = [d.astimezone(ZoneInfo(NY)).strftime("%H:%M %Z") for d in got]
    # 02:00 and 02:30 do not exist: both fold into the jump at 03:00, which runs once.
    assert walls == ["01:30 EST", "03:00 EDT", "03:30 EDT", "04:00 EDT"]
    assert got == sorted(set(got))


def test_cron_every_half_hour_through_fall_back_runs_each_wall_time_once() -> None:
    got = series("cron */30 * * * *", NY, local(NY, 2024, 11, 3, 0, 45), 4)
    walls = [d.astimezone(ZoneInfo(NY)).strftime("%H:%M %Z") for d in got]
    assert walls == ["01:00 EDT", "01:30 EDT", "02:00 EST", "02:30 EST"]
    # The hour between 01:30 EDT and 02:00 EST is two real hours long: nothing runs twice.
    assert got[2] - got[1] == timedelta(hours=1, minutes=30)


def test_weekly_picks_the_chosen_days_in_the_zone() -> None:
    # 2024-03-07 is a Thursday; Berlin springs forward on Sunday 2024-03-31.
    got = series("weekly mon,thu 09:00", BERLIN, local(BERLIN, 2024, 3, 7, 9, 0), 5)
    assert [d.astimezone(ZoneInfo(BERLIN)).strftime("%a %d %H:%M") for d in got] == [
        "Mon 11 09:00",
        "Thu 14 09:00",
        "Mon 18 09:00",
        "Thu 21 09:00",
        "Mon 25 09:00",
    ]
    after_dst = series("weekly mon 09:00", BERLIN, local(BERLIN, 2024, 3, 26, 0, 0), 2)
    assert after_dst == [local(BERLIN, 2024, 4, 1, 9, 0), local(BERLIN, 2024, 4, 8, 9, 0)]
    assert after_dst[0] == utc(2024, 4, 1, 7, 0)  # 09:00 CEST (UTC+2) after the change


def test_cron_weekdays_in_the_zone() -> None:
    schedule = parse_schedule("cron 0 9 * * 1-5")
    friday_evening = local(NY, 2024, 3, 8, 18, 0)
    assert next_due(schedule, NY, None, friday_evening) == local(NY, 2024, 3, 11, 9, 0)


def test_calendar_catch_up_after_downtime_is_one_run_at_the_latest_missed_time() -> None:
    schedule = parse_schedule("daily 09:00")
    last = local(BERLIN, 2024, 3, 20, 9, 0)
    now = local(BERLIN, 2024, 3, 31, 12, 0)  # down for 11 due times, across the DST change
    due = next_due(schedule, BERLIN, last, now)
    assert due == local(BERLIN, 2024, 3, 31, 9, 0)
    assert next_due(schedule, BERLIN, due, now) == local(BERLIN, 2024, 4, 1, 9, 0)
    # Not yet due: the answer is in the future.
    assert next_due(schedule, BERLIN, due, local(BERLIN, 2024, 3, 31, 23, 0)) == local(
        BERLIN, 2024, 4, 1, 9, 0
    )


def test_catch_up_inside_a_repeated_hour_takes_the_latest_passed_time() -> None:
    schedule = parse_schedule("cron */30 * * * *")
    last = local(NY, 2024, 11, 2, 20, 0)
    second_pass = local(NY, 2024, 11, 3, 1, 50, fold=1)  # 01:50 EST, in the repeated hour
    # The latest passed due time is 01:30 EDT; the repeated 01:00/01:30 EST are not due times.
    assert next_due(schedule, NY, last, second_pass) == utc(2024, 11, 3, 5, 30)  # 01:30 EDT


def test_unknown_zone_is_a_clear_error() -> None:
    with pytest.raises(InvalidOptionError, match="Time zone 'Mars/Olympus' is unknown"):
        next_due(parse_schedule("daily 09:00"), "Mars/Olympus", None, utc(2024, 1, 1))
