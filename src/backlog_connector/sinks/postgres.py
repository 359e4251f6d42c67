"""The PostgreSQL destination: datasets as tables in one schema of a PostgreSQL database.

``PostgresSink(url, schema)`` is safe to share between threads and processes: every run opens a
connection of its own (see ``postgres_run``), and the read helpers borrow pooled autocommit
connections. Tables follow DESIGN.md's conventions; names longer than PostgreSQL's 63 bytes are
shortened deterministically (``postgres_types.pg_identifier``) and ``column_sources`` maps them
back to the report's names.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from backlog_connector.backlog.errors import ConfigurationError
from backlog_connector.reports.base import TableSpec, UpdateMode
from backlog_connector.sinks import postgres_meta as meta
from backlog_connector.sinks.arguments import (
    export_target,
    partial_beside,
    preview_limit,
    run_arguments,
)
from backlog_connector.sinks.base import Sink, SinkRun
from backlog_connector.sinks.errors import DestinationError, UnknownTableError
from backlog_connector.sinks.export_formats import add_bom, write_rows
from backlog_connector.sinks.naming import INTERNAL_PREFIX, check_table_name, quote
from backlog_connector.sinks.postgres_apply import stored_table_name
from backlog_connector.sinks.postgres_conn import (
    DEPENDENT_OBJECTS,
    ConnectionPool,
    connect,
    describe_url,
    libpq_url,
    normalise_url,
    sqlstate,
    translate,
)
from backlog_connector.sinks.postgres_run import PostgresSinkRun
from backlog_connector.sinks.postgres_types import pg_identifier

__all__ = ["PostgresSink", "check_destination", "describe_url"]

_SCHEMA_BYTES = 63


def _check_schema(schema: str) -> str:
    if not isinstance(schema, str) or not schema.strip() or len(schema.encode()) > _SCHEMA_BYTES:
        raise DestinationError(
            f"{schema!r} is not a usable PostgreSQL schema name: give 1 to 63 bytes, e.g. "
            "'public' or 'backlog'"
        )
    if schema.lower().startswith(("pg_", INTERNAL_PREFIX)) or "\0" in schema:
        raise DestinationError(
            f"the schema name {schema!r} is reserved; choose another, e.g. 'backlog'"
        )
    return schema


def check_destination(url: str, schema: str = "public") -> None:
    """Connect, create ``schema`` if it is missing, and create and drop a probe table there
    (rolled back): proof that runs will be able to write. Raises ``DestinationError`` (a
    ``ConfigurationError``) naming the problem; the message never holds the password."""
    normalise_url(url)
    _check_schema(schema)
    try:
        conn = connect(url, autocommit=False)
    except ConfigurationError:
        raise
    except Exception as exc:  # unreachable: when adding, that is a configuration problem
        raise DestinationError(str(exc)) from None
    try:
        with contextlib.closing(conn.cursor()) as cur:
            try:
                cur.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}")
                probe = meta.qualified(schema, f"{INTERNAL_PREFIX}_probe_{os.getpid()}")
                cur.execute(f"CREATE TABLE {probe} (id BIGINT)")
                cur.execute(f"DROP TABLE {probe}")
            except Exception as exc:
                error = translate(exc, f"checking schema {schema!r} of", url)
                raise DestinationError(str(error)) from None
            finally:
                with contextlib.suppress(Exception):
                    conn.rollback()
    finally:
        conn.close()


class PostgresSink(Sink):
    """Replace / Append / Merge into the tables of ``schema`` (created when missing).

    ``lock_wait_seconds``: how long a run's commit keeps trying while readers hold its tables.
    ``on_wait(message)`` (optional) hears about each such wait, for progress displays.
    """

    def __init__(
        self,
        url: str,
        schema: str = "public",
        *,
        lock_wait_seconds: float = 600.0,
        on_wait: Callable[[str], None] | None = None,
    ) -> None:
        self._url = normalise_url(url)
        self._schema = _check_schema(schema)
        self._lock_wait = lock_wait_seconds
        self._on_wait = on_wait
        self._pool = ConnectionPool(self._url)
        conn = connect(self._url, autocommit=False)
        try:
            with contextlib.closing(conn.cursor()) as cur:
                meta.ensure_meta_tables(cur, self._schema)
            conn.commit()
        except Exception as exc:
            raise translate(exc, f"preparing schema {self._schema!r} of", self._url) from None
        finally:
            conn.close()

    @property
    def schema(self) -> str:
        """The schema the tables live in."""
        return self._schema

    def __repr__(self) -> str:
        return f"PostgresSink({describe_url(self._url)!r}, schema={self._schema!r})"

    # -- writing --------------------------------------------------------------------------------

    def open_run(
        self,
        base: str,
        tables: Sequence[TableSpec],
        mode: UpdateMode,
        *,
        run_id: str,
        full: bool = False,
        on_wait: Callable[[str], None] | None = None,
    ) -> SinkRun:
        """Start a run writing ``tables`` under ``base`` on a connection of its own; nothing
        is visible before its commit (see ``postgres_run``)."""
        mode = run_arguments(base, tables, mode, run_id)
        conn = connect(self._url, autocommit=False)
        try:  # the schema or the connector's tables may have been dropped since the sink opened
            with contextlib.closing(conn.cursor()) as cur:
                meta.ensure_meta_tables(cur, self._schema)
            conn.commit()
        except Exception as exc:
            conn.close()
            raise translate(exc, f"preparing schema {self._schema!r} of", self._url) from None
        return PostgresSinkRun(
            conn, self._url, self._schema, base, tables, mode, run_id,
            full=full, lock_wait_seconds=self._lock_wait, on_wait=on_wait or self._on_wait,
        )  # fmt: skip

    def drop(self, base: str) -> list[str]:
        """Drop the dataset table ``base``, its child tables and its state; return the names
        dropped. A view on one of them stops the drop (nothing changes) with a message."""
        check_table_name(base)
        conn = connect(self._url, autocommit=False)
        try:
            with contextlib.closing(conn.cursor()) as cur:
                try:
                    cur.execute(
                        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                        (f"{self._schema}.{base.lower()}",),
                    )
                    names = set(meta.forget(cur, self._schema, base))
                    names.add(stored_table_name(base, ""))
                    existing = meta.existing_tables(cur, self._schema)
                    dropped = sorted(n for n in names if n in existing)
                    for name in dropped:
                        cur.execute(f"DROP TABLE {meta.qualified(self._schema, name)}")
                    conn.commit()
                except Exception as exc:
                    conn.rollback()
                    if sqlstate(exc) in DEPENDENT_OBJECTS:
                        raise ConfigurationError(
                            f"cannot drop the tables of {base!r} in {self._schema}: a view or "
                            "other object depends on them; drop it first, or keep the table"
                        ) from None
                    raise translate(exc, f"dropping {base}", self._url) from None
        finally:
            conn.close()
        return dropped

    def close(self) -> None:
        """Close the pooled connections (runs close their own)."""
        self._pool.close()

    # -- reading --------------------------------------------------------------------------------

    def list_tables(self) -> list[str]:
        """The dataset tables of this destination (children included), sorted."""
        with self._pool.cursor("listing tables of") as cur:
            registered = meta.owners(cur, self._schema)
            existing = meta.existing_tables(cur, self._schema)
        return sorted(n for n in registered if n in existing)

    def describe(self, table: str) -> list[tuple[str, str]]:
        """(column, PostgreSQL type) of ``table``, in table order."""
        with self._pool.cursor(f"describing {table} in") as cur:
            name = self._resolve(cur, table)
            return list(meta.table_columns(cur, self._schema, name).items())

    def column_sources(self, table: str) -> dict[str, str]:
        """Stored column -> the report's column name, for the shortened columns."""
        with self._pool.cursor(f"describing {table} in") as cur:
            name = self._resolve(cur, table)
            return meta.column_sources(cur, self._schema, name)

    def row_count(self, table: str) -> int:
        """The number of rows in ``table``."""
        with self._pool.cursor(f"counting {table} in") as cur:
            name = self._resolve(cur, table)
            cur.execute(f"SELECT count(*) FROM {meta.qualified(self._schema, name)}")
            row = cur.fetchone()
        return int(row[0]) if row else 0

    def preview(self, table: str, limit: int = 20) -> pa.Table:
        """The first ``limit`` rows of ``table`` as an Arrow table."""
        preview_limit(limit)
        with self._pool.cursor(f"reading {table} in") as cur:
            name = self._resolve(cur, table)
            cur.execute(f"SELECT * FROM {meta.qualified(self._schema, name)} LIMIT {limit}")
            result: pa.Table = cur.fetch_arrow_table()
        return result

    def export(self, table: str, fmt: str, path: Path, *, encoding: str = "utf-8") -> int:
        """Write ``table`` to ``path`` as CSV (with a header), Parquet, JSON or xlsx, streamed
        in batches into a temporary file renamed over ``path`` at the end; return the row count.
        ``encoding`` utf-8-sig puts a byte-order mark before a CSV (for Excel)."""
        target = export_target(fmt, path, encoding)
        partial = partial_beside(target)
        with self._pool.cursor(f"exporting {table} from") as cur:
            try:
                stored = self._resolve(cur, table)
                name = meta.qualified(self._schema, stored)
                if fmt == "csv":
                    rows = self._copy_csv(name, partial)
                    if encoding == "utf-8-sig":
                        add_bom(partial)
                else:
                    cur.execute(f"SELECT * FROM {name}")
                    if fmt == "parquet":
                        rows = _write_parquet(cur.fetch_record_batch(), partial)
                    else:
                        rows = write_rows(fmt, cur.fetch_record_batch(), partial, stored)
            except BaseException:
                partial.unlink(missing_ok=True)
                raise
        os.replace(partial, target)
        return rows

    def _copy_csv(self, table: str, path: Path) -> int:
        """CSV by PostgreSQL's own COPY (timestamps in UTC, as DuckDB's export writes them)."""
        import psycopg

        try:
            with (
                psycopg.connect(libpq_url(self._url)) as conn,
                path.open("wb") as out,
            ):
                # count and file from one snapshot
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                conn.execute("SET TIME ZONE 'UTC'")
                counted = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
                with conn.cursor() as cur:
                    copy_sql = f"COPY (SELECT * FROM {table}) TO STDOUT WITH (FORMAT csv, HEADER)"
                    with cur.copy(copy_sql) as copy:
                        for chunk in copy:
                            out.write(chunk)
                conn.rollback()
        except psycopg.Error as exc:
            raise translate(exc, f"exporting {table} from", self._url) from None
        return int(counted[0]) if counted else 0

    def committed_runs(self, run_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The commit markers of those of ``run_ids`` whose rows were committed here."""
        with self._pool.cursor("reading the commit markers of") as cur:
            return meta.read_commits(cur, self._schema, [str(r) for r in run_ids])

    def read_state(self, base: str) -> dict[str, Any] | None:
        """The state (cursor) last committed for the dataset table ``base``, or None."""
        with self._pool.cursor(f"reading the state of {base} in") as cur:
            return meta.read_state(cur, self._schema, base)

    def _resolve(self, cur: Any, table: str) -> str:
        """The stored name of ``table`` (a dataset base name or a stored name)."""
        existing = meta.existing_tables(cur, self._schema)
        lowered = str(table).lower()
        for candidate in (str(table), lowered, pg_identifier(lowered)):
            if candidate in existing and not candidate.startswith(INTERNAL_PREFIX):
                return candidate
        raise UnknownTableError(
            f"the destination schema {self._schema!r} has no table {table!r}; list the tables "
            "to see what exists (a dataset's table appears after its first successful run)"
        )


def _write_parquet(reader: pa.RecordBatchReader, path: Path) -> int:
    import pyarrow.parquet as pq

    rows = 0
    with pq.ParquetWriter(str(path), reader.schema) as writer:
        for batch in reader:
            writer.write_batch(batch)
            rows += batch.num_rows
    return rows
