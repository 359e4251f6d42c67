"""Read-only SQL over a destination, for a user who wants to look without another tool.

Read-only for real, not by convention: the DuckDB warehouse is opened ``read_only`` (and only
``SELECT``/``EXPLAIN`` statements are taken, so a ``COPY ... TO`` or an ``ATTACH`` cannot write
elsewhere either); PostgreSQL runs the statement in a ``READ ONLY`` transaction that is rolled
back. A statement that would write raises ``ReadOnlyQueryError`` and changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backlog_connector.backlog.errors import InvalidOptionError
from backlog_connector.sinks.duckdb_file import READ_WAIT_SECONDS, warehouse_file
from backlog_connector.sinks.errors import UnknownTableError

#: DuckDB statement types a read-only query may run (DESCRIBE, SHOW, SUMMARIZE parse as SELECT)
_DUCKDB_READS = ("SELECT", "EXPLAIN")
#: first words of the PostgreSQL statements taken (the READ ONLY transaction is the real guard)
_POSTGRES_READS = ("select", "with", "values", "table", "explain", "show")
_FIRST_WORD = re.compile(r"^\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*(\w+)", re.DOTALL)
_READ_ONLY_SQLSTATE = "25006"
_STATEMENT_TIMEOUT_MS = 60_000


class ReadOnlyQueryError(InvalidOptionError):
    """The query would write (or is not one read statement): nothing was run."""


@dataclass(frozen=True)
class QueryResult:
    """The columns and (up to the limit) the rows of a query; ``truncated`` when there were
    more rows than the limit."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    truncated: bool

    def records(self) -> list[dict[str, Any]]:
        """The rows as column -> value mappings."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def _refuse(kind: str) -> ReadOnlyQueryError:
    return ReadOnlyQueryError(
        f"query is read-only: a {kind} statement is refused (nothing was changed); give one"
        " SELECT (or WITH ... SELECT, EXPLAIN, DESCRIBE, SHOW); change data through datasets"
    )


def _limited(cursor_rows: Sequence[tuple[Any, ...]], limit: int) -> tuple[tuple[Any, ...], ...]:
    return tuple(tuple(row) for row in cursor_rows[:limit])


def query_duckdb(
    path: Path, sql: str, limit: int, *, wait: float = READ_WAIT_SECONDS
) -> QueryResult:
    """Run ``sql`` (one read statement) on the warehouse file at ``path``, opened read-only;
    at most ``limit`` rows are returned."""
    import duckdb

    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise InvalidOptionError(f"the query does not parse: {exc}") from None
    if len(statements) != 1:
        raise ReadOnlyQueryError(
            f"give exactly one SQL statement (got {len(statements)}); run them one at a time"
        )
    kind = str(statements[0].type).rsplit(".", 1)[-1]
    if kind not in _DUCKDB_READS:
        raise _refuse(kind)
    with warehouse_file(path).reading(wait=wait) as con:
        if con is None:
            raise UnknownTableError(
                f"the warehouse {path} has no tables yet (no run has committed); run a dataset"
                " first"
            )
        # A query reads the warehouse and nothing else: no files, URLs or other databases.
        con.execute("SET enable_external_access = false")
        try:
            cursor = con.execute(sql)
            rows = cursor.fetchmany(limit + 1)
            columns = tuple(d[0] for d in cursor.description or ())
        except duckdb.InvalidInputException as exc:
            if "read-only" in str(exc):
                raise _refuse("writing") from None
            raise InvalidOptionError(f"the query failed: {exc}") from None
        except duckdb.PermissionException:
            raise ReadOnlyQueryError(
                "a query reads the warehouse's tables only, not files, URLs or other databases;"
                " export the data with 'datasets export' or open the file with DuckDB itself"
            ) from None
        except duckdb.Error as exc:
            raise InvalidOptionError(f"the query failed: {exc}") from None
    return QueryResult(columns, _limited(rows, limit), len(rows) > limit)


def query_postgres(url: str, schema: str, sql: str, limit: int) -> QueryResult:
    """Run ``sql`` in a READ ONLY transaction (rolled back) with ``schema`` first on the
    search path; at most ``limit`` rows are returned."""
    import psycopg

    from backlog_connector.sinks.postgres_conn import libpq_url, sqlstate, translate

    first = _FIRST_WORD.match(sql)
    word = first.group(1).lower() if first else ""
    if word not in _POSTGRES_READS:
        raise _refuse(word.upper() or "empty")
    try:
        with psycopg.connect(libpq_url(url)) as conn:
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            conn.execute("SELECT set_config('search_path', %s, true)", [_search_path(schema)])
            conn.execute(f"SET LOCAL statement_timeout = {_STATEMENT_TIMEOUT_MS}")
            conn.execute("SET LOCAL TIME ZONE 'UTC'")
            try:
                with conn.cursor() as cur:
                    cur.execute(sql.strip().rstrip(";"))
                    columns = tuple(d.name for d in cur.description or ())
                    rows = cur.fetchmany(limit + 1) if cur.description else []
            finally:
                conn.rollback()
    except psycopg.Error as exc:
        if sqlstate(exc) == _READ_ONLY_SQLSTATE:
            raise _refuse("writing") from None
        if sqlstate(exc).startswith(("42", "22", "0A")):  # syntax, names, data, unsupported
            raise InvalidOptionError(f"the query failed: {str(exc).strip()}") from None
        raise translate(exc, "querying", url) from None
    return QueryResult(columns, _limited(rows, limit), len(rows) > limit)


def _search_path(schema: str) -> str:
    quoted = schema.replace('"', '""')
    return f'"{quoted}", public'
