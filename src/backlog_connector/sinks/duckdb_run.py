"""One run's writes into DuckDB: rows staged in hidden tables, swapped in at the end.

Why staging tables rather than one transaction around the whole run: DuckDB holds a transaction's
uncommitted appends in memory (a ``memory_limit`` does not make them spill), so a full sync of a
large space grew without bound. Each run therefore writes into its own staging tables (one per
report table, plus one of deleted keys), committed every ``CHUNK_ROWS`` rows; ``commit`` then
applies them to the real tables and records the state in one short transaction. Readers never see
a staging table (``_backlog_connector_stage_*``, hidden like the connector's other tables). A
failed or aborted run drops its staging tables; a killed one leaves them behind, and the next run
in the file drops every staging table no live run of this process owns (one process writes a
file). Until ``commit`` the real tables and the state are untouched.

Semantics per mode:

- replace: the tables are rebuilt from the declared schema: the staging tables are renamed over
  the old ones; each table then holds exactly this run's rows and columns (declared ones plus any
  new column a batch brought). Columns the old table had and this run lacks are gone.
- merge with ``full=True`` (a run without a cursor, which reads every row of the dataset): as
  replace, with merge's last-row-per-key; no per-batch delete scans, and a type change of a
  column needs no separate replace run.
- append: rows get ``_run_id`` and ``_loaded_at``; rows an earlier attempt of the same run_id
  committed are removed first, so a retry never duplicates.
- merge: upsert on ``TableSpec.key`` (the last row of a key wins); the children of every parent
  written or deleted in the run are replaced by the children this run wrote for it.

Schema drift (append/merge, and within a replace run): a column unknown to the table is added
(older rows NULL); a column missing from a batch stays in the table and is NULL for those rows; a
column whose DuckDB type differs from the table's raises ``SchemaConflictError`` and the run rolls
back. A batch column of Arrow type ``null`` carries no type: it fills an existing column with NULL
and, when the table lacks it, is skipped until a batch brings the column with a real type.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import itertools
import queue
import re
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from backlog_connector.reports.base import TableBatch, TableSpec, UpdateMode
from backlog_connector.sinks import duckdb_meta as meta
from backlog_connector.sinks.arrow_batches import (
    as_table,
    check_columns,
    check_keys_set,
    keys_table,
    last_per_key,
)
from backlog_connector.sinks.base import SinkRun, WriteStats, table_name
from backlog_connector.sinks.errors import (
    BadBatchError,
    DiskFullError,
    RunFinishedError,
    SchemaConflictError,
    TableOwnershipError,
    WarehouseError,
    WriteConflictError,
)
from backlog_connector.sinks.naming import INTERNAL_PREFIX, quote

RUN_ID_COLUMN = "_run_id"
LOADED_AT_COLUMN = "_loaded_at"
_APPEND_COLUMNS = ((RUN_ID_COLUMN, "VARCHAR"), (LOADED_AT_COLUMN, "TIMESTAMP WITH TIME ZONE"))
_NULL_TYPE = '"NULL"'
_view_numbers = itertools.count()
_REBUILD = (
    "To rebuild the table with the new type, run the dataset once with a full replace "
    "(update mode replace, or drop the table first), then return to {mode}"
)
_CONFLICT_FIX = {
    UpdateMode.REPLACE: "Within one replace run the batches disagree on the type: run again "
    "(a custom field may have changed type during the run); if it persists, the report has a bug",
    UpdateMode.APPEND: _REBUILD.format(mode="append"),
    UpdateMode.MERGE: _REBUILD.format(mode="merge"),
}
_SUFFIX = re.compile(r"[a-z0-9_]+")


STAGE_PREFIX = f"{INTERNAL_PREFIX}_stage_"
#: staged rows per commit of the staging tables: bounds what DuckDB holds uncommitted
CHUNK_ROWS = 50_000
#: batches queued for the helper thread that stages them while the caller reads the next ones
WRITE_BEHIND = 3
_live_tokens: set[str] = set()  # staging tokens of the runs open in this process
_live_lock = threading.Lock()


@dataclass
class _Table:
    """A table of the run; ``columns`` maps lower-cased name -> (name, DuckDB type)."""

    name: str
    spec: TableSpec
    stage: str = ""
    columns: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: columns the real table lacks, added to it at commit (merge and append)
    missing: list[tuple[str, str]] = field(default_factory=list)
    #: batch schema -> the batch columns to insert, once checked and evolved for
    inserts: dict[pa.Schema, list[str]] = field(default_factory=dict)


def arrow_columns(cur: duckdb.DuckDBPyConnection, view: str) -> list[tuple[str, str]]:
    """(name, DuckDB type) of a registered Arrow view, as DuckDB will read it."""
    rows = cur.execute(f"DESCRIBE SELECT * FROM {quote(view)}").fetchall()
    return [(row[0], row[1]) for row in rows]


def table_columns(cur: duckdb.DuckDBPyConnection, table: str) -> dict[str, tuple[str, str]]:
    """Columns of a stored table: lower name -> (name, DuckDB type)."""
    rows = cur.execute(f"DESCRIBE {quote(table)}").fetchall()
    return {row[0].lower(): (row[0], row[1]) for row in rows}


def drop_stale_stages(cur: duckdb.DuckDBPyConnection) -> list[str]:
    """Drop the staging tables no open run of this process owns (left by a killed run)."""
    with _live_lock:
        live = tuple(f"{STAGE_PREFIX}{token}" for token in _live_tokens)
    stale = [
        name
        for lower, name in meta.existing_tables(cur).items()
        if lower.startswith(STAGE_PREFIX) and not lower.startswith(live or ("\0",))
    ]
    for name in stale:
        cur.execute(f"DROP TABLE IF EXISTS {quote(name)}")
    return stale


class _WriteBehind:
    """One helper thread that runs a run's staging inserts in order, so DuckDB works while
    the caller reads the next pages. A failure is kept and raised at the caller's next call."""

    def __init__(self, depth: int) -> None:
        self._queue: queue.Queue[Callable[[], None] | None] = queue.Queue(maxsize=max(1, depth))
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def submit(self, job: Callable[[], None]) -> None:
        self._raise()
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._loop, name="duckdb-sink-write-behind", daemon=True
            )
            self._thread.start()
        self._queue.put(job)

    def drain(self) -> None:
        if self._thread is not None:
            self._queue.join()
        self._raise()

    def close(self) -> None:
        """Finish the queued jobs (after a failure: skip them) and stop the thread."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def _loop(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                if self._error is None:
                    job()
            except BaseException as exc:  # handed to the caller's thread
                self._error = exc
            finally:
                self._queue.task_done()


def _drop_stale_quietly(cur: duckdb.DuckDBPyConnection) -> None:
    # Its own transaction, best effort: a concurrent run dropping the same tables is no failure.
    try:
        cur.execute("BEGIN TRANSACTION")
        drop_stale_stages(cur)
        cur.execute("COMMIT")
    except duckdb.Error:
        with contextlib.suppress(duckdb.Error):
            cur.execute("ROLLBACK")


class DuckDBSinkRun(SinkRun):
    """A run writing the tables of one dataset (``base``) through staging tables.

    Use it from one thread. Any failure inside ``write``/``delete``/``commit`` rolls the whole
    run back (its staging tables dropped) before the error propagates; the tables stay as they
    were.
    """

    def __init__(
        self,
        cur: duckdb.DuckDBPyConnection,
        base: str,
        tables: Sequence[TableSpec],
        mode: UpdateMode,
        run_id: str,
        *,
        full: bool = False,
        chunk_rows: int = CHUNK_ROWS,
    ) -> None:
        self._cur = cur
        self._base = base
        self._mode = mode
        # a full merge rebuilds the tables like replace (see the module docstring)
        self._rebuild = mode is UpdateMode.REPLACE or (full and mode is UpdateMode.MERGE)
        self._run_id = run_id
        self._chunk_rows = max(1, chunk_rows)
        self._loaded_at = datetime.now(UTC)
        self._open = True
        self._in_transaction = False
        self._pending_rows = 0
        self._stats = WriteStats()
        self._token = uuid.uuid4().hex[:12]
        with _live_lock:
            _live_tokens.add(self._token)
        stage = f"{STAGE_PREFIX}{self._token}_{base.lower()}"
        self._tables = {
            s.suffix: _Table(table_name(base, s.suffix), s, stage=table_name(stage, s.suffix))
            for s in tables
        }
        self._deleted = f"{stage}_deleted_keys"
        self._deleted_any = False
        self._behind = _WriteBehind(depth=WRITE_BEHIND)
        _drop_stale_quietly(cur)
        with self._guard("opening the run"):
            self._begin()
            self._check_ownership()
            for table in self._tables.values():
                self._prepare(table)
            if mode is not UpdateMode.APPEND:
                self._create_deleted()
            self._commit_chunk()

    # -- the SinkRun contract -------------------------------------------------------------

    def write(self, batch: TableBatch) -> None:
        """Stage one batch (see the module docstring)."""
        with self._guard(f"writing to {self._name_of(batch.suffix)}"):
            table = self._table_for(batch.suffix)
            data = as_table(batch.batch)
            where = f"table {table.name!r}"
            required = self._required_keys(table)
            insert = table.inserts.get(data.schema)  # batches of a table mostly share a schema
            if insert is None:
                if self._mode is UpdateMode.APPEND:
                    _reject_append_columns(data.column_names, where)
                check_columns(data.column_names, where, required)
            check_keys_set(data, where, required)
            if data.num_rows == 0:
                return
            if insert is None:  # a new schema: checked and evolved now, so conflicts raise here
                self._drain()
                if self._mode is UpdateMode.MERGE:
                    data = last_per_key(data, table.spec.key)
                self._begin()
                with self._registered(data) as view:
                    insert = self._evolve(table, arrow_columns(self._cur, view))
                    table.inserts[data.schema] = insert
                self._stage(table, data, insert)
            else:
                self._behind.submit(functools.partial(self._stage_later, table, data, insert))

    def _stage_later(self, table: _Table, data: pa.Table, insert: list[str]) -> None:
        if self._mode is UpdateMode.MERGE:
            data = last_per_key(data, table.spec.key)
        self._stage(table, data, insert)

    def _stage(self, table: _Table, data: pa.Table, insert: list[str]) -> None:
        self._begin()
        with self._registered(data) as view:
            self._insert(table, view, insert)
        self._pending_rows += data.num_rows
        if self._pending_rows >= self._chunk_rows:
            self._commit_chunk()

    def delete(self, keys: Sequence[tuple[Any, ...]]) -> None:
        """Delete main-table rows by key, and their children (merge; also allowed in replace)."""
        main = self._main
        with self._guard(f"deleting from {main.name}"):
            if self._mode is UpdateMode.APPEND:
                raise BadBatchError(
                    f"delete() needs the merge update mode; {self._base!r} is written in "
                    "append mode"
                )
            if not keys:
                return
            data = keys_table(keys, main.spec.schema, main.spec.key)
            self._drain()
            self._begin()
            with self._registered(data) as view:
                # rows staged so far go now; rows of the real tables at commit
                removed = self._delete_matching(main.stage, main.spec.key, view, main.spec.key)
                _add(self._stats.rows_deleted, main.name, removed)
                for child in self._children:
                    removed = self._delete_matching(
                        child.stage, child.spec.parent_key, view, main.spec.key
                    )
                    _add(self._stats.rows_deleted, child.name, removed)
                self._deleted_any = True
                self._cur.execute(
                    f"INSERT INTO {quote(self._deleted)} "
                    f"SELECT DISTINCT {_select_as(main.spec.key)} FROM {quote(view)} "
                    f"EXCEPT SELECT * FROM {quote(self._deleted)}"
                )

    supports_checkpoints = True

    def commit(self, state: dict[str, Any] | None) -> WriteStats:
        """Apply the staged rows, record the tables and ``state``, in one transaction."""
        return self._commit(state, partial=False)

    def commit_checkpoint(self, state: dict[str, Any]) -> WriteStats:
        """Commit the rows of a failed run with its checkpoint cursor (marker: partial)."""
        return self._commit(state, partial=True)

    def _commit(self, state: dict[str, Any] | None, *, partial: bool) -> WriteStats:
        with self._guard(f"committing {self._base}"):
            state_json = _dump_state(state)
            self._drain()
            self._commit_chunk()
            self._begin()
            if self._rebuild:
                self._swap_in()
            elif self._mode is UpdateMode.MERGE:
                self._merge_in()
            else:
                self._append_in()
            meta.register_tables(
                self._cur, self._base, [(t.name, t.spec.suffix) for t in self._tables.values()]
            )
            meta.write_state(self._cur, self._base, state_json, self._run_id)
            count = self._cur.execute(f"SELECT count(*) FROM {quote(self._main.name)}").fetchone()
            meta.write_commit(
                self._cur, self._base, self._run_id,
                rows_written=sum(self._stats.rows_written.values()),
                rows_deleted=sum(self._stats.rows_deleted.values()),
                table_rows=int(count[0]) if count else None, partial=partial,
            )  # fmt: skip
            self._cur.execute("COMMIT")
            self._in_transaction = False
            self._finish()
        return self._stats

    def abort(self) -> None:
        """Roll back everything this run wrote; safe to call more than once."""
        self._rollback()

    # -- opening ------------------------------------------------------------------------------

    @property
    def _main(self) -> _Table:
        return self._tables[""]

    @property
    def _children(self) -> list[_Table]:
        return [t for t in self._tables.values() if t.spec.suffix]

    def _check_ownership(self) -> None:
        registered = meta.owners(self._cur)
        existing = meta.existing_tables(self._cur)
        for table in self._tables.values():
            owner = registered.get(table.name.lower())
            if owner is not None and owner != (self._base.lower(), table.spec.suffix):
                raise TableOwnershipError(
                    f"table {table.name!r} already belongs to the dataset table {owner[0]!r}; "
                    "give this dataset another table name"
                )
            if owner is None and table.name.lower() in existing:
                raise TableOwnershipError(
                    f"table {table.name!r} exists in the warehouse but was not created by "
                    "Backlog Connector; drop or rename it, or give this dataset another table name"
                )

    def _prepare(self, table: _Table) -> None:
        declared = self._declared_columns(table.spec)
        exists = table.name.lower() in meta.existing_tables(self._cur)
        if self._rebuild or not exists:
            table.columns = {n.lower(): (n, t) for n, t in declared}
            if not self._rebuild:
                table.missing = list(declared)  # the table is created at commit
        else:
            table.columns = table_columns(self._cur, table.name)
            new = self._conflicts_checked(table, declared)
            for name, type_ in new:
                table.columns[name.lower()] = (name, type_)
                self._stats.columns_added.setdefault(table.name, []).append(name)
            table.missing = new
        columns = ", ".join(f"{quote(n)} {t}" for n, t in table.columns.values())
        self._cur.execute(f"CREATE TABLE {quote(table.stage)} ({columns})")

    def _declared_columns(self, spec: TableSpec) -> list[tuple[str, str]]:
        empty = spec.schema.empty_table()
        with self._registered(empty) as view:
            declared = arrow_columns(self._cur, view)
        for name, type_ in declared:
            if type_ == _NULL_TYPE:
                raise BadBatchError(
                    f"table {self._name_of(spec.suffix)!r}: declared column {name!r} has Arrow "
                    "type null; declare the column's real type in the report's schema"
                )
        if self._mode is UpdateMode.APPEND:
            declared += [c for c in _APPEND_COLUMNS if c[0] not in spec.schema.names]
        return declared

    def _create_deleted(self) -> None:
        main = self._main
        columns = ", ".join(
            f"c{i} {main.columns[name.lower()][1]}" for i, name in enumerate(main.spec.key)
        )
        if not columns:  # replace without a key: delete() has nothing to match on
            columns = "c0 BIGINT"
        self._cur.execute(f"CREATE TABLE {quote(self._deleted)} ({columns})")

    # -- writing ------------------------------------------------------------------------------

    def _table_for(self, suffix: str) -> _Table:
        table = self._tables.get(suffix)
        if table is None:
            known = ", ".join(repr(s) for s in self._tables)
            raise BadBatchError(
                f"a batch for table suffix {suffix!r}, which the run did not open "
                f"(its tables have the suffixes {known})"
            )
        return table

    def _required_keys(self, table: _Table) -> tuple[str, ...]:
        if self._mode is not UpdateMode.MERGE:
            return ()
        return tuple(dict.fromkeys(table.spec.key + table.spec.parent_key))

    def _evolve(self, table: _Table, incoming: list[tuple[str, str]]) -> list[str]:
        """Add the batch's new columns to the staging table; return the batch columns to
        insert."""
        typed = [(n, t) for n, t in incoming if t != _NULL_TYPE]
        for name, type_ in self._conflicts_checked(table, typed):
            self._cur.execute(f"ALTER TABLE {quote(table.stage)} ADD COLUMN {quote(name)} {type_}")
            table.columns[name.lower()] = (name, type_)
            table.missing.append((name, type_))
            self._stats.columns_added.setdefault(table.name, []).append(name)
        return [n for n, t in incoming if n.lower() in table.columns and t != _NULL_TYPE]

    def _conflicts_checked(
        self, table: _Table, incoming: list[tuple[str, str]]
    ) -> list[tuple[str, str]]:
        """Raise on a type conflict (before anything changes); return the columns to add."""
        new = []
        for name, type_ in incoming:
            current = table.columns.get(name.lower())
            if current is None:
                new.append((name, type_))
            elif current[1] != type_:
                mode = UpdateMode.REPLACE if self._rebuild else self._mode
                raise SchemaConflictError(
                    f"table {table.name!r}, column {current[0]!r}: the table holds {current[1]} "
                    f"but the new data has {type_}; the sink does not guess a conversion. "
                    + _CONFLICT_FIX[mode]
                )
        return new

    def _delete_matching(
        self,
        table: str,
        table_cols: Sequence[str],
        source: str,
        source_cols: Sequence[str],
    ) -> int:
        """DELETE the rows of ``table`` whose ``table_cols`` equal ``source_cols`` of a row of
        the table or view ``source``."""
        match = " AND ".join(
            f"t.{quote(a)} = s.{quote(b)}" for a, b in zip(table_cols, source_cols, strict=True)
        )
        row = self._cur.execute(
            f"DELETE FROM {quote(table)} AS t USING {quote(source)} AS s WHERE {match}"
        ).fetchone()
        return int(row[0]) if row else 0

    def _insert(self, table: _Table, view: str, columns: list[str]) -> None:
        targets = [quote(table.columns[c.lower()][0]) for c in columns]
        sources = [f"s.{quote(c)}" for c in columns]
        params: list[Any] = []
        if self._mode is UpdateMode.APPEND:
            targets += [RUN_ID_COLUMN, LOADED_AT_COLUMN]
            sources += ["?", "?::TIMESTAMPTZ"]
            params = [self._run_id, self._loaded_at]
        row = self._cur.execute(
            f"INSERT INTO {quote(table.stage)} ({', '.join(targets)}) "
            f"SELECT {', '.join(sources)} FROM {quote(view)} AS s",
            params,
        ).fetchone()
        _add(self._stats.rows_written, table.name, int(row[0]) if row else 0)

    @contextmanager
    def _registered(self, data: pa.Table) -> Iterator[str]:
        view = f"_backlog_connector_batch_{next(_view_numbers)}"
        self._cur.register(view, data)
        try:
            yield view
        finally:
            self._cur.unregister(view)

    # -- committing -----------------------------------------------------------------------------

    def _dedupe(self, table: _Table) -> None:
        """Merge: keep the last staged row of each key (rowids grow with insertion)."""
        key = table.spec.key
        if self._mode is not UpdateMode.MERGE or not key:
            return
        cols = ", ".join(quote(c) for c in key)
        self._cur.execute(
            f"DELETE FROM {quote(table.stage)} WHERE rowid IN (SELECT r FROM ("
            f"SELECT rowid AS r, row_number() OVER (PARTITION BY {cols} ORDER BY rowid DESC) "
            f"AS n FROM {quote(table.stage)}) WHERE n > 1)"
        )

    def _swap_in(self) -> None:
        """Replace / full merge: the staging tables become the tables."""
        existing = meta.existing_tables(self._cur)
        for table in self._tables.values():
            self._dedupe(table)
            if table.name.lower() in existing:
                self._cur.execute(f"DROP TABLE {quote(existing[table.name.lower()])}")
            self._cur.execute(f"ALTER TABLE {quote(table.stage)} RENAME TO {quote(table.name)}")
        self._cur.execute(f"DROP TABLE IF EXISTS {quote(self._deleted)}")

    def _add_missing(self) -> None:
        existing = meta.existing_tables(self._cur)
        for table in self._tables.values():
            if table.name.lower() not in existing:
                columns = ", ".join(f"{quote(n)} {t}" for n, t in table.missing)
                self._cur.execute(f"CREATE TABLE {quote(table.name)} ({columns})")
                continue
            for name, type_ in table.missing:
                self._cur.execute(
                    f"ALTER TABLE {quote(table.name)} ADD COLUMN {quote(name)} {type_}"
                )

    def _merge_in(self) -> None:
        """Merge: delete what the run deleted or replaces, then insert the staged rows."""
        self._add_missing()
        main = self._main
        key_cols = [f"c{i}" for i in range(len(main.spec.key))]
        if self._deleted_any:
            deleted = self._delete_matching(main.name, main.spec.key, self._deleted, key_cols)
            _add(self._stats.rows_deleted, main.name, deleted)
            for child in self._children:
                removed = self._delete_matching(
                    child.name, child.spec.parent_key, self._deleted, key_cols
                )
                _add(self._stats.rows_deleted, child.name, removed)
        if self._children:
            # every parent the run wrote (as a parent, or through a child) gets its children
            # from this run only
            parents = f"{self._deleted}_parents"
            sources = [f"SELECT DISTINCT {_select_as(main.spec.key)} FROM {quote(main.stage)}"]
            sources += [
                f"SELECT DISTINCT {_select_as(c.spec.parent_key)} FROM {quote(c.stage)}"
                for c in self._children
            ]
            self._cur.execute(f"CREATE TEMP TABLE {quote(parents)} AS {' UNION '.join(sources)}")
            for child in self._children:
                self._delete_matching(child.name, child.spec.parent_key, parents, key_cols)
            self._cur.execute(f"DROP TABLE {quote(parents)}")
        for table in self._tables.values():
            self._dedupe(table)
            if table.spec.key:
                self._delete_matching(table.name, table.spec.key, table.stage, table.spec.key)
        self._insert_staged()

    def _append_in(self) -> None:
        self._add_missing()
        for table in self._tables.values():
            self._cur.execute(
                f"DELETE FROM {quote(table.name)} WHERE {RUN_ID_COLUMN} = ?", [self._run_id]
            )
        self._insert_staged()

    def _insert_staged(self) -> None:
        for table in self._tables.values():
            names = ", ".join(quote(n) for n, _ in table.columns.values())
            self._cur.execute(
                f"INSERT INTO {quote(table.name)} ({names}) "
                f"SELECT {names} FROM {quote(table.stage)}"
            )
            self._cur.execute(f"DROP TABLE {quote(table.stage)}")
        self._cur.execute(f"DROP TABLE IF EXISTS {quote(self._deleted)}")

    # -- life cycle -----------------------------------------------------------------------------

    def _name_of(self, suffix: str) -> str:
        return table_name(self._base, suffix)

    def _drain(self) -> None:
        """Wait for the staged inserts still queued; raise the first one's failure."""
        self._behind.drain()

    def _begin(self) -> None:
        if not self._in_transaction:
            self._cur.execute("BEGIN TRANSACTION")
            self._in_transaction = True

    def _commit_chunk(self) -> None:
        if self._in_transaction:
            self._cur.execute("COMMIT")
            self._in_transaction = False
        self._pending_rows = 0

    def _check_open(self) -> None:
        if not self._open:
            raise RunFinishedError(
                f"the run {self._run_id!r} of {self._base!r} is already committed or rolled "
                "back; open a new run"
            )

    @contextmanager
    def _guard(self, doing: str) -> Iterator[None]:
        """Roll the run back on any failure, and give DuckDB's errors a place in the tree."""
        self._check_open()
        try:
            yield
        except BaseException as exc:
            self._rollback()
            if _disk_full(exc):
                raise DiskFullError(
                    f"{doing}: no space left on device (the disk holding the warehouse or"
                    " DuckDB's temporary files is full); the run was rolled back and the table"
                    " kept: free some space, then run it again"
                ) from exc
            if isinstance(exc, duckdb.TransactionException):
                raise WriteConflictError(
                    f"{doing}: a concurrent transaction changed the same rows ({exc}); "
                    "the run was rolled back, run it again"
                ) from exc
            if isinstance(exc, duckdb.Error):
                raise WarehouseError(f"{doing}: DuckDB failed: {exc}") from exc
            raise

    def _rollback(self) -> None:
        if not self._open:
            return
        self._behind.close()  # the helper stops touching the cursor before it rolls back
        # After a failed COMMIT DuckDB has already ended the transaction: nothing is left open.
        with contextlib.suppress(duckdb.Error):
            self._cur.execute("ROLLBACK")
        self._in_transaction = False
        with contextlib.suppress(duckdb.Error):
            self._cur.execute("BEGIN TRANSACTION")
            for table in self._tables.values():
                self._cur.execute(f"DROP TABLE IF EXISTS {quote(table.stage)}")
            self._cur.execute(f"DROP TABLE IF EXISTS {quote(self._deleted)}")
            self._cur.execute("COMMIT")
        self._finish()

    def _finish(self) -> None:
        self._open = False
        self._behind.close()
        with _live_lock:
            _live_tokens.discard(self._token)
        self._cur.close()


def _disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is the disk running out of space."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno == errno.ENOSPC:
            return True
        if "no space left on device" in str(seen).lower():
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def check_specs(base: str, tables: Sequence[TableSpec], mode: UpdateMode) -> None:
    """Reject table specs the sink cannot honour (a bug in the report), before anything runs."""
    suffixes = [spec.suffix for spec in tables]
    if suffixes.count("") != 1 or len(set(suffixes)) != len(suffixes):
        raise BadBatchError(
            f"{base!r}: a run needs exactly one main table (suffix '') and distinct child "
            f"suffixes, got {suffixes!r}"
        )
    main = next(spec for spec in tables if spec.suffix == "")
    if mode is UpdateMode.MERGE and not main.key:
        raise BadBatchError(
            f"{base!r}: merge needs a key on the main table; this report has none, so use "
            "replace or append"
        )
    for spec in tables:
        where = table_name(base, spec.suffix)
        if spec.suffix and not _SUFFIX.fullmatch(spec.suffix):
            raise BadBatchError(f"{where!r}: a child suffix takes lower-case a-z, 0-9 and '_'")
        missing = [c for c in spec.key + spec.parent_key if c not in spec.schema.names]
        if missing:
            raise BadBatchError(f"{where!r}: key columns {missing!r} are not in the schema")
        if spec.suffix and mode is UpdateMode.MERGE and len(spec.parent_key) != len(main.key):
            raise BadBatchError(
                f"{where!r}: merge replaces children per parent, so the child needs a "
                f"parent_key of {len(main.key)} column(s) matching the main key {main.key!r}"
            )


def _select_as(columns: Sequence[str]) -> str:
    return ", ".join(f"{quote(c)} AS c{i}" for i, c in enumerate(columns))


def _add(counter: dict[str, int], name: str, rows: int) -> None:
    counter[name] = counter.get(name, 0) + rows


def _reject_append_columns(names: Sequence[str], where: str) -> None:
    clash = [n for n in names if n.lower() in (RUN_ID_COLUMN, LOADED_AT_COLUMN)]
    if clash:
        raise BadBatchError(
            f"{where}: the batch carries {clash!r}, which the sink sets itself in append mode; "
            "leave these columns out of the report"
        )


def _dump_state(state: dict[str, Any] | None) -> str | None:
    if state is None:
        return None
    if not isinstance(state, dict):
        kind = type(state).__name__
        raise BadBatchError(f"commit() takes the state as a dict or None, got {kind}")
    try:
        return orjson.dumps(state).decode()
    except TypeError as exc:
        raise BadBatchError(f"the run's state is not JSON-serialisable: {exc}") from exc
