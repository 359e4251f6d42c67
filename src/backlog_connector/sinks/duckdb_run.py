"""One run's writes into DuckDB: rows staged in files of the run's own, applied in one short
write of the warehouse at the end.

Why staging files: a run reads from Backlog for minutes (rate limits) but needs the warehouse
for a second or two. Staging outside it lets other processes (the duckdb CLI, notebooks, BI
tools, the CLI beside ``serve``) open ``warehouse.duckdb`` while the run works: the warehouse is
opened only briefly at the start (read-only: which tables and columns exist) and, read-write, for
the commit (``duckdb_apply``). The rows wait as Arrow IPC files (``duckdb_rows``), written by a
helper thread while the run reads on, so each row is encoded into DuckDB storage once, by the
commit; the run's own DuckDB file holds the deleted keys and, by DuckDB's lock on it, marks the
run as alive. A failed or aborted run deletes its staging files; a killed one leaves them, and
the next run removes them (``duckdb_staging``). Until the commit the real tables and the state
are untouched.

Semantics per mode:

- replace: the tables are rebuilt from the declared schema; each table then holds exactly this
  run's rows and columns (declared ones plus any new column a batch brought).
- merge with ``full=True`` (a run without a cursor, which reads every row of the dataset): as
  replace, with merge's last-row-per-key; a type change of a column needs no separate run.
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
import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from backlog_connector.reports.base import TableBatch, TableSpec, UpdateMode
from backlog_connector.sinks import duckdb_staging as staging
from backlog_connector.sinks.arrow_batches import as_table, keys_table, last_per_key_folded
from backlog_connector.sinks.base import SinkRun, WriteStats, table_name
from backlog_connector.sinks.duckdb_apply import Applier
from backlog_connector.sinks.duckdb_columns import (
    NULL_TYPE,
    arrow_columns,
    conflicts_checked,
    declared_columns,
    registered,
)
from backlog_connector.sinks.duckdb_failures import run_failure
from backlog_connector.sinks.duckdb_file import COMMIT_WAIT_SECONDS, WarehouseFile
from backlog_connector.sinks.duckdb_rows import StagedRows
from backlog_connector.sinks.duckdb_tables import RunTable, Snapshot, check_ownership
from backlog_connector.sinks.errors import RunFinishedError
from backlog_connector.sinks.naming import quote
from backlog_connector.sinks.run_rules import (
    add_count,
    check_batch,
    dump_state,
    finished,
    refuse_delete,
    table_for,
)
from backlog_connector.sinks.write_behind import WriteBehind

_DELETED = "deleted_keys"
#: the staging connection's threads: it only describes batches and records deleted keys
STAGING_THREADS = 1
_STAGE_DB = "stage"


class DuckDBSinkRun(SinkRun):
    """A run writing the tables of one dataset (``base``) through its own staging file.

    Use it from one thread. Any failure inside ``write``/``delete``/``commit`` rolls the whole
    run back (its staging file deleted) before the error propagates; the tables stay as they
    were. ``on_wait(message)`` hears about waits for other processes to let go of the file.
    """

    def __init__(
        self,
        warehouse: WarehouseFile,
        base: str,
        tables: Sequence[TableSpec],
        mode: UpdateMode,
        run_id: str,
        *,
        full: bool = False,
        memory_limit: str | None = None,
        commit_wait: float = COMMIT_WAIT_SECONDS,
        on_wait: Callable[[str], None] | None = None,
    ) -> None:
        self._warehouse = warehouse
        self._base = base
        self._mode = mode
        # a full merge rebuilds the tables like replace (see the module docstring)
        self._rebuild = mode is UpdateMode.REPLACE or (full and mode is UpdateMode.MERGE)
        self._run_id = run_id
        self._memory_limit = memory_limit
        self._commit_wait = commit_wait
        self._on_wait = on_wait
        self._loaded_at = datetime.now(UTC)
        self._open = True
        self._next_seq = 0  # the number the next staged row gets (deletes compare with it)
        self._stats = WriteStats()
        snapshot = Snapshot(warehouse, [table_name(base, s.suffix) for s in tables])
        staging.remove_stale(warehouse.path)
        self._file: Path = staging.new_staging_file(warehouse.path)
        folder = staging.rows_dir(self._file)
        dedupe = mode is UpdateMode.MERGE
        self._tables = {
            s.suffix: RunTable(
                table_name(base, s.suffix),
                s,
                StagedRows(folder, f"t{i}", track_repeats=dedupe and bool(s.key)),
            )
            for i, s in enumerate(tables)
        }
        self._deleted_any = False
        self._behind = WriteBehind(name="duckdb-sink-write-behind")
        self._con: duckdb.DuckDBPyConnection | None = None
        with self._guard("opening the run"):
            # spills go beside the staging file, as they would for a connection opened on it
            self._con = duckdb.connect(
                ":memory:",
                config={"threads": STAGING_THREADS, "temp_directory": f"{self._file}.tmp"},
            )
            self._con.execute(f"ATTACH ? AS {_STAGE_DB}", [str(self._file)])
            self._con.execute(f"USE {_STAGE_DB}")
            if memory_limit is not None:
                self._con.execute("SET memory_limit = ?", [memory_limit])
            self._con.execute("SET TimeZone = 'UTC'")
            check_ownership(base, list(self._tables.values()), snapshot.owners, snapshot.existing)
            for table in self._tables.values():
                self._prepare(table, snapshot)
            if mode is not UpdateMode.APPEND:
                self._create_deleted()

    @property
    def _cur(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            raise RunFinishedError(f"the run {self._run_id!r} of {self._base!r} is closed")
        return self._con

    # -- the SinkRun contract -------------------------------------------------------------

    def write(self, batch: TableBatch) -> None:
        """Stage one batch (see the module docstring)."""
        with self._guard(f"writing to {table_name(self._base, batch.suffix)}"):
            table = self._table_for(batch.suffix)
            data = as_table(batch.batch)
            insert = table.inserts.get(data.schema)  # batches of a table mostly share a schema
            where = f"table {table.name!r}"
            check_batch(data, self._mode, table.spec, where, new_schema=insert is None)
            if data.num_rows == 0:
                return
            if insert is None:  # a new schema: checked and evolved now, so conflicts raise here
                with self._registered(data) as view:
                    insert = self._evolve(table, arrow_columns(self._cur, view))
                    table.inserts[data.schema] = insert
            first_seq, self._next_seq = self._next_seq, self._next_seq + data.num_rows
            self._behind.submit(functools.partial(self._stage, table, data, insert, first_seq))

    def delete(self, keys: Sequence[tuple[Any, ...]]) -> None:
        """Delete main-table rows by key, and their children (merge; also allowed in replace)."""
        main = self._main
        with self._guard(f"deleting from {main.name}"):
            refuse_delete(self._mode, self._base)
            if not keys:
                return
            data = keys_table(keys, main.spec.schema, main.spec.key)
            with self._registered(data) as view:
                # the rows staged so far (numbered below next_seq) and the real tables' rows go
                # at commit; rows staged after this delete stay
                keys_sql = ", ".join(f"v.{quote(c)}" for c in main.spec.key)
                self._cur.execute(
                    f"INSERT INTO {_DELETED} SELECT DISTINCT {keys_sql}, ? FROM {quote(view)} AS v",
                    [self._next_seq],
                )
                self._deleted_any = True

    supports_checkpoints = True

    def commit(self, state: dict[str, Any] | None) -> WriteStats:
        """Apply the staged rows, record the tables and ``state``, in one short transaction of
        the warehouse (waiting while other processes hold the file, up to ``commit_wait``)."""
        return self._commit(state, partial=False)

    def commit_checkpoint(self, state: dict[str, Any]) -> WriteStats:
        """Commit the rows of a failed run with its checkpoint cursor (marker: partial)."""
        return self._commit(state, partial=True)

    def _commit(self, state: dict[str, Any] | None, *, partial: bool) -> WriteStats:
        with self._guard(f"committing {self._base}"):
            state_json = dump_state(state)
            self._behind.drain()
            for table in self._tables.values():
                table.rows.close()
            self._cur.execute(f"CHECKPOINT {_STAGE_DB}")
            applier = Applier(
                self._base, list(self._tables.values()), self._mode,
                rebuild=self._rebuild, run_id=self._run_id, loaded_at=self._loaded_at,
                deleted=_DELETED if self._deleted_any else None, stats=self._stats,
            )  # fmt: skip
            with self._warehouse.writing(
                wait=self._commit_wait, on_wait=self._on_wait, memory_limit=self._memory_limit
            ) as con:
                # the staging file stays open (locked: a run of another process would take it
                # for a killed run's and remove it) while the commit waits for the warehouse;
                # the commit then attaches it read-only
                self._cur.close()
                self._con = None
                applier.apply_file(con, self._file, state_json, partial=partial)
            self._finish()
        return self._stats

    def abort(self) -> None:
        """Roll back everything this run wrote; safe to call more than once."""
        self._rollback()

    # -- opening ------------------------------------------------------------------------------

    @property
    def _main(self) -> RunTable:
        return self._tables[""]

    @property
    def _children(self) -> list[RunTable]:
        return [t for t in self._tables.values() if t.spec.suffix]

    def _prepare(self, table: RunTable, snapshot: Snapshot) -> None:
        declared = self._declared_columns(table.spec)
        stored = snapshot.columns.get(table.name.lower())
        if self._rebuild or stored is None:
            table.columns = {n.lower(): (n, t) for n, t in declared}
        else:
            table.columns = dict(stored)
            for name, type_ in self._conflicts_checked(table, declared):
                table.columns[name.lower()] = (name, type_)
                self._stats.columns_added.setdefault(table.name, []).append(name)

    def _declared_columns(self, spec: TableSpec) -> list[tuple[str, str]]:
        where = table_name(self._base, spec.suffix)
        return declared_columns(self._cur, spec, self._mode, where)

    def _create_deleted(self) -> None:
        main = self._main
        columns = ", ".join(
            f"c{i} {main.columns[name.lower()][1]}" for i, name in enumerate(main.spec.key)
        )
        if not columns:  # replace without a key: delete() has nothing to match on
            columns = "c0 BIGINT"
        self._cur.execute(f"CREATE TABLE {_DELETED} ({columns}, seq BIGINT)")

    # -- writing ------------------------------------------------------------------------------

    def _table_for(self, suffix: str) -> RunTable:
        return table_for(self._tables, suffix)

    def _evolve(self, table: RunTable, incoming: list[tuple[str, str]]) -> list[str]:
        """Add the batch's new columns to the run's table; return the batch columns to
        stage."""
        typed = [(n, t) for n, t in incoming if t != NULL_TYPE]
        for name, type_ in self._conflicts_checked(table, typed):
            table.columns[name.lower()] = (name, type_)
            self._stats.columns_added.setdefault(table.name, []).append(name)
        return [n for n, t in incoming if n.lower() in table.columns and t != NULL_TYPE]

    def _conflicts_checked(
        self, table: RunTable, incoming: list[tuple[str, str]]
    ) -> list[tuple[str, str]]:
        return conflicts_checked(
            table, incoming, UpdateMode.REPLACE if self._rebuild else self._mode
        )

    def _stage(self, table: RunTable, data: pa.Table, insert: list[str], first_seq: int) -> None:
        folded = None
        if self._mode is UpdateMode.MERGE:
            data, folded = last_per_key_folded(data, table.spec.key)
        table.rows.write(data.select(insert), first_seq, folded)
        add_count(self._stats.rows_written, table.name, data.num_rows)

    def _registered(self, data: pa.Table) -> contextlib.AbstractContextManager[str]:
        return registered(self._cur, data)

    # -- life cycle -----------------------------------------------------------------------------

    def _check_open(self) -> None:
        if not self._open:
            raise finished(self._run_id, self._base)

    @contextmanager
    def _guard(self, doing: str) -> Iterator[None]:
        """Roll the run back on any failure, and give DuckDB's errors a place in the tree."""
        self._check_open()
        try:
            yield
        except BaseException as exc:
            self._rollback()
            mapped = run_failure(doing, exc)
            if mapped is exc:
                raise
            raise mapped from exc

    def _rollback(self) -> None:
        if not self._open:
            return
        self._behind.close()  # the helper stops writing before its files go
        self._finish()

    def _finish(self) -> None:
        self._open = False
        self._behind.close()
        for table in self._tables.values():
            table.rows.abandon()
        if self._con is not None:
            with contextlib.suppress(duckdb.Error):
                self._con.close()
            self._con = None
        staging.release(self._file)
