"""The control plane's listings (datasets, accounts, destinations, a dataset's history) as plain
SQL on a DB-API connection: sqlite3's or psycopg's.

The one implementation of these reads: ``ControlPlane`` runs them on its SQLAlchemy engine's
connection, and the CLI's quick path (``datasets.quick``) on a connection of its own, without
loading SQLAlchemy. The tables are the models' (``datasets.models``, built by the migrations):
rows come back as plain objects with the models' attribute names, turned into the ``info``
dataclasses by the same ``datasets.views`` functions the ORM rows go through, and typed as
``UTCDateTime`` and ``JSON`` do (SQLite keeps datetimes as naive UTC text and JSON as text; the
column types are read from the table).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from backlog_connector.datasets.errors import SecretKeyError, UnknownNameError
from backlog_connector.datasets.info import AccountInfo, DatasetInfo, DestinationInfo, RunInfo
from backlog_connector.datasets.views import (
    WAREHOUSE,
    account_info,
    dataset_info,
    destination_info,
    run_info,
)

if TYPE_CHECKING:
    from backlog_connector.datasets.secrets import SecretBox

#: the newest run per dataset (of a status, if given): one index seek each
#: (ix_runs_dataset_id_id / ix_runs_dataset_id_status_id); a GROUP BY would read every run
_NEWEST = "SELECT (SELECT max(n.id) FROM runs n WHERE n.dataset_id = d.id{status}) FROM datasets d"
_LAST_RUNS = f"SELECT r.* FROM runs r WHERE r.id IN ({_NEWEST.format(status='')})"
_TABLE_ROWS = "SELECT r.dataset_id, r.table_rows FROM runs r WHERE r.id IN ({})".format(
    _NEWEST.format(status=" AND n.status = 'succeeded'")
)
_UNFINISHED = (
    "SELECT r.* FROM runs r WHERE r.status IN ('queued', 'running') AND r.queue_job_id IS NULL"
)

#: a webhook URL of a dataset row, unsealed
Webhook = Callable[[Any], "str | None"]


def unknown_dataset(name: str) -> UnknownNameError:
    """The error for a dataset name that is not saved."""
    return UnknownNameError(
        f"no dataset named {name!r}; see 'datasets list' or create it with 'datasets create'"
    )


def unseal_webhook(box: Callable[[], SecretBox], row: Any) -> str | None:
    """A dataset row's webhook URL, unsealed (or left plain by an older version); None when
    this key cannot open it (logged)."""
    if row.webhook_secret is None:
        return str(row.webhook_url) if row.webhook_url is not None else None
    try:
        url = box().open_sealed(row.webhook_secret, account=row.account.name)["url"]
    except SecretKeyError:
        import logging  # not at import: the CLI's listings start without it

        logging.getLogger("backlog_connector.datasets").warning(
            "the webhook URL of %s cannot be decrypted with this key", row.name
        )
        return None
    return str(url)


class Listing:
    """The listings over one DB-API connection of dialect ``sqlite`` or ``postgresql``."""

    def __init__(self, connection: Any, dialect: str) -> None:
        self._connection = connection
        self._sqlite = dialect == "sqlite"
        self._types: dict[str, dict[str, str]] = {}

    def datasets(self, webhook: Webhook) -> list[DatasetInfo]:
        """Every dataset by name, each with its last run and its row count."""
        # like the ORM's relationships: row.account, row.destination (None: the warehouse)
        accounts = {r.id: r for r in self._rows("accounts", "SELECT a.* FROM accounts a")}
        targets = {r.id: r for r in self._rows("destinations", "SELECT t.* FROM destinations t")}
        rows = self._rows("datasets", "SELECT d.* FROM datasets d ORDER BY d.name")
        for row in rows:
            row.account = accounts[row.account_id]
            row.destination = targets.get(row.destination_id)
        last = {r.dataset_id: r for r in self._rows("runs", _LAST_RUNS)}
        counts = dict(self._fetch(_TABLE_ROWS))
        return [dataset_info(d, last.get(d.id), counts.get(d.id), webhook(d)) for d in rows]

    def accounts(self) -> list[AccountInfo]:
        """Every saved account, by name, with the datasets that use it."""
        users = self._users("account_id")
        rows = self._rows("accounts", "SELECT a.* FROM accounts a ORDER BY a.name")
        for row in rows:
            row.datasets = users.get(row.id, [])
        return [account_info(r) for r in rows]

    def destinations(self, warehouse_path: Path) -> list[DestinationInfo]:
        """The built-in ``warehouse`` first, then the saved destinations by name."""
        users = self._users("destination_id")
        rows = self._rows("destinations", "SELECT t.* FROM destinations t ORDER BY t.name")
        for row in rows:
            row.datasets = users.get(row.id, [])
        warehouse = DestinationInfo(
            name=WAREHOUSE,
            kind="duckdb",
            url=None,
            schema=None,
            path=str(warehouse_path),
            created_at=None,
            updated_at=None,
            datasets=tuple(d.name for d in users.get(None, [])),
        )
        return [warehouse, *(destination_info(r) for r in rows)]

    def history(self, name: str, limit: int = 50) -> list[RunInfo]:
        """The dataset's runs, newest first; ``UnknownNameError`` for an unknown name."""
        found = self._fetch("SELECT d.id FROM datasets d WHERE d.name = ?", (name,))
        if not found:
            raise unknown_dataset(name)
        runs = self._rows(
            "runs",
            "SELECT r.* FROM runs r WHERE r.dataset_id = ? ORDER BY r.id DESC LIMIT ?",
            (found[0][0], max(1, int(limit))),
        )
        return [run_info(r, name) for r in runs]

    def revision(self) -> str | None:
        """The migration the database is at; None when it has none (or no such table)."""
        try:
            found = self._fetch("SELECT version_num FROM alembic_version")
        except Exception:  # no table: a database that was never migrated
            return None
        return str(found[0][0]) if found else None

    def plain_webhooks(self) -> bool:
        """True when a dataset still holds its webhook URL unsealed (an older version's)."""
        return bool(self._fetch("SELECT 1 FROM datasets WHERE webhook_url IS NOT NULL LIMIT 1"))

    def dead_owner_runs(self, stale_seconds: float) -> int:
        """How many unfinished runs (not on the task queue) belong to a dead process: runs
        ``settle_runs`` would settle for a reader that owns no run."""
        rows = self._rows("runs", _UNFINISHED)
        if not rows:
            return 0
        from backlog_connector.datasets.owner import owner_is_dead

        now, stale = datetime.now(UTC), timedelta(seconds=stale_seconds)
        return sum(
            owner_is_dead(
                r.owner_host,
                r.owner_pid,
                r.owner_started,
                r.heartbeat_at or r.started_at or r.created_at,
                now=now,
                stale_after=stale,
            )
            for r in rows
        )

    def _users(self, column: str) -> dict[Any, list[Any]]:
        users: dict[Any, list[Any]] = {}
        query = f"SELECT d.{column}, d.name FROM datasets d ORDER BY d.name"
        for owner, name in self._fetch(query):
            users.setdefault(owner, []).append(SimpleNamespace(name=name))
        return users

    def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self._execute(sql, params)
        try:
            return [tuple(r) for r in cursor.fetchall()]
        finally:
            cursor.close()

    def _execute(self, sql: str, params: Sequence[Any]) -> Any:
        cursor = self._connection.cursor()
        cursor.execute(sql if self._sqlite else sql.replace("?", "%s"), tuple(params))
        return cursor

    def _rows(self, table: str, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """The rows of ``sql`` (columns of ``table``) as objects with the models' names."""
        cursor = self._execute(sql, params)
        try:
            names = [c[0] for c in cursor.description]
            fetched = cursor.fetchall()
        finally:
            cursor.close()
        types = self._column_types(table) if self._sqlite else {}
        return [
            SimpleNamespace(
                **{n: _typed(v, types.get(n)) for n, v in zip(names, values, strict=True)}
            )
            for values in fetched
        ]

    def _column_types(self, table: str) -> dict[str, str]:
        """The declared type (first word, upper case) of each column of a SQLite table."""
        if table not in self._types:
            self._types[table] = {
                str(r[1]): str(r[2]).split("(")[0].split()[0].upper() if r[2] else ""
                for r in self._fetch(f"PRAGMA table_info({table})")
            }
        return self._types[table]


def _typed(value: Any, declared: str | None) -> Any:
    """A value as SQLAlchemy's types return it (``declared``: the SQLite column type)."""
    if value is None:
        return None
    if isinstance(value, datetime):  # PostgreSQL: aware, in the session's zone
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if declared == "DATETIME" and isinstance(value, str):
        return _typed(datetime.fromisoformat(value), None)
    if declared == "JSON" and isinstance(value, str | bytes):
        return json.loads(value)
    if declared == "BOOLEAN":
        return bool(value)
    return value
