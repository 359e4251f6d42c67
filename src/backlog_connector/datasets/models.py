"""The control-plane tables (SQLAlchemy 2.0). Migrations in ``migrations/`` create them.

Credentials live only in ``Account.secret`` and ``Destination.secret``: Fernet tokens of small
JSON documents.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the control plane; pass UTC times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """Now, in UTC, to the microsecond."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: sa.JSON}


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    base_url: Mapped[str] = mapped_column(sa.String(500))
    space: Mapped[str] = mapped_column(sa.String(300))
    address_kind: Mapped[str] = mapped_column(sa.String(10))  # "fqdn" | "base_url"
    auth_kind: Mapped[str] = mapped_column(sa.String(10))  # "api_key" | "oauth"
    api_key_in_query: Mapped[bool] = mapped_column(default=False)
    secret: Mapped[bytes] = mapped_column(sa.LargeBinary)
    user_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    user_login: Mapped[str | None] = mapped_column(sa.String(300))
    user_name: Mapped[str | None] = mapped_column(sa.String(300))
    user_role: Mapped[int | None]
    space_key: Mapped[str | None] = mapped_column(sa.String(300))
    space_name: Mapped[str | None] = mapped_column(sa.String(300))
    space_timezone: Mapped[str | None] = mapped_column(sa.String(100))
    rate_budget: Mapped[dict[str, Any] | None]
    verified_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    datasets: Mapped[list[Dataset]] = relationship(back_populates="account")


class Destination(Base):
    """A saved PostgreSQL destination. The embedded DuckDB warehouse has no row: a dataset
    whose ``destination_id`` is NULL lands there."""

    __tablename__ = "destinations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(20), default="postgresql")
    #: the URL without its password, for display
    url_display: Mapped[str] = mapped_column(sa.String(2000))
    #: the full URL (password included), sealed like the account credentials
    secret: Mapped[bytes] = mapped_column(sa.LargeBinary)
    schema_name: Mapped[str] = mapped_column(sa.String(63), default="public")
    verified_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    datasets: Mapped[list[Dataset]] = relationship(back_populates="destination")


class Dataset(Base):
    __tablename__ = "datasets"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    #: NULL: the embedded DuckDB warehouse (the destination named ``warehouse``)
    destination_id: Mapped[int | None] = mapped_column(sa.ForeignKey("destinations.id"), index=True)
    report: Mapped[str] = mapped_column(sa.String(100))
    options: Mapped[dict[str, Any]]
    update_mode: Mapped[str] = mapped_column(sa.String(10))
    schedule: Mapped[str] = mapped_column(sa.String(200), default="manual")
    timezone: Mapped[str | None] = mapped_column(sa.String(100))
    retries: Mapped[int] = mapped_column(default=0)
    retry_interval: Mapped[str] = mapped_column(sa.String(20), default="5m")
    retry_interval_seconds: Mapped[int] = mapped_column(default=300)
    table_name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    #: only in databases of older versions, until the control plane opens and seals it
    webhook_url: Mapped[str | None] = mapped_column(sa.String(2000))
    #: the webhook URL (it often carries a token), sealed like the credentials
    webhook_secret: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    enabled: Mapped[bool] = mapped_column(default=True)
    #: after each successful run, also write the table as a file: None or "parquet"
    publish: Mapped[str | None] = mapped_column(sa.String(16))
    #: set when options, mode or account change: the next run ignores the saved cursor
    force_full: Mapped[bool] = mapped_column(default=False)
    #: bumped with every change that sets ``force_full``: a full run that started before the
    #: change must not clear the flag it did not honour
    config_version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    account: Mapped[Account] = relationship(back_populates="datasets")
    destination: Mapped[Destination | None] = relationship(back_populates="datasets")

    def require_full_run(self) -> None:
        """The next run ignores the saved cursor (options, mode, account, space or
        destination changed)."""
        self.force_full = True
        self.config_version = (self.config_version or 0) + 1


class Run(Base):
    __tablename__ = "runs"
    __table_args__ = (
        sa.Index("ix_runs_dataset_id_id", "dataset_id", "id"),
        # the newest successful run per dataset (row counts on the list page) without a scan
        sa.Index("ix_runs_dataset_id_status_id", "dataset_id", "status", "id"),
        # SQLite would hand the highest id out again once the newest runs are deleted
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(sa.ForeignKey("datasets.id", ondelete="CASCADE"))
    trigger: Mapped[str] = mapped_column(sa.String(10))
    attempt: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(sa.String(10), index=True)
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    rows_read: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    rows_written: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    rows_deleted: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    #: rows written to the main table and to the child tables (NULL: recorded before 0008)
    rows_main: Mapped[int | None] = mapped_column(sa.BigInteger)
    rows_child: Mapped[int | None] = mapped_column(sa.BigInteger)
    table_rows: Mapped[int | None] = mapped_column(sa.BigInteger)
    #: values that did not parse in this run (NULL in their column, kept in ``__rejects``)
    warnings: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    requests: Mapped[dict[str, Any] | None]
    rate_limited: Mapped[int] = mapped_column(default=0)
    retries: Mapped[int] = mapped_column(default=0)
    wait_seconds: Mapped[float] = mapped_column(sa.Float, default=0.0)
    last_remaining: Mapped[dict[str, Any] | None]
    complete: Mapped[bool | None]
    incomplete_reason: Mapped[str | None] = mapped_column(sa.Text)
    error: Mapped[str | None] = mapped_column(sa.Text)
    error_action: Mapped[str | None] = mapped_column(sa.String(20))
    cursor_before: Mapped[dict[str, Any] | None]
    cursor_after: Mapped[dict[str, Any] | None]
    #: the procrastinate job carrying the run (NULL: run in the process that queued it)
    queue_job_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    #: rows, pages and the latest message while it runs (readable by every replica)
    progress: Mapped[dict[str, Any] | None]
    #: the process that runs it (``datasets.owner``) and when that process last said so
    owner_host: Mapped[str | None] = mapped_column(sa.String(255))
    owner_pid: Mapped[int | None] = mapped_column(sa.BigInteger)
    owner_started: Mapped[str | None] = mapped_column(sa.String(100))
    heartbeat_at: Mapped[datetime | None]
    #: how the run was settled when its owner died (e.g. reconciled with the commit record)
    note: Mapped[str | None] = mapped_column(sa.Text)


class RateWindow(Base):
    """The rate-limit window of one (host, Backlog user, category) that the ledger grants
    requests from (``datasets.ledger``); shared by every process of the deployment."""

    __tablename__ = "rate_windows"

    host: Mapped[str] = mapped_column(sa.String(300), primary_key=True)
    user_key: Mapped[str] = mapped_column(sa.String(400), primary_key=True)
    category: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    request_limit: Mapped[int | None]
    granted: Mapped[int] = mapped_column(default=0, server_default="0")
    #: grants of this window whose answer has not come yet
    in_flight: Mapped[int] = mapped_column(default=0, server_default="0")
    #: ``X-RateLimit-Reset`` of the window (epoch seconds); NULL: unknown (being opened)
    window_reset: Mapped[int | None] = mapped_column(sa.BigInteger)
    #: epoch seconds until which the request opening the window is awaited
    opening_until: Mapped[float | None] = mapped_column(sa.Float)
    #: 429 answers seen (each marks the window spent)
    limited_429: Mapped[int] = mapped_column(default=0, server_default="0")
    updated_at: Mapped[datetime | None]


class ScheduleState(Base):
    """What the scheduler tick remembers of a dataset, in the database so that any replica
    may tick: the last due time acted on and the pending retry."""

    __tablename__ = "schedule_states"

    dataset_id: Mapped[int] = mapped_column(
        sa.ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True
    )
    spec: Mapped[str | None] = mapped_column(sa.String(200))
    timezone: Mapped[str | None] = mapped_column(sa.String(100))
    last_due: Mapped[datetime | None]
    retry_at: Mapped[datetime | None]
    retry_attempt: Mapped[int | None]
