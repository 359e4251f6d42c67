"""Python values from Backlog JSON into typed Arrow arrays, tolerating odd or old shapes.

Every builder takes the values of one column (``None`` where the field is missing) and never
raises on a value of the wrong kind: such a value becomes NULL, so one odd issue cannot stop a
run, and :func:`refused` finds it afterwards so that the run counts it as a warning and keeps
the raw value (``rejects``). The fast path hands the whole list to Arrow; only a list Arrow
refuses is walked in Python.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
import pyarrow as pa

TIMESTAMP = pa.timestamp("s", tz="UTC")
DATE = pa.date32()
INT = pa.int64()
FLOAT = pa.float64()
STRING = pa.string()
BOOL = pa.bool_()
INT_LIST = pa.list_(pa.int64())

_EPOCH_DATE = dt.date(1970, 1, 1)
_ARROW_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError)


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def _as_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _as_str(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return str(value)


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if isinstance(value, int):
        return bool(value)
    return None


@lru_cache(maxsize=65536)
def parse_timestamp(value: str) -> int | None:
    """Epoch seconds of an ISO-8601 timestamp (``2013-08-05T06:15:06Z``); naive means UTC."""
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return int(parsed.timestamp())


#: the space's IANA zone while a run reads (None: unknown); see :func:`parse_date`
_zone: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "backlog_connector_space_zone", default=None
)


@contextmanager
def dates_in_zone(zone: str | None) -> Iterator[None]:
    """Read date-only values of the block as midnights of ``zone`` (the space's time zone)."""
    token = _zone.set(zone)
    try:
        yield
    finally:
        _zone.reset(token)


def parse_date(value: str) -> int | None:
    """Days since 1970-01-01 of a Backlog date-only value.

    Backlog sends these as a midnight timestamp (``2017-11-11T00:00:00Z``); old spaces send the
    midnight of the space's zone in UTC (``2014-06-30T15:00:00Z`` is 1 July in Tokyo), newer
    custom fields a plain ``2024-06-24``. A timestamp that is a midnight of the space's zone
    (when known, :func:`dates_in_zone`) is that day there; otherwise rounding to the nearest
    UTC midnight recovers the intended day for every zone from UTC-11 to UTC+12.
    """
    return _parse_date(value, _zone.get())


@lru_cache(maxsize=65536)
def _parse_date(value: str, zone: str | None) -> int | None:
    text = value.strip()
    try:
        if len(text) == 10:
            return (dt.date.fromisoformat(text) - _EPOCH_DATE).days
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        local = _in_zone(parsed, zone)
        if local is not None and local.time() == dt.time(0):
            return (local.date() - _EPOCH_DATE).days
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return ((parsed + dt.timedelta(hours=12)).date() - _EPOCH_DATE).days


def _in_zone(moment: dt.datetime, zone: str | None) -> dt.datetime | None:
    if not zone or (moment.utcoffset() == dt.timedelta(0) and moment.time() == dt.time(0)):
        return None  # a UTC midnight is that day (the common case): no zone needed
    try:
        return moment.astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _timestamps(values: Sequence[Any]) -> pa.Array:
    try:
        return pa.array(values, STRING).cast(TIMESTAMP)
    except _ARROW_ERRORS:
        return pa.array(
            [parse_timestamp(v) if isinstance(v, str) else _epoch(v) for v in values], INT
        ).cast(TIMESTAMP)


def _epoch(value: Any) -> int | None:
    # A number where a timestamp belongs is epoch seconds (rateLimit's ``reset``).
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    return None


def _dates(values: Sequence[Any]) -> pa.Array:
    return pa.array([parse_date(v) if isinstance(v, str) else None for v in values], DATE)


def _with_fallback(
    arrow_type: pa.DataType, coerce: Callable[[Any], Any]
) -> Callable[[Sequence[Any]], pa.Array]:
    def build(values: Sequence[Any]) -> pa.Array:
        try:
            return pa.array(values, arrow_type)
        except _ARROW_ERRORS:
            return pa.array([coerce(v) for v in values], arrow_type)

    return build


def _int_list(value: Any) -> list[int] | None:
    # a list with an item that is not an integer is refused whole (NULL, then a reject)
    if not isinstance(value, list):
        return None
    items = [_as_int(v) for v in value]
    return None if any(i is None for i in items) else items  # type: ignore[return-value]


def _int_lists(values: Sequence[Any]) -> pa.Array:
    try:
        return pa.array(values, INT_LIST)
    except _ARROW_ERRORS:
        return pa.array([_int_list(v) for v in values], INT_LIST)


_BUILDERS: dict[pa.DataType, Callable[[Sequence[Any]], pa.Array]] = {
    INT: _with_fallback(INT, _as_int),
    FLOAT: _with_fallback(FLOAT, _as_float),
    STRING: _with_fallback(STRING, _as_str),
    BOOL: _with_fallback(BOOL, _as_bool),
    TIMESTAMP: _timestamps,
    DATE: _dates,
    INT_LIST: _int_lists,
}


def to_array(values: Sequence[Any] | pa.Array, arrow_type: pa.DataType) -> pa.Array:
    """An Arrow array of ``arrow_type`` from raw JSON values; unusable values become NULL.
    An Arrow array already of ``arrow_type`` (values built natively) is taken as it is."""
    if isinstance(values, pa.Array):
        if values.type == arrow_type:
            return values
        values = values.to_pylist()
    builder = _BUILDERS.get(arrow_type)
    if builder is None:
        raise TypeError(f"no value builder for Arrow type {arrow_type}")
    return builder(values)


_TYPE_NAMES: dict[pa.DataType, str] = {
    INT: "an integer",
    FLOAT: "a number",
    BOOL: "a boolean",
    TIMESTAMP: "an ISO-8601 timestamp (yyyy-MM-ddTHH:mm:ssZ)",
    DATE: "a date (yyyy-MM-dd or a midnight timestamp)",
    INT_LIST: "a list of integers",
    STRING: "text",
}


def describe_type(arrow_type: pa.DataType) -> str:
    """What a column of ``arrow_type`` accepts, for a reject's ``reason``."""
    return _TYPE_NAMES.get(arrow_type, str(arrow_type))


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def refused(values: Sequence[Any] | pa.Array, array: pa.Array) -> list[int]:
    """Positions where ``values`` (Python values, or the raw Arrow column of a natively read
    page) held a value (not None, not blank text) that ``array``, built from them, holds as
    NULL: the values that did not parse."""
    if array.null_count == 0:
        return []
    if isinstance(values, pa.Array):
        if array.null_count <= values.null_count:
            return []
        values = values.to_pylist()
    raw = values if isinstance(values, list) else list(values)
    if array.null_count <= raw.count(None):
        return []
    mask = array.is_null().to_pylist()
    out = [i for i, null in enumerate(mask) if null and not _blank(raw[i])]
    return out
