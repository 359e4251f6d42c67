"""How report columns become PostgreSQL columns: types, and names within PostgreSQL's 63 bytes.

Types follow DESIGN.md: integers BIGINT, floats DOUBLE PRECISION, booleans BOOLEAN, text TEXT,
timestamps TIMESTAMPTZ, Backlog's date-only fields DATE, lists arrays of those. Type names are
written the way PostgreSQL's ``format_type`` prints them, so a stored column and a batch column
compare as plain strings. Each batch is cast to exactly the Arrow type its PostgreSQL column
decodes to, because binary COPY does not convert (an int32 into a BIGINT column is refused).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pyarrow as pa

from backlog_connector.sinks.errors import BadBatchError

#: PostgreSQL cuts identifiers past this many bytes (NAMEDATALEN - 1)
MAX_IDENTIFIER_BYTES = 63
_HASH_CHARS = 8


@dataclass(frozen=True)
class PgType:
    """A PostgreSQL column type and the Arrow type a batch is cast to before COPY."""

    name: str
    arrow: pa.DataType


_SCALARS: tuple[tuple[str, PgType], ...] = (
    ("integer", PgType("bigint", pa.int64())),
    ("floating", PgType("double precision", pa.float64())),
    ("boolean", PgType("boolean", pa.bool_())),
    ("string", PgType("text", pa.string())),
    ("large_string", PgType("text", pa.string())),
    ("date", PgType("date", pa.date32())),
    ("binary", PgType("bytea", pa.binary())),
    ("large_binary", PgType("bytea", pa.binary())),
)


def pg_type(arrow: pa.DataType) -> PgType | None:
    """The PostgreSQL type for an Arrow type; None for Arrow's ``null`` (no type to give).

    Raises ``BadBatchError`` for a type the sink does not store (a report bug).
    """
    if pa.types.is_null(arrow):
        return None
    if pa.types.is_dictionary(arrow):
        return pg_type(arrow.value_type)
    if pa.types.is_timestamp(arrow):
        if arrow.tz is None:
            return PgType("timestamp without time zone", pa.timestamp("us"))
        return PgType("timestamp with time zone", pa.timestamp("us", tz="UTC"))
    if pa.types.is_list(arrow) or pa.types.is_large_list(arrow):
        inner = pg_type(arrow.value_type)
        if inner is None or inner.name.endswith("[]"):
            raise BadBatchError(f"cannot store a list of {arrow.value_type} in PostgreSQL")
        return PgType(f"{inner.name}[]", pa.list_(inner.arrow))
    for kind, found in _SCALARS:
        if getattr(pa.types, f"is_{kind}")(arrow):
            return found
    raise BadBatchError(
        f"the PostgreSQL sink does not store Arrow type {arrow}; the report should declare "
        "one of int64, float64, bool, string, date32, timestamp or a list of those"
    )


def pg_identifier(name: str) -> str:
    """``name`` if it fits PostgreSQL's 63 bytes, else a deterministic shortening: as many whole
    characters as fit before ``_`` and 8 hex digits of the name's SHA-1.

    Custom-field columns reach the limit (a Japanese character is 3 bytes in UTF-8), and
    PostgreSQL would otherwise cut them itself, silently and possibly onto another column.
    """
    raw = name.encode()
    if len(raw) <= MAX_IDENTIFIER_BYTES:
        return name
    digest = hashlib.sha1(raw, usedforsecurity=False).hexdigest()[:_HASH_CHARS]
    head = raw[: MAX_IDENTIFIER_BYTES - _HASH_CHARS - 1].decode("utf-8", errors="ignore")
    return f"{head}_{digest}"


def conform(data: pa.Table, columns: list[tuple[str, str, pa.DataType]]) -> pa.Table:
    """The batch as COPY needs it: the given (source, stored name, Arrow type) columns, renamed
    and cast; columns not listed (Arrow ``null`` ones) are left out and stay NULL."""
    arrays = []
    for source, _, arrow in columns:
        column = data.column(source)
        arrays.append(column if column.type == arrow else column.cast(arrow))
    return pa.Table.from_arrays(arrays, names=[stored for _, stored, _ in columns])
