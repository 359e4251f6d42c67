"""The core every part of the control plane shares: the database, the secret box, the
warehouse and the other destinations' sinks, and lookups by name."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased, selectinload, sessionmaker

from backlog_connector.backlog.errors import ConfigurationError
from backlog_connector.datasets.connect import (
    credentials_from,
    parse_address,
    secret_document,
)
from backlog_connector.datasets.errors import SecretKeyError, UnknownNameError
from backlog_connector.datasets.info import (
    DatasetInfo,
)
from backlog_connector.datasets.listing import Listing, unknown_dataset, unseal_webhook
from backlog_connector.datasets.models import Account, Dataset, Destination, Run
from backlog_connector.datasets.secrets import SecretBox
from backlog_connector.datasets.views import dataset_info
from backlog_connector.settings import Settings

if TYPE_CHECKING:
    from backlog_connector.backlog.address import SpaceAddress
    from backlog_connector.backlog.credentials import OAuthToken
    from backlog_connector.backlog.ledger import RateLedger
    from backlog_connector.datasets.connect import Credentials
    from backlog_connector.sinks.base import Sink
    from backlog_connector.sinks.duckdb import DuckDBSink

log = logging.getLogger("backlog_connector.datasets")


@dataclass(frozen=True)
class SinkTarget:
    """Where a dataset's tables live when it is not the embedded warehouse: a saved
    PostgreSQL destination (its id, full URL and schema)."""

    destination_id: int
    name: str
    url: str = field(repr=False)
    schema: str


class PlaneCore:
    """Database sessions, the secret box, the (lazily opened) warehouse and destination sinks,
    name lookups."""

    settings: Settings
    home: Path
    warehouse_path: Path

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.home = settings.home
        self.warehouse_path = settings.warehouse_path
        url = settings.control_db_url()
        connect_args: dict[str, Any] = {}
        if url.startswith("sqlite"):
            connect_args = {"timeout": 30, "check_same_thread": False}
        try:
            self._engine = sa.create_engine(url, connect_args=connect_args)
        except (sa.exc.ArgumentError, ImportError) as exc:
            raise database_url_error(url, exc) from None
        # the synced data (names, mail addresses) is for this user only, like the key file
        self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
        secret_key = settings.secret_key.get_secret_value() if settings.secret_key else None
        self._box = SecretBox.open(settings.key_file, secret_key)
        if self._engine.dialect.name == "sqlite":
            sa.event.listen(self._engine, "connect", _sqlite_pragmas)
        #: with the control plane in PostgreSQL, one rate budget per Backlog user for every
        #: process (the window ledger); in the embedded mode, None: the in-process pacing
        self.rate_ledger: RateLedger | None = None
        if self._engine.dialect.name == "postgresql":
            from backlog_connector.datasets.ledger import PostgresRateLedger

            self.rate_ledger = PostgresRateLedger(self._engine)
        self._sessions = sessionmaker(self._engine, expire_on_commit=False)
        self._sink: DuckDBSink | None = None
        self._sink_lock = threading.Lock()
        # one PostgresSink per saved destination (by id), opened on first use
        self._destination_sinks: dict[int, Sink] = {}
        self._running: set[str] = set()
        self._running_lock = threading.Lock()
        # one live OAuthToken per account (by id): runs of one account share it, so only one
        # of them refreshes (refresh tokens rotate: a second refresh with the same one fails)
        self._tokens: dict[int, _LiveToken] = {}
        self._tokens_lock = threading.Lock()
        # the heartbeat of this process's unfinished runs (``datasets.settle``)
        self._heartbeat: threading.Thread | None = None
        self._heartbeat_lock = threading.Lock()
        self._heartbeat_stop = threading.Event()

    @property
    def _allow_private(self) -> bool:
        """The setting ``network.allow_private_addresses``."""
        return self.settings.network.allow_private_addresses

    def settle_runs(self) -> int:
        """Settle unfinished runs of dead owners (``datasets.settle``); here: nothing."""
        return 0

    @property
    def distributed(self) -> bool:
        """True when the control plane is in PostgreSQL: runs go through the task queue to
        ``worker`` processes and the rate budget is the shared ledger."""
        return self._engine.dialect.name == "postgresql"

    def close(self) -> None:
        """Release the warehouse file, the destinations' connections and the database's."""
        self._heartbeat_stop.set()
        with self._sink_lock:
            if self._sink is not None:
                self._sink.close()
                self._sink = None
            sinks = list(self._destination_sinks.values())
            self._destination_sinks.clear()
        for sink in sinks:
            sink.close()
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ControlPlane(home={str(self.home)!r})"

    def _warehouse(self) -> DuckDBSink:
        with self._sink_lock:
            if self._sink is None:
                from backlog_connector.sinks.duckdb import DuckDBSink

                self._sink = DuckDBSink(
                    self.warehouse_path,
                    memory_limit=self.settings.warehouse.memory_limit,
                    commit_wait=self.settings.warehouse.commit_wait_seconds,
                )
            return self._sink

    def _sink_for(self, target: SinkTarget | None) -> Sink:
        """The sink of a destination: the warehouse for None, else the destination's
        PostgresSink (one per destination in this process, shared by its runs)."""
        if target is None:
            return self._warehouse()
        with self._sink_lock:
            sink = self._destination_sinks.get(target.destination_id)
        if sink is not None:
            return sink
        from backlog_connector.sinks.postgres import PostgresSink

        # connected outside the lock: a slow server must not hold up the warehouse's users
        opened = PostgresSink(
            target.url,
            schema=target.schema,
            lock_wait_seconds=self.settings.warehouse.commit_wait_seconds,
        )
        with self._sink_lock:
            sink = self._destination_sinks.setdefault(target.destination_id, opened)
        if sink is not opened:  # another thread was first
            opened.close()
        return sink

    def _forget_sink(self, destination_id: int) -> None:
        """Close the sink of a destination that was removed."""
        with self._sink_lock:
            sink = self._destination_sinks.pop(destination_id, None)
        if sink is not None:
            sink.close()

    def _sink_target(self, row: Dataset) -> SinkTarget | None:
        """The dataset's destination with its URL unsealed; None for the warehouse."""
        destination = row.destination
        if destination is None:
            return None
        return SinkTarget(
            destination.id,
            destination.name,
            self._destination_url(destination),
            destination.schema_name,
        )

    def _destination_url(self, destination: Destination) -> str:
        """The destination's full URL (password included), unsealed."""
        try:
            document = self._box.open_sealed(destination.secret, account=destination.name)
        except SecretKeyError:
            raise SecretKeyError(
                f"the saved URL of destination {destination.name!r} cannot be decrypted with"
                " this secret key; set BACKLOG_CONNECTOR_SECRET_KEY (or restore the key file) to"
                " the key it was saved with, or remove the destination and add it again"
            ) from None
        return str(document["url"])

    def _dataset_sink(self, name: str) -> tuple[str, Sink]:
        """The dataset's main table name and the sink of its destination."""
        with self._sessions() as s:
            row = self._dataset(s, name)
            table, target = row.table_name, self._sink_target(row)
        return table, self._sink_for(target)

    def _account(self, s: Session, name: str) -> Account:
        row = s.scalar(sa.select(Account).where(Account.name == name))
        if row is None:
            raise UnknownNameError(
                f"no account named {name!r}; see 'accounts list' or add it with 'accounts add'"
            )
        return row

    def _dataset(self, s: Session, name: str) -> Dataset:
        row = s.scalar(
            sa.select(Dataset)
            .options(selectinload(Dataset.account), selectinload(Dataset.destination))
            .where(Dataset.name == name)
        )
        if row is None:
            raise unknown_dataset(name)
        return row

    def _dataset_info(self, s: Session, row: Dataset) -> DatasetInfo:
        last = last_runs(s, [row.id], None).get(row.id)
        return dataset_info(row, last, table_rows(s, [row.id]).get(row.id), self._webhook(row))

    def _seal_webhook(self, url: str | None) -> bytes | None:
        return self._box.seal({"url": url}) if url else None

    def _webhook(self, row: Any) -> str | None:
        """The dataset's webhook URL, unsealed (or left plain by an older version)."""
        return unseal_webhook(lambda: self._box, row)

    @contextmanager
    def _listing(self) -> Iterator[Listing]:
        """The listings (``datasets.listing``) on a connection of the engine."""
        with self._engine.connect() as connection:
            yield Listing(connection.connection.dbapi_connection, self._engine.dialect.name)

    def _seal_plain_webhooks(self) -> None:
        """Seal the webhook URLs an older version stored in plain text (once, at open)."""
        with self._sessions.begin() as s:
            for row in s.scalars(sa.select(Dataset).where(Dataset.webhook_url.is_not(None))):
                row.webhook_secret = self._seal_webhook(row.webhook_url)
                row.webhook_url = None

    def _credentials(self, account: Account, *, in_query: bool | None = None) -> Credentials:
        if account.auth_kind == "oauth":
            return self._live_token(account)
        document = self._box.open_sealed(account.secret, account=account.name)
        return credentials_from(
            account.auth_kind,
            document,
            api_key_in_query=account.api_key_in_query if in_query is None else in_query,
        )

    def _live_token(self, account: Account) -> OAuthToken:
        """The account's OAuth tokens, one object per account in this process. A sealed secret
        this object did not write (another process refreshed, or the account was updated) is
        newer: it replaces the object."""
        from backlog_connector.backlog.credentials import OAuthToken

        account_id, name = account.id, account.name
        with self._tokens_lock:
            live = self._tokens.get(account_id)
            if live is not None and account.secret in live.sealed:
                return live.token
            document = self._box.open_sealed(account.secret, account=name)
            live = _LiveToken(sealed={account.secret})

            def save_refreshed(token: OAuthToken) -> None:
                sealed = self._box.seal(secret_document(token))
                with self._tokens_lock:  # known before it is visible to other threads
                    live.sealed.add(sealed)
                with self._sessions.begin() as s:
                    self._account(s, name).secret = sealed

            token = credentials_from("oauth", document, on_refresh=save_refreshed)
            assert isinstance(token, OAuthToken)
            live.token = token
            self._tokens[account_id] = live
            return token

    def _adopt_sealed(self, account_id: int, creds: Credentials, sealed: bytes) -> None:
        """``sealed`` now holds ``creds``: keep the live token if it is that object, else
        forget it (new credentials were saved)."""
        with self._tokens_lock:
            live = self._tokens.get(account_id)
            if live is None:
                return
            if live.token is creds:
                live.sealed.add(sealed)
            else:
                del self._tokens[account_id]

    def _forget_token(self, account_id: int) -> None:
        with self._tokens_lock:
            self._tokens.pop(account_id, None)

    def _share_budget(self, s: Session, account: Account, budget: dict[str, Any]) -> None:
        """The budget belongs to the Backlog user: every account of that user gets it.
        Per category, newer values replace older ones; values a source lacks are kept."""
        if not budget:
            return
        merged: dict[str, Any] = {k: dict(v) for k, v in (account.rate_budget or {}).items()}
        for category, values in budget.items():
            known = merged.setdefault(category, {})
            known.update({k: v for k, v in values.items() if v is not None})
        peers = s.scalars(
            sa.select(Account).where(
                Account.space == account.space, Account.user_id == account.user_id
            )
        )
        for peer in {account, *peers}:
            peer.rate_budget = merged


@dataclass(eq=False)
class _LiveToken:
    """An account's shared OAuthToken and every sealed secret it wrote (or was read from)."""

    sealed: set[bytes]
    token: OAuthToken = field(init=False)


def database_url_error(url: str, exc: BaseException) -> ConfigurationError:
    """A ``ConfigurationError`` for a control-plane URL that does not work; the URL is shown
    without its password (and the password is redacted from the driver's message too)."""
    from backlog_connector.backlog.redact import Redactor

    try:
        parsed = sa.engine.make_url(url)
        shown = parsed.render_as_string(hide_password=True)
        redact = Redactor([parsed.password] if parsed.password else [])
    except sa.exc.ArgumentError:
        shown, redact = "(not a database URL)", Redactor()
    cause = getattr(exc, "orig", None) or exc
    reason = redact(f"{type(cause).__name__}: {str(cause).splitlines()[0] if str(cause) else ''}")
    return ConfigurationError(
        f"cannot use the control-plane database {shown} ({reason}); fix"
        " BACKLOG_CONNECTOR_DATABASE_URL or database_url in the settings file (a SQLAlchemy URL"
        " such as postgresql+psycopg://user:password@host/db), or unset it to use the SQLite"
        " file in the data home"
    )


def address_of(account: Account) -> SpaceAddress:
    """The saved account's space address, parsed again (it was checked when saved)."""
    return parse_address(
        account.space if account.address_kind == "fqdn" else None,
        account.base_url if account.address_kind == "base_url" else None,
        allow_private=True,  # checked when saved (under the setting of that time)
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _newest_run_ids(dataset_ids: list[int], status: str | None) -> sa.Select[tuple[int]]:
    # A correlated max(id) per dataset is one index seek each (ix_runs_dataset_id_id /
    # ix_runs_dataset_id_status_id); a GROUP BY over the runs would read them all.
    newer = aliased(Run)
    newest = sa.select(sa.func.max(newer.id)).where(newer.dataset_id == Dataset.id)
    if status is not None:
        newest = newest.where(newer.status == status)
    return sa.select(newest.scalar_subquery()).where(Dataset.id.in_(dataset_ids))


def last_runs(s: Session, dataset_ids: list[int], status: str | None) -> dict[int, Run]:
    """The newest run (of ``status``, if given) per dataset, in one query."""
    if not dataset_ids:
        return {}
    rows = s.scalars(sa.select(Run).where(Run.id.in_(_newest_run_ids(dataset_ids, status))))
    return {r.dataset_id: r for r in rows}


def table_rows(s: Session, dataset_ids: list[int]) -> dict[int, int | None]:
    """The table's row count after each dataset's newest successful run, in one query."""
    if not dataset_ids:
        return {}
    query = sa.select(Run.dataset_id, Run.table_rows).where(
        Run.id.in_(_newest_run_ids(dataset_ids, "succeeded"))
    )
    return {dataset_id: rows for dataset_id, rows in s.execute(query)}
