"""When a dataset is due: schedule specs and the next due time.

Accepted specs (case-insensitive)::

    manual                       never runs on its own
    every 15m | every 2h         a fixed interval (s, m, h, d); seconds only where
                                 ``scheduler.min_interval_seconds`` allows them
    daily 09:00                  every day at a wall-clock time of the zone
    weekly mon,thu 09:00         chosen weekdays (mon..sun, ranges like mon-fri) at a time
    cron 0 9 * * 1-5             a five-field cron expression on wall-clock time

Time rules. An interval is a duration: it ignores the zone and DST, and anchors on the previous
due time (``every 2h`` stays two real hours apart across a DST change). Calendar schedules
(daily, weekly, cron) name wall-clock times in the zone, and two DST rules keep them sane:

* a time that does not exist (the hour skipped when clocks spring forward) runs at the moment the
  clocks jump: ``daily 02:30`` in New York runs at 03:00 EDT on the second Sunday of March;
* a time that happens twice (the hour repeated when clocks fall back) runs once, at its first
  occurrence: ``daily 01:30`` in New York runs at 01:30 EDT on the first Sunday of November.

Both rules keep due times in order and never run one wall-clock time twice. ``next_due`` is a
pure function: the caller passes the clock in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, croniter

from backlog_connector.backlog.errors import InvalidOptionError

ScheduleKind = Literal["manual", "interval", "daily", "weekly", "cron"]

ACCEPTED_FORMS = (
    "manual, every 15m, every 2h, every 10s (seconds only where the minimum interval allows), "
    "daily 09:00, weekly mon,thu 09:00, cron 0 9 * * 1-5"
)

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
#: the longest interval a schedule may have (a leap year): longer ones overflow date arithmetic
MAX_INTERVAL_SECONDS = 366 * 86400
_MAX_INTERVAL_TEXT = "366 days (every 366d, every 8784h, every 527040m)"
_UNIT_ALIASES = {
    "s": "s", "sec": "s", "secs": "s", "second": "s", "seconds": "s",
    "m": "m", "min": "m", "mins": "m", "minute": "m", "minutes": "m",
    "h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
    "d": "d", "day": "d", "days": "d",
}  # fmt: skip
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Backlog-style three-letter days and the full names; cron counts Sunday as 0.
_DAY_INDEX = {**{d: i for i, d in enumerate(_DAYS)}, "monday": 0, "tuesday": 1,
              "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6}  # fmt: skip

_INTERVAL_RE = re.compile(r"^every\s+(\d+)\s*([a-z]+)$")
_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})$")


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule. ``spec`` is the canonical text (what ``parse_schedule`` accepts).

    Calendar kinds (daily, weekly, cron) carry ``cron``: a five-field expression evaluated on
    wall-clock time in the dataset's zone. Interval schedules carry ``interval_seconds``.
    """

    kind: ScheduleKind
    spec: str
    interval_seconds: int = 0
    cron: str = ""

    @property
    def is_manual(self) -> bool:
        """True when the schedule never makes a dataset due."""
        return self.kind == "manual"

    @property
    def interval(self) -> timedelta:
        """The interval of an interval schedule (zero for other kinds)."""
        return timedelta(seconds=self.interval_seconds)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready description."""
        return {"kind": self.kind, "spec": self.spec, "interval_seconds": self.interval_seconds,
                "cron": self.cron}  # fmt: skip


MANUAL = Schedule(kind="manual", spec="manual")


def _invalid(spec: str, problem: str) -> InvalidOptionError:
    return InvalidOptionError(
        f"Schedule {spec!r} is not valid: {problem}. Accepted forms: {ACCEPTED_FORMS}."
    )


def parse_schedule(spec: str, *, min_interval_seconds: int = 60) -> Schedule:
    """Parse a schedule spec; raise ``InvalidOptionError`` naming the problem and the forms.

    ``min_interval_seconds`` is the shortest interval allowed (``scheduler.min_interval_seconds``);
    a cron expression that fires more often than that is refused too.
    """
    text = " ".join(str(spec).strip().lower().split())
    if not text:
        raise _invalid(spec, "it is empty")
    head, _, rest = text.partition(" ")
    if head == "manual" and not rest:
        return MANUAL
    if head == "every":
        return _parse_interval(spec, text, min_interval_seconds)
    if head == "daily":
        hour, minute = _parse_time(spec, rest)
        return Schedule(kind="daily", spec=f"daily {hour:02d}:{minute:02d}",
                        cron=f"{minute} {hour} * * *")  # fmt: skip
    if head == "weekly":
        return _parse_weekly(spec, rest)
    if head == "cron":
        return _parse_cron(spec, rest, min_interval_seconds)
    raise _invalid(spec, f"unknown kind {head!r}")


def _parse_interval(spec: str, text: str, min_interval_seconds: int) -> Schedule:
    match = _INTERVAL_RE.match(text)
    unit = _UNIT_ALIASES.get(match.group(2)) if match else None
    if match is None or unit is None:
        raise _invalid(spec, "an interval is 'every N' followed by s, m, h or d (every 15m)")
    digits = match.group(1).lstrip("0") or "0"
    # Compare before converting: a count of thousands of digits is refused without the work.
    count = int(digits) if len(digits) <= 12 else MAX_INTERVAL_SECONDS + 1
    seconds = count * _UNIT_SECONDS[unit]
    if seconds > MAX_INTERVAL_SECONDS:
        raise _invalid(
            spec, f"the longest interval allowed is {_MAX_INTERVAL_TEXT}; choose a shorter one"
        )
    if seconds <= 0:
        raise _invalid(spec, "the interval must be longer than zero")
    if seconds < min_interval_seconds:
        raise _invalid(
            spec,
            f"{seconds} s is shorter than the minimum interval of {min_interval_seconds} s "
            "(setting scheduler.min_interval_seconds, environment variable "
            "BACKLOG_CONNECTOR_SCHEDULER__MIN_INTERVAL_SECONDS); choose a longer interval",
        )
    return Schedule(kind="interval", spec=f"every {count}{unit}", interval_seconds=seconds)


def _parse_time(spec: str, text: str) -> tuple[int, int]:
    match = _TIME_RE.match(text.strip())
    if match is None:
        raise _invalid(spec, f"{text or 'nothing'!r} is not a time; write HH:MM (24-hour)")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise _invalid(spec, f"{text!r} is not a time of day; hours run 00-23, minutes 00-59")
    return hour, minute


def _parse_weekly(spec: str, rest: str) -> Schedule:
    days_text, _, time_text = rest.rpartition(" ")
    if not days_text:
        raise _invalid(spec, "weekly needs days and a time (weekly mon,thu 09:00)")
    days: set[int] = set()
    for part in days_text.replace(" ", "").split(","):
        first, dash, last = part.partition("-")
        if first not in _DAY_INDEX or (dash and last not in _DAY_INDEX):
            raise _invalid(spec, f"{part!r} is not a weekday; use {','.join(_DAYS)} or a range "
                                 "like mon-fri")  # fmt: skip
        start, end = _DAY_INDEX[first], _DAY_INDEX[last] if dash else _DAY_INDEX[first]
        if end < start:
            raise _invalid(spec, f"the range {part!r} runs backwards; write it from mon to sun")
        days.update(range(start, end + 1))
    hour, minute = _parse_time(spec, time_text)
    ordered = sorted(days)
    canonical = f"weekly {','.join(_DAYS[d] for d in ordered)} {hour:02d}:{minute:02d}"
    cron_days = ",".join(str((d + 1) % 7) for d in ordered)
    return Schedule(kind="weekly", spec=canonical, cron=f"{minute} {hour} * * {cron_days}")


def _parse_cron(spec: str, expr: str, min_interval_seconds: int) -> Schedule:
    fields = expr.split()
    if len(fields) != 5:
        raise _invalid(spec, "a cron expression has five fields: minute hour day month weekday")
    expr = " ".join(fields)
    if not croniter.is_valid(expr):
        raise _invalid(spec, f"{expr!r} is not a valid cron expression")
    try:  # a valid expression may still never fire (cron 0 0 30 2 *: February 30th)
        croniter(expr, datetime(2024, 1, 1)).get_next(datetime)
    except (CroniterBadDateError, ValueError, OverflowError) as exc:
        raise _invalid(spec, f"{expr!r} never fires; choose days that exist") from exc
    if min_interval_seconds > 60:
        # Cron fires at most once a minute; consecutive firings show its tightest gap.
        it = croniter(expr, datetime(2024, 1, 1))
        previous = it.get_next(datetime)
        for _ in range(500):
            current = it.get_next(datetime)
            if (current - previous).total_seconds() < min_interval_seconds:
                raise _invalid(spec, f"it fires more often than the minimum interval of "
                                     f"{min_interval_seconds} s")  # fmt: skip
            previous = current
    return Schedule(kind="cron", spec=f"cron {expr}", cron=expr)


def zone_info(tz: str) -> ZoneInfo:
    """The ``ZoneInfo`` for an IANA name; ``InvalidOptionError`` when there is none."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidOptionError(
            f"Time zone {tz!r} is unknown: use an IANA name such as Asia/Tokyo, "
            "Europe/Berlin or UTC."
        ) from exc


def next_due(
    schedule: Schedule, tz: str, last_due: datetime | None, now: datetime
) -> datetime | None:
    """The due time a scheduler should act on next, in UTC; None for a manual schedule.

    * No previous due time: an interval schedule is due at once (``now``); a calendar schedule
      at its first wall-clock time after ``now``.
    * Otherwise the first due time after ``last_due``. When that has passed already (the
      service was down, or is running late) the answer is the *latest* due time that is not
      after ``now``: several missed due times collapse into one catch-up run.

    The result is in the future exactly when nothing is due yet. ``last_due`` and ``now`` must
    be timezone-aware.
    """
    if schedule.kind == "manual":
        return None
    now = _aware(now, "now")
    if schedule.kind == "interval":
        step = schedule.interval
        if last_due is None:
            return now
        last = _aware(last_due, "last_due")
        missed = (now - last) // step
        return last + missed * step if missed >= 1 else last + step
    zone = zone_info(tz)
    if last_due is None:
        return _cron_after(schedule.cron, zone, now)
    following = _cron_after(schedule.cron, zone, _aware(last_due, "last_due"))
    if following > now:
        return following
    return _cron_at_or_before(schedule.cron, zone, now)


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")
    return value.astimezone(UTC)


def _wall(instant: datetime, zone: ZoneInfo) -> datetime:
    """The naive wall-clock reading of ``instant`` in ``zone``."""
    return instant.astimezone(zone).replace(tzinfo=None)


def _instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant a wall-clock time stands for, by the module's two DST rules.

    Together the rules make this mapping non-decreasing, so scanning wall times in order
    scans instants in order.
    """
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)  # first occurrence if repeated
    if _wall(first, zone) == wall:
        return first
    # Skipped wall time: fold=1 reads it with the later offset (an instant before the jump),
    # fold=0 with the earlier one (after the jump); the jump itself lies in between.
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = first
    while (high - low) > timedelta(seconds=1):
        mid = low + (high - low) / 2
        if _wall(mid, zone) >= wall:
            high = mid
        else:
            low = mid
    return high.replace(microsecond=0)


def _cron_after(expr: str, zone: ZoneInfo, after: datetime) -> datetime:
    """The first calendar due time strictly after ``after``."""
    it = croniter(expr, _wall(after, zone))  # wall times before it map to instants <= after
    while True:
        candidate = _instant(it.get_next(datetime), zone)
        if candidate > after:
            return candidate


def _cron_at_or_before(expr: str, zone: ZoneInfo, at: datetime) -> datetime:
    """The latest calendar due time not after ``at``."""
    wall = _wall(at, zone)
    it = croniter(expr, wall.replace(microsecond=0) + timedelta(seconds=1))  # includes ``wall``
    best = _instant(it.get_prev(datetime), zone)
    # In a repeated hour, wall times after ``wall`` may still stand for earlier instants.
    forward = croniter(expr, wall)
    while True:
        candidate = _instant(forward.get_next(datetime), zone)
        if candidate > at:
            return best
        best = candidate
