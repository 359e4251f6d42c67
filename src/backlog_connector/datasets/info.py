"""What the control plane hands out: frozen dataclasses of plain data, never a secret.

Each has ``to_dict()`` giving JSON-ready values (datetimes as ISO 8601 strings in UTC).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from backlog_connector.datasets.live_progress import as_progress

#: run statuses, in the order a run moves through them
RUN_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled", "skipped")
#: what started a run
RUN_TRIGGERS = ("manual", "schedule", "retry")

ROLE_NAMES = {
    1: "Administrator",
    2: "Normal User",
    3: "Reporter",
    4: "Viewer",
    5: "Guest Reporter",
    6: "Guest Viewer",
}


def mask_url(url: str) -> str:
    """``scheme://host[:port]/…``: where a URL goes, without its path, query or user info."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    rest = "/…" if (parts.path not in ("", "/") or parts.query or parts.fragment) else ""
    return f"{parts.scheme}://{host}{port}{rest}"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class _Plain:
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values: datetimes as ISO strings, tuples as lists."""
        result: dict[str, Any] = _plain(self)
        return result


@dataclass(frozen=True)
class AccountInfo(_Plain):
    """A saved account: where, how (kind only), and the Backlog user and space behind it."""

    name: str
    space: str  # the FQDN (host or host:port): the value of every table's ``_space``
    base_url: str
    auth: str  # "api_key" | "oauth"
    api_key_in_query: bool
    user_id: int | None
    user_login: str | None
    user_name: str | None
    user_role: int | None
    user_role_name: str | None
    space_key: str | None
    space_name: str | None
    space_timezone: str | None
    verified_at: datetime | None
    created_at: datetime
    updated_at: datetime
    datasets: tuple[str, ...] = ()  # names of the datasets that use this account


@dataclass(frozen=True)
class RunInfo(_Plain):
    """One run of a dataset and what it did."""

    id: int
    dataset: str
    trigger: str  # manual | schedule | retry
    attempt: int
    status: str  # queued | running | succeeded | failed | cancelled | skipped
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    rows_read: int = 0
    rows_written: int = 0  # rows_main + rows_child
    rows_deleted: int = 0
    table_rows: int | None = None  # rows in the main table after the run
    warnings: int = 0  # values that did not parse (NULL in the table, kept in __rejects)
    requests: dict[str, int] = field(default_factory=dict)  # per category
    rate_limited: int = 0  # 429 responses
    retries: int = 0
    wait_seconds: float = 0.0  # time spent waiting for the rate budget
    last_remaining: dict[str, int] = field(default_factory=dict)  # per category
    complete: bool | None = None
    incomplete_reason: str | None = None
    error: str | None = None  # redacted
    error_action: str | None = None  # configuration | retry_later | give_up
    cursor_before: dict[str, Any] | None = None
    cursor_after: dict[str, Any] | None = None
    #: while it runs (and its last figures after): done, total, unit, rows, rows_per_second,
    #: eta_seconds, waiting, message (``datasets.live_progress``); None: not started
    progress: dict[str, Any] | None = None
    #: the task-queue job that carries it (None: run in the process that queued it)
    queue_job_id: int | None = None
    note: str | None = None  # how the run was settled after its process died, if it was
    owner: str | None = None  # "host pid N" of the process that ran it
    #: rows written to the main table / to its child tables (None: recorded before the split)
    rows_main: int | None = None
    rows_child: int | None = None

    @property
    def duration_seconds(self) -> float | None:
        """Seconds from start to finish, None while unfinished."""
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def requests_total(self) -> int:
        """Requests of every category."""
        return sum(self.requests.values())

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["duration_seconds"] = self.duration_seconds
        data["requests_total"] = self.requests_total
        data["progress"] = as_progress(self.progress)
        return data


@dataclass(frozen=True)
class DatasetInfo(_Plain):
    """A configured dataset; ``timezone`` is the effective zone (its own or the space's)."""

    name: str
    description: str
    account: str
    report: str
    options: dict[str, str]
    update_mode: str
    schedule: str
    timezone: str
    retries: int
    retry_interval: str
    retry_interval_seconds: int
    table: str
    #: the full URL, for the scheduler that posts to it; ``to_dict()`` and ``webhook_shown``
    #: show only its scheme and host (webhook URLs often carry a token)
    webhook_url: str | None = field(repr=False)
    enabled: bool
    created_at: datetime
    updated_at: datetime
    last_run: RunInfo | None = None
    rows: int | None = None  # rows in the main table after the last successful run
    #: the destination's name; ``warehouse`` is the embedded DuckDB file
    destination: str = "warehouse"
    #: "parquet": each successful run also writes ``published/<table>.parquet``; else None
    publish: str | None = None

    @property
    def webhook_shown(self) -> str | None:
        """The webhook URL as it may be shown: ``scheme://host/…``."""
        return mask_url(self.webhook_url) if self.webhook_url else None

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["webhook_url"] = self.webhook_shown
        return data


@dataclass(frozen=True)
class DestinationInfo(_Plain):
    """Where datasets land: the embedded DuckDB ``warehouse`` (``kind`` duckdb, ``path``) or a
    saved PostgreSQL database (``kind`` postgresql, ``url`` without its password, ``schema``).
    Never holds the password."""

    name: str
    kind: str  # "duckdb" | "postgresql"
    url: str | None  # postgresql: the URL without the password
    schema: str | None  # postgresql: the schema the tables go to
    path: str | None  # duckdb: the warehouse file
    created_at: datetime | None
    updated_at: datetime | None
    verified_at: datetime | None = None
    datasets: tuple[str, ...] = ()  # names of the datasets that land here


@dataclass(frozen=True)
class OptionInfo(_Plain):
    """One option of a report."""

    name: str
    description: str
    kind: str
    choices: tuple[str, ...]
    default: Any
    required: bool


@dataclass(frozen=True)
class ReportInfo(_Plain):
    """A report of the catalog."""

    name: str
    title: str
    description: str
    options: tuple[OptionInfo, ...]
    tables: tuple[str, ...]  # "" for the main table, then child suffixes
    key: tuple[str, ...]
    update_modes: tuple[str, ...]
    default_update_mode: str
    incremental: bool
