"""Backlog's time formats: ``yyyy-MM-ddTHH:mm:ssZ`` timestamps and ``yyyy-MM-dd`` query dates."""

from __future__ import annotations

import datetime as dt
import re
import time

from .errors import invalid

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_EPOCH_DAY = dt.date(1970, 1, 1).toordinal()


def iso(epoch: int) -> str:
    """Epoch seconds as ``2025-03-04T05:06:07Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def day_iso(day: int) -> str:
    """A day number (days since 1970-01-01) as a midnight timestamp, as Backlog sends dates."""
    return dt.date.fromordinal(day + _EPOCH_DAY).isoformat() + "T00:00:00Z"


#: the emulated space's zone (Asia/Tokyo) is UTC+9 all year
ZONE_OFFSET = 9 * 3600


def zone_day_iso(day: int) -> str:
    """A day number as the midnight of the space's zone in UTC (``2014-07-15T15:00:00Z`` is
    16 July in Tokyo), as older Backlog spaces send date-only fields."""
    return iso(day * 86400 - ZONE_OFFSET)


def day_of(epoch: int) -> int:
    """The UTC day number of an epoch second."""
    return epoch // 86400


def parse_query_date(name: str, value: str) -> int:
    """A ``yyyy-MM-dd`` query value as a day number; 400 code 7 naming the parameter otherwise."""
    if _DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value).toordinal() - _EPOCH_DAY
        except ValueError:
            pass
    raise invalid(
        f"Invalid date for {name}: {value!r}.",
        f"{name} takes a date written yyyy-MM-dd, for example 2025-03-04.",
    )


def parse_body_date(name: str, value: str) -> int | None:
    """A ``yyyy-MM-dd`` form value (empty clears it) as a day number."""
    if value == "":
        return None
    return parse_query_date(name, value)


def now() -> int:
    """The real current time in epoch seconds (writes use it)."""
    return int(time.time())
