"""The DuckDB warehouse: one file that the connector opens only for the moment it needs it.

Reads open the file read-only for the call; a run stages into a file of its own and opens the
warehouse read-write only to apply what it staged (``duckdb_run``). So while the connector
works, other processes (the duckdb CLI, notebooks, BI tools, a CLI beside ``serve``) can open
the file too. ``duckdb_file`` serialises this process's own connections (DuckDB refuses a
read-only and a read-write one to the same file at once) and waits while another process holds
the file.

Every connection runs with ``TimeZone = 'UTC'``, so TIMESTAMPTZ values print and export in UTC.
"""

from __future__ import annotations

import contextlib
import os
import weakref
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
import pyarrow as pa

from backlog_connector.backlog.errors import InvalidOptionError
from backlog_connector.reports.base import TableSpec, UpdateMode
from backlog_connector.sinks import duckdb_meta as meta
from backlog_connector.sinks.arguments import (
    export_target,
    partial_beside,
    preview_limit,
    run_arguments,
)
from backlog_connector.sinks.base import Sink, SinkRun, Warehouse
from backlog_connector.sinks.duckdb_file import (
    COMMIT_WAIT_SECONDS,
    READ_WAIT_SECONDS,
    warehouse_file,
)
from backlog_connector.sinks.duckdb_run import DuckDBSinkRun
from backlog_connector.sinks.errors import (
    UnknownTableError,
    WarehouseError,
    WarehouseOpenError,
)
from backlog_connector.sinks.export_formats import add_bom, write_rows
from backlog_connector.sinks.naming import INTERNAL_PREFIX, check_table_name, quote

_EXPORT_BATCH_ROWS = 10_000


class DuckDBWarehouse(Warehouse):
    """Read access to a warehouse file: tables, columns, counts, previews, exports, state.

    Thread-safe; holds nothing open between calls. ``read_wait``: how long a read waits while
    another process holds the file for writing.
    """

    def __init__(self, path: Path, *, read_wait: float = READ_WAIT_SECONDS) -> None:
        self._path = Path(path)
        if self._path.is_dir():
            raise WarehouseOpenError(
                f"the warehouse path {self._path} is a directory; give a file path"
            )
        self._file = warehouse_file(self._path)
        self._read_wait = read_wait
        self._closed = False

    @property
    def path(self) -> Path:
        """The warehouse file."""
        return self._path

    def list_tables(self) -> list[str]:
        """The dataset tables (children included, the connector's own tables left out), sorted."""
        if not self._path.is_file():
            return []
        with self._cursor() as cur:
            names = meta.existing_tables(cur).values()
        return sorted(n for n in names if not n.lower().startswith(INTERNAL_PREFIX))

    def describe(self, table: str) -> list[tuple[str, str]]:
        """(column, DuckDB type) of ``table``, in table order."""
        with self._cursor() as cur:
            name = _resolve(cur, table)
            return [(r[0], r[1]) for r in cur.execute(f"DESCRIBE {quote(name)}").fetchall()]

    def column_sources(self, table: str) -> dict[str, str]:
        """DuckDB keeps every column name as the report gives it: always empty."""
        with self._cursor() as cur:
            _resolve(cur, table)
        return {}

    def row_count(self, table: str) -> int:
        """The number of rows in ``table``."""
        with self._cursor() as cur:
            name = _resolve(cur, table)
            row = cur.execute(f"SELECT count(*) FROM {quote(name)}").fetchone()
        return int(row[0]) if row else 0

    def preview(self, table: str, limit: int = 20) -> pa.Table:
        """The first ``limit`` rows of ``table`` (storage order) as an Arrow table."""
        preview_limit(limit)
        with self._cursor() as cur:
            name = _resolve(cur, table)
            result: pa.Table = cur.sql(
                f"SELECT * FROM {quote(name)} LIMIT ?", params=[limit]
            ).to_arrow_table()
        return result

    def export(self, table: str, fmt: str, path: Path, *, encoding: str = "utf-8") -> int:
        """Write ``table`` to ``path`` as CSV (with a header), Parquet, JSON or xlsx; return the
        row count. ``encoding`` utf-8-sig puts a byte-order mark before a CSV (for Excel).

        The file appears complete or not at all: DuckDB writes a temporary file beside it, which
        is renamed over ``path`` at the end.
        """
        target = export_target(fmt, path, encoding)
        partial = partial_beside(target)
        with self._cursor() as cur:
            try:
                name = _resolve(cur, table)
            except BaseException:
                partial.unlink(missing_ok=True)
                raise
            cur.execute("BEGIN TRANSACTION")  # count and file from the same snapshot
            try:
                relation = cur.sql(f"SELECT * FROM {quote(name)}")
                if fmt == "csv":
                    relation.write_csv(str(partial), header=True)
                elif fmt == "parquet":
                    relation.write_parquet(str(partial))
                else:
                    write_rows(fmt, _batches(relation), partial, name)
                row = cur.execute(f"SELECT count(*) FROM {quote(name)}").fetchone()
                if encoding == "utf-8-sig":
                    add_bom(partial)
            except BaseException:
                partial.unlink(missing_ok=True)
                raise
            finally:
                cur.execute("ROLLBACK")
        os.replace(partial, target)
        return int(row[0]) if row else 0

    def committed_runs(self, run_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The commit markers of those of ``run_ids`` whose rows were committed (run id ->
        committed_at, rows_written, rows_deleted, table_rows, table)."""
        if not self._path.is_file():
            return {}
        with self._cursor() as cur:
            found: dict[str, dict[str, Any]] = meta.read_commits(cur, run_ids)
            return found

    def read_state(self, base: str) -> dict[str, Any] | None:
        """The state (cursor) last committed for the dataset table ``base``, or None."""
        if not self._path.is_file():
            return None
        with self._cursor() as cur:
            return meta.read_state(cur, base)

    def close(self) -> None:
        """Nothing is held between calls; later calls are refused."""
        self._closed = True

    def __enter__(self) -> DuckDBWarehouse:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self._path)!r})"

    @contextlib.contextmanager
    def _cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection for one call (``UnknownTableError`` while no file exists)."""
        if self._closed:
            raise WarehouseError(f"the warehouse {self._path} is closed; open it again")
        with self._file.reading(wait=self._read_wait) as cur:
            if cur is None:
                raise UnknownTableError(
                    f"the warehouse {self._path} has no tables yet (no run has committed); a "
                    "dataset's table appears after its first successful run"
                )
            try:
                yield cur
            except duckdb.Error as exc:
                raise WarehouseError(f"DuckDB failed on {self._path}: {exc}") from exc


class DuckDBSink(DuckDBWarehouse, Sink):
    """The default warehouse writer: Replace / Append / Merge into one DuckDB file.

    ``memory_limit`` (e.g. ``"512MB"``) caps DuckDB's buffer pool of each connection a run
    opens (its staging file, and the warehouse at commit); DuckDB spills the rest to disk.
    ``commit_wait``: how long a commit waits while other processes hold the file.
    ``on_wait(message)`` hears about those waits (the runner shows them as progress).
    """

    def __init__(
        self,
        path: Path,
        *,
        memory_limit: str | None = None,
        commit_wait: float = COMMIT_WAIT_SECONDS,
        read_wait: float = READ_WAIT_SECONDS,
        on_wait: Callable[[str], None] | None = None,
    ) -> None:
        if memory_limit is not None:
            _check_memory_limit(memory_limit)
        self._runs: weakref.WeakSet[DuckDBSinkRun] = weakref.WeakSet()
        self._memory_limit = memory_limit
        self._commit_wait = commit_wait
        self._on_wait = on_wait
        super().__init__(path, read_wait=read_wait)
        Path(path).parent.mkdir(parents=True, exist_ok=True)

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
        """Start a run writing ``tables`` under ``base``; nothing is visible before its commit
        (see ``duckdb_run``). ``full``: the run writes every row of the dataset (no cursor), so
        a merge rebuilds the tables instead of upserting into them."""
        mode = run_arguments(base, tables, mode, run_id)
        run = DuckDBSinkRun(
            self._file, base, tables, mode, run_id,
            full=full, memory_limit=self._memory_limit, commit_wait=self._commit_wait,
            on_wait=on_wait or self._on_wait,
        )  # fmt: skip
        self._runs.add(run)
        return run

    def drop(self, base: str) -> list[str]:
        """Drop the dataset table ``base``, its child tables and its state; return the names
        dropped (empty when there was nothing)."""
        check_table_name(base)
        if not self._path.is_file():
            return []
        with self._file.writing(wait=self._commit_wait, on_wait=self._on_wait) as cur:
            cur.execute("BEGIN TRANSACTION")
            try:
                meta.ensure_meta_tables(cur)
                names = set(meta.forget(cur, base))
                existing = meta.existing_tables(cur)
                names.add(base.lower())
                dropped = sorted(existing[n] for n in names if n in existing)
                for name in dropped:
                    cur.execute(f"DROP TABLE {quote(name)}")
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
        return dropped

    def close(self) -> None:
        """Roll back runs still open."""
        for run in list(self._runs):
            run.abort()
        super().close()


def open_read_only(path: Path, *, read_wait: float = READ_WAIT_SECONDS) -> DuckDBWarehouse:
    """Read helpers for an existing warehouse file (each call opens it read-only briefly)."""
    if not Path(path).is_file():
        raise WarehouseOpenError(
            f"no warehouse at {path}: the file does not exist yet; run a dataset first"
        )
    reader = DuckDBWarehouse(path, read_wait=read_wait)
    with reader._cursor():  # a file that is not a DuckDB database fails here, not later
        pass
    return reader


def _check_memory_limit(memory_limit: str) -> None:
    """Refuse a bad size before anything touches the file."""
    probe = duckdb.connect(":memory:")
    try:
        probe.execute("SET memory_limit = ?", [memory_limit])
    except duckdb.Error:
        raise InvalidOptionError(
            f"memory limit {memory_limit!r} is not a size DuckDB understands; "
            "use a number and a unit, e.g. '512MB' or '2GB'"
        ) from None
    finally:
        probe.close()


def _batches(relation: duckdb.DuckDBPyRelation) -> pa.RecordBatchReader:
    """The relation's rows as Arrow batches (``to_arrow_reader`` from DuckDB 1.4 on)."""
    reader = getattr(relation, "to_arrow_reader", None) or relation.fetch_record_batch
    return reader(_EXPORT_BATCH_ROWS)


def _resolve(cur: duckdb.DuckDBPyConnection, table: str) -> str:
    """The stored name of ``table`` (DuckDB names ignore case), or ``UnknownTableError``."""
    found = meta.existing_tables(cur).get(str(table).lower())
    if found is None or found.lower().startswith(INTERNAL_PREFIX):
        raise UnknownTableError(
            f"the warehouse has no table {table!r}; list the tables to see what exists "
            "(a dataset's table appears after its first successful run)"
        )
    return found
