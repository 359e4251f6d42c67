"""The connector's own tables inside the warehouse: run state (cursors), the table registry and
the commit markers.

All are written inside the run's transaction, so a cursor is never newer (or older) than the
rows it describes, ``drop`` knows every table a dataset made, and a run killed between its
commit and the update of its run record can still be told apart from one that committed
nothing: its marker (run id, counts) is there exactly when its rows are.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import duckdb
import orjson

from backlog_connector.sinks.naming import INTERNAL_PREFIX

STATE_TABLE = f"{INTERNAL_PREFIX}_state"
TABLES_TABLE = f"{INTERNAL_PREFIX}_tables"
COMMITS_TABLE = f"{INTERNAL_PREFIX}_commits"
#: commit markers kept per dataset table (the newest ones)
KEEP_COMMITS = 200

_CREATE = (
    f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} ("
    " table_name VARCHAR PRIMARY KEY, state JSON, run_id VARCHAR, committed_at TIMESTAMPTZ)",
    f"CREATE TABLE IF NOT EXISTS {TABLES_TABLE} ("
    " table_name VARCHAR PRIMARY KEY, base VARCHAR NOT NULL, suffix VARCHAR NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {COMMITS_TABLE} ("
    " run_id VARCHAR PRIMARY KEY, table_name VARCHAR NOT NULL, committed_at TIMESTAMPTZ,"
    " rows_written BIGINT, rows_deleted BIGINT, table_rows BIGINT, partial BOOLEAN)",
)


def ensure_meta_tables(cur: duckdb.DuckDBPyConnection) -> None:
    """Create the state and registry tables if the file lacks them."""
    for statement in _CREATE:
        cur.execute(statement)


def existing_tables(cur: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Tables of the main schema, lower-cased name -> name as stored."""
    rows = cur.execute(
        "SELECT table_name FROM duckdb_tables() "
        "WHERE database_name = current_database() AND schema_name = 'main' AND NOT temporary"
    ).fetchall()
    return {name.lower(): name for (name,) in rows}


def read_state(cur: duckdb.DuckDBPyConnection, base: str) -> dict[str, Any] | None:
    """The state committed for ``base``, or None (no run committed one, or no state table)."""
    if STATE_TABLE not in existing_tables(cur):
        return None
    row = cur.execute(
        f"SELECT state FROM {STATE_TABLE} WHERE table_name = ?", [base.lower()]
    ).fetchone()
    if row is None or row[0] is None:
        return None
    value = orjson.loads(row[0])
    return value if isinstance(value, dict) else None


def write_state(
    cur: duckdb.DuckDBPyConnection, base: str, state_json: str | None, run_id: str
) -> None:
    """Record the run; ``state_json=None`` keeps the state already stored."""
    cur.execute(
        f"INSERT INTO {STATE_TABLE} VALUES (?, ?::JSON, ?, now()) "
        "ON CONFLICT (table_name) DO UPDATE SET "
        f"state = COALESCE(excluded.state, {STATE_TABLE}.state), "
        "run_id = excluded.run_id, committed_at = excluded.committed_at",
        [base.lower(), state_json, run_id],
    )


def write_commit(
    cur: duckdb.DuckDBPyConnection,
    base: str,
    run_id: str,
    *,
    rows_written: int,
    rows_deleted: int,
    table_rows: int | None,
    partial: bool = False,
) -> None:
    """Mark ``run_id`` committed (inside its transaction; ``partial``: a failed run's
    checkpoint); older markers of ``base`` beyond the newest ``KEEP_COMMITS`` are dropped."""
    cur.execute(
        f"INSERT OR REPLACE INTO {COMMITS_TABLE} VALUES (?, ?, now(), ?, ?, ?, ?)",
        [run_id, base.lower(), rows_written, rows_deleted, table_rows, partial],
    )
    cur.execute(
        f"DELETE FROM {COMMITS_TABLE} WHERE table_name = ? AND run_id NOT IN ("
        f" SELECT run_id FROM {COMMITS_TABLE} WHERE table_name = ?"
        f" ORDER BY committed_at DESC LIMIT {KEEP_COMMITS})",
        [base.lower(), base.lower()],
    )


def read_commits(cur: duckdb.DuckDBPyConnection, run_ids: Iterable[str]) -> dict[str, Any]:
    """The markers of those runs that committed: run id -> {committed_at, rows_written,
    rows_deleted, table_rows, table, partial}."""
    wanted = list(dict.fromkeys(run_ids))
    if not wanted or COMMITS_TABLE not in existing_tables(cur):
        return {}
    rows = cur.execute(
        f"SELECT run_id, table_name, committed_at, rows_written, rows_deleted, table_rows,"
        f" partial FROM {COMMITS_TABLE} WHERE list_contains(?, run_id)",
        [wanted],
    ).fetchall()
    return {
        run_id: {"table": table, "committed_at": at, "rows_written": written,
                 "rows_deleted": deleted, "table_rows": count, "partial": bool(partial)}
        for run_id, table, at, written, deleted, count, partial in rows
    }  # fmt: skip


def owners(cur: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str]]:
    """Registered tables: lower-cased table name -> (base, suffix)."""
    if TABLES_TABLE not in existing_tables(cur):
        return {}
    rows = cur.execute(f"SELECT table_name, base, suffix FROM {TABLES_TABLE}").fetchall()
    return {name: (base, suffix) for name, base, suffix in rows}


def register_tables(
    cur: duckdb.DuckDBPyConnection, base: str, tables: Iterable[tuple[str, str]]
) -> None:
    """Record that ``base`` owns the given (table name, suffix) pairs."""
    for name, suffix in tables:
        cur.execute(
            f"INSERT INTO {TABLES_TABLE} VALUES (?, ?, ?) ON CONFLICT (table_name) DO NOTHING",
            [name.lower(), base.lower(), suffix],
        )


def forget(cur: duckdb.DuckDBPyConnection, base: str) -> list[str]:
    """Remove ``base``'s state and registry rows; return the table names it had registered."""
    rows = cur.execute(
        f"SELECT table_name FROM {TABLES_TABLE} WHERE base = ? ORDER BY table_name", [base.lower()]
    ).fetchall()
    cur.execute(f"DELETE FROM {TABLES_TABLE} WHERE base = ?", [base.lower()])
    cur.execute(f"DELETE FROM {STATE_TABLE} WHERE table_name = ?", [base.lower()])
    if COMMITS_TABLE in existing_tables(cur):  # a later run may get one of these run ids
        cur.execute(f"DELETE FROM {COMMITS_TABLE} WHERE table_name = ?", [base.lower()])
    return [name for (name,) in rows]
