"""The connector's own tables in a PostgreSQL destination schema: run state (cursors), the table
registry, and the map of columns PostgreSQL's 63-byte limit made us shorten.

All three are written inside the run's applying transaction, so a cursor is never newer (or
older) than the rows it describes. Names are stored as they are in PostgreSQL (shortened ones
included); ``qualified`` quotes them with the schema.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from backlog_connector.sinks.naming import INTERNAL_PREFIX, quote

STATE_TABLE = f"{INTERNAL_PREFIX}_state"
TABLES_TABLE = f"{INTERNAL_PREFIX}_tables"
COLUMNS_TABLE = f"{INTERNAL_PREFIX}_columns"
COMMITS_TABLE = f"{INTERNAL_PREFIX}_commits"
#: commit markers kept per dataset table (the newest ones)
KEEP_COMMITS = 200
#: serialises the creation of the tables above among processes (any constant will do)
_CREATE_LOCK = 0x6261636B6C6F67


def qualified(schema: str, name: str) -> str:
    """``"schema"."name"``."""
    return f"{quote(schema)}.{quote(name)}"


def ensure_meta_tables(cur: Any, schema: str) -> None:
    """Create the schema and the connector's tables if missing (caller commits)."""
    cur.execute(f"SELECT pg_advisory_xact_lock({_CREATE_LOCK})")
    cur.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}")
    cur.execute(
        f"CREATE TABLE IF NOT EXISTS {qualified(schema, STATE_TABLE)} (table_name TEXT PRIMARY "
        "KEY, state JSONB, run_id TEXT, committed_at TIMESTAMPTZ)"
    )
    cur.execute(
        f"CREATE TABLE IF NOT EXISTS {qualified(schema, TABLES_TABLE)} (table_name TEXT PRIMARY "
        "KEY, base TEXT NOT NULL, suffix TEXT NOT NULL)"
    )
    cur.execute(
        f"CREATE TABLE IF NOT EXISTS {qualified(schema, COLUMNS_TABLE)} (table_name TEXT NOT "
        "NULL, column_name TEXT NOT NULL, source_name TEXT NOT NULL, "
        "PRIMARY KEY (table_name, column_name))"
    )
    cur.execute(
        f"CREATE TABLE IF NOT EXISTS {qualified(schema, COMMITS_TABLE)} (run_id TEXT PRIMARY "
        "KEY, table_name TEXT NOT NULL, committed_at TIMESTAMPTZ, rows_written BIGINT, "
        "rows_deleted BIGINT, table_rows BIGINT, partial BOOLEAN)"
    )


def existing_tables(cur: Any, schema: str) -> set[str]:
    """Names of the ordinary tables in ``schema``."""
    cur.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')",
        (schema,),
    )
    return {row[0] for row in cur.fetchall()}


def table_columns(cur: Any, schema: str, table: str) -> dict[str, str]:
    """Columns of a stored table in order: name -> type as ``format_type`` prints it."""
    cur.execute(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
        "WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped "
        "ORDER BY a.attnum",
        (qualified(schema, table),),
    )
    return {name: type_ for name, type_ in cur.fetchall()}


def columns_views_use(cur: Any, schema: str, table: str) -> set[str]:
    """Columns of ``table`` that a view or rule depends on (they cannot be dropped or
    retyped without it)."""
    cur.execute(
        "SELECT DISTINCT a.attname FROM pg_depend d JOIN pg_attribute a "
        "ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid "
        "WHERE d.refobjid = $1::regclass AND d.classid = 'pg_rewrite'::regclass "
        "AND d.refobjsubid > 0",
        (qualified(schema, table),),
    )
    return {row[0] for row in cur.fetchall()}


def has_index(cur: Any, schema: str, index: str) -> bool:
    """Whether ``schema`` holds an index named ``index``."""
    cur.execute(
        "SELECT 1 FROM pg_indexes WHERE schemaname = $1 AND indexname = $2", (schema, index)
    )
    return cur.fetchone() is not None


def read_state(cur: Any, schema: str, base: str) -> dict[str, Any] | None:
    """The state committed for ``base``, or None (also when the connector's tables are gone,
    e.g. someone dropped the schema: the next run is then a full one and makes them again)."""
    cur.execute("SELECT to_regclass($1)", (qualified(schema, STATE_TABLE),))
    found = cur.fetchone()
    if found is None or found[0] is None:
        return None
    cur.execute(
        f"SELECT state::text FROM {qualified(schema, STATE_TABLE)} WHERE table_name = $1",
        (base.lower(),),
    )
    row = cur.fetchone()
    if row is None or row[0] is None:
        return None
    value = orjson.loads(row[0])
    return value if isinstance(value, dict) else None


def write_state(cur: Any, schema: str, base: str, state_json: str | None, run_id: str) -> None:
    """Record the run; ``state_json=None`` keeps the state already stored."""
    table = qualified(schema, STATE_TABLE)
    cur.execute(
        f"INSERT INTO {table} AS t VALUES ($1, $2::jsonb, $3, now()) "
        "ON CONFLICT (table_name) DO UPDATE SET state = COALESCE(excluded.state, t.state), "
        "run_id = excluded.run_id, committed_at = excluded.committed_at",
        (base.lower(), state_json, run_id),
    )


def write_commit(
    cur: Any,
    schema: str,
    base: str,
    run_id: str,
    *,
    rows_written: int,
    rows_deleted: int,
    table_rows: int | None,
    partial: bool = False,
) -> None:
    """Mark ``run_id`` committed, inside its transaction (``partial``: a failed run's
    checkpoint), so a run killed before its run record was written can be settled from it;
    markers of ``base`` past the newest ``KEEP_COMMITS`` are dropped."""
    table = qualified(schema, COMMITS_TABLE)
    cur.execute(
        f"INSERT INTO {table} AS t VALUES ($1, $2, now(), $3, $4, $5, $6) "
        "ON CONFLICT (run_id) DO UPDATE SET committed_at = excluded.committed_at, "
        "rows_written = excluded.rows_written, rows_deleted = excluded.rows_deleted, "
        "table_rows = excluded.table_rows, partial = excluded.partial",
        (run_id, base.lower(), rows_written, rows_deleted, table_rows, partial),
    )
    cur.execute(
        f"DELETE FROM {table} WHERE table_name = $1 AND run_id NOT IN (SELECT run_id FROM "
        f"{table} WHERE table_name = $1 ORDER BY committed_at DESC LIMIT {KEEP_COMMITS})",
        (base.lower(),),
    )


def read_commits(cur: Any, schema: str, run_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The markers of those runs that committed (run id -> committed_at, rows_written,
    rows_deleted, table_rows, table, partial)."""
    if not run_ids:
        return {}
    cur.execute(
        "SELECT run_id, table_name, committed_at, rows_written, rows_deleted, table_rows, "
        f"partial FROM {qualified(schema, COMMITS_TABLE)} WHERE run_id = ANY($1::text[])",
        (run_ids,),
    )
    return {
        run_id: {"table": table, "committed_at": at, "rows_written": written,
                 "rows_deleted": deleted, "table_rows": count, "partial": bool(partial)}
        for run_id, table, at, written, deleted, count, partial in cur.fetchall()
    }  # fmt: skip


def owners(cur: Any, schema: str) -> dict[str, tuple[str, str]]:
    """Registered tables: stored name -> (base, suffix)."""
    cur.execute(f"SELECT table_name, base, suffix FROM {qualified(schema, TABLES_TABLE)}")
    return {name: (base, suffix) for name, base, suffix in cur.fetchall()}


def register_tables(cur: Any, schema: str, base: str, tables: Iterable[tuple[str, str]]) -> None:
    """Record that ``base`` owns the given (stored name, suffix) pairs."""
    for name, suffix in tables:
        cur.execute(
            f"INSERT INTO {qualified(schema, TABLES_TABLE)} VALUES ($1, $2, $3) "
            "ON CONFLICT (table_name) DO NOTHING",
            (name, base.lower(), suffix),
        )


def register_columns(
    cur: Any, schema: str, table: str, renamed: dict[str, str], *, replace: bool = False
) -> None:
    """Record stored column -> source name for the shortened columns of ``table``
    (``replace``: forget the ones recorded before, as a rebuilt table has only these)."""
    if replace:
        cur.execute(
            f"DELETE FROM {qualified(schema, COLUMNS_TABLE)} WHERE table_name = $1", (table,)
        )
    for column, source in renamed.items():
        cur.execute(
            f"INSERT INTO {qualified(schema, COLUMNS_TABLE)} VALUES ($1, $2, $3) "
            "ON CONFLICT (table_name, column_name) DO UPDATE SET source_name = "
            "excluded.source_name",
            (table, column, source),
        )


def column_sources(cur: Any, schema: str, table: str) -> dict[str, str]:
    """Stored column -> source name, for the shortened columns of ``table``."""
    cur.execute(
        f"SELECT column_name, source_name FROM {qualified(schema, COLUMNS_TABLE)} "
        "WHERE table_name = $1 ORDER BY column_name",
        (table,),
    )
    return {column: source for column, source in cur.fetchall()}


def forget(cur: Any, schema: str, base: str) -> list[str]:
    """Remove ``base``'s state, registry and column rows; return its registered tables."""
    cur.execute(
        f"SELECT table_name FROM {qualified(schema, TABLES_TABLE)} WHERE base = $1 "
        "ORDER BY table_name",
        (base.lower(),),
    )
    names = [row[0] for row in cur.fetchall()]
    cur.execute(f"DELETE FROM {qualified(schema, TABLES_TABLE)} WHERE base = $1", (base.lower(),))
    cur.execute(
        f"DELETE FROM {qualified(schema, STATE_TABLE)} WHERE table_name = $1", (base.lower(),)
    )
    cur.execute(  # a later run may get one of these run ids
        f"DELETE FROM {qualified(schema, COMMITS_TABLE)} WHERE table_name = $1", (base.lower(),)
    )
    for name in names:
        cur.execute(
            f"DELETE FROM {qualified(schema, COLUMNS_TABLE)} WHERE table_name = $1", (name,)
        )
    return names
