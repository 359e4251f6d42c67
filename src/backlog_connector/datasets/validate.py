"""Checks of user input. Each raises ``InvalidOptionError`` naming the problem and the fix."""

from __future__ import annotations

import re
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from backlog_connector.backlog.errors import InvalidOptionError

_NAME = re.compile(r"^[^\W_][\w .-]{0,99}$")
_TABLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_RETRIES = 10
#: the longest retry interval (7 days): a retry later than that is a schedule's job
MAX_DURATION_SECONDS = 7 * 86400


def name(value: str, what: str) -> str:
    """An account or dataset name: 1-100 letters, digits, spaces, '.', '_' or '-'."""
    if not isinstance(value, str) or not _NAME.match(value) or value != value.strip():
        raise InvalidOptionError(
            f"invalid {what} name {value!r}: use 1 to 100 letters, digits, spaces, '.', '_' or"
            " '-', starting with a letter or digit (e.g. 'Backlog Issues')"
        )
    return value


def table(value: str) -> str:
    """A table name given with ``--table``: a lower-case SQL identifier."""
    if not _TABLE.match(value) or "__" in value:
        raise InvalidOptionError(
            f"invalid table name {value!r}: use lower-case letters, digits and single '_'"
            " (at most 63, not starting with a digit; '__' is kept for child tables),"
            " e.g. 'backlog_issues'"
        )
    from backlog_connector.sinks.naming import check_table_name

    return check_table_name(value)  # the sink's own rules too (its reserved prefix)


def duration(value: str, what: str = "retry interval") -> int:
    """A duration like '30s', '5m', '2h' or '1d', in seconds (1 s to 7 days)."""
    match = _DURATION.match(value) if isinstance(value, str) else None
    digits = (match.group(1).lstrip("0") or "0") if match else ""
    if not match or digits == "0":
        raise InvalidOptionError(
            f"invalid {what} {value!r}: give a positive number and a unit s, m, h or d,"
            " e.g. '30s', '5m' or '2h'"
        )
    seconds = int(digits) * _UNIT_SECONDS[match.group(2)] if len(digits) <= 12 else 0
    if not 0 < seconds <= MAX_DURATION_SECONDS:
        raise InvalidOptionError(
            f"invalid {what} {value!r}: the longest allowed is 7 days ('7d', '168h')"
        )
    return seconds


def retries(value: int) -> int:
    """A retry count between 0 and ``MAX_RETRIES``."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_RETRIES:
        raise InvalidOptionError(
            f"invalid retries {value!r}: give a whole number from 0 to {MAX_RETRIES}"
        )
    return value


def timezone(value: str) -> str:
    """An IANA time zone name such as 'Asia/Tokyo'."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidOptionError(
            f"unknown time zone {value!r}: give an IANA name such as 'Asia/Tokyo', 'UTC' or"
            " 'Europe/Berlin'"
        ) from None
    return value


#: what ``publish`` accepts (besides None / "none": publish nothing)
PUBLISH_FORMATS = ("parquet",)


def publish(value: str | None) -> str | None:
    """A publish format: "parquet", or None / "" / "none" for none."""
    if value is None or str(value).strip().lower() in ("", "none"):
        return None
    if str(value).strip().lower() not in PUBLISH_FORMATS:
        raise InvalidOptionError(
            f"invalid publish format {value!r}: use {', '.join(PUBLISH_FORMATS)} (or none)"
        )
    return str(value).strip().lower()


def webhook_url(value: str | None, *, allow_private: bool = False) -> str | None:
    """An http(s) URL, or None/'' for no webhook; one on a private or link-local address only
    with ``allow_private`` (the setting ``network.allow_private_addresses``)."""
    from backlog_connector.backlog.private_hosts import ALLOW_SETTING, non_public_address

    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        given = f"a {parts.scheme}: URL" if parts.scheme else "no scheme"
        raise InvalidOptionError(  # not the URL itself: it may carry a token
            f"invalid webhook URL ({given}): give an http:// or https:// URL with a host"
        )
    found = None if allow_private else non_public_address(parts.hostname)
    if found is not None:
        raise InvalidOptionError(  # the host only: the path may carry a token
            f"invalid webhook URL: its host {parts.hostname} is (or resolves to) {found}, a"
            " private, link-local or otherwise non-public address; if that is intended,"
            f" allow it with the setting {ALLOW_SETTING}"
        )
    return value


def schedule(value: str, *, min_interval_seconds: int) -> str:
    """A schedule spec, checked by ``datasets.schedules``; returns its canonical text."""
    from backlog_connector.datasets.schedules import parse_schedule

    if not isinstance(value, str):
        raise InvalidOptionError(f"invalid schedule {value!r}: give the schedule as text")
    return parse_schedule(value, min_interval_seconds=min_interval_seconds).spec
