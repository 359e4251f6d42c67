"""The control plane: what a user configures (accounts, datasets) and what happened (runs).

The CLI, the scheduler, the REST API and the web pages use only ``ControlPlane``. Every object it
returns is a frozen dataclass of plain data (``datasets.info``) with ``to_dict()``; none holds a
secret. Bad input raises a ``ConfigurationError`` subclass naming the problem and the fix, and
changes nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload, sessionmaker

from backlog_connector.backlog.errors import InvalidOptionError
from backlog_connector.datasets import validate
from backlog_connector.datasets.connect import (
    Identity,
    credentials_from,
    fetch_identity,
    open_client,
    parse_address,
    secret_document,
    secret_values,
)
from backlog_connector.datasets.errors import AccountInUseError, NameTakenError, UnknownNameError
from backlog_connector.datasets.info import (
    RUN_TRIGGERS,
    AccountInfo,
    DatasetInfo,
    ReportInfo,
    RunInfo,
)
from backlog_connector.datasets.migrate import upgrade
from backlog_connector.datasets.models import Account, Dataset, Run, utcnow
from backlog_connector.datasets.runner import Progress, RunOutcome, RunPlan, execute
from backlog_connector.datasets.secrets import SecretBox
from backlog_connector.datasets.views import account_info, dataset_info, report_info, run_info
from backlog_connector.settings import Settings, load_settings

if TYPE_CHECKING:
    import pyarrow as pa

    from backlog_connector.backlog.credentials import OAuthToken
    from backlog_connector.datasets.connect import Credentials
    from backlog_connector.sinks.duckdb import DuckDBSink

log = logging.getLogger("backlog_connector.datasets")

#: fields ``update_dataset`` may change
UPDATABLE = (
    "description",
    "account",
    "options",
    "update_mode",
    "schedule",
    "timezone",
    "retries",
    "retry_interval",
    "webhook_url",
    "enabled",
)
#: statuses ``record_run`` accepts: a run that is over
_FINISHED = ("succeeded", "failed", "cancelled", "skipped")


class ControlPlane:
    """Accounts, datasets and runs over one control-plane database and one DuckDB warehouse.

    ``ControlPlane.open()`` runs the migrations. Thread-safe: the scheduler and the web server
    may call it from several threads. Close it (or use ``with``) to release the warehouse.
    """

    settings: Settings
    home: Path
    warehouse_path: Path

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.home = settings.home
        self.warehouse_path = settings.warehouse_path
        self.home.mkdir(parents=True, exist_ok=True)
        secret_key = settings.secret_key.get_secret_value() if settings.secret_key else None
        self._box = SecretBox.open(settings.key_file, secret_key)
        url = settings.control_db_url()
        connect_args: dict[str, Any] = {}
        if url.startswith("sqlite"):
            connect_args = {"timeout": 30, "check_same_thread": False}
        self._engine = sa.create_engine(url, connect_args=connect_args)
        if self._engine.dialect.name == "sqlite":
            sa.event.listen(self._engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self._engine, expire_on_commit=False)
        self._sink: DuckDBSink | None = None
        self._sink_lock = threading.Lock()
        self._running: set[str] = set()
        self._running_lock = threading.Lock()

    @classmethod
    def open(cls, home: Path | None = None, settings: Settings | None = None) -> ControlPlane:
        """Open the control plane of ``home`` (default: the settings' data home), migrating
        its database to the newest schema (accounts and datasets are kept)."""
        if settings is None:
            settings = load_settings(home)
        elif home is not None:
            settings = settings.model_copy(update={"home": Path(home).resolve()})
        plane = cls(settings)
        upgrade(plane._engine)
        return plane

    def close(self) -> None:
        """Release the warehouse file and the database connections."""
        with self._sink_lock:
            if self._sink is not None:
                self._sink.close()
                self._sink = None
        self._engine.dispose()

    def __enter__(self) -> ControlPlane:
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

    # ------------------------------------------------------------------ accounts

    def add_account(
        self,
        name: str,
        *,
        fqdn: str | None = None,
        base_url: str | None = None,
        api_key: str,
        api_key_in_query: bool = False,
    ) -> AccountInfo:
        """Verify an API key against the space, then save the account (key encrypted).

        Nothing is saved when the address is malformed (``InvalidAddressError``), the key is
        refused (``AuthenticationError``) or the name is taken (``NameTakenError``).
        """
        from backlog_connector.backlog.credentials import ApiKey

        validate.name(name, "account")
        if not api_key or not api_key.strip():
            raise InvalidOptionError(
                "no API key given: pass --api-key, pipe it on stdin or set BACKLOG_API_KEY"
            )
        self._require_free_account_name(name)
        address = parse_address(fqdn, base_url)
        creds = ApiKey(api_key.strip(), in_query=api_key_in_query)
        return self._save_new_account(name, address, fqdn, creds, api_key_in_query)

    def add_oauth_account(
        self,
        name: str,
        *,
        fqdn: str | None = None,
        base_url: str | None = None,
        client_id: str,
        client_secret: str,
        access_token: str,
        refresh_token: str,
        expires_at: Any,
    ) -> AccountInfo:
        """Verify OAuth 2.0 tokens against the space, then save the account (tokens encrypted).

        ``expires_at`` is the access token's expiry (epoch seconds or an aware datetime).
        Refreshed tokens are saved back automatically whenever the client refreshes them.
        """
        from backlog_connector.backlog.credentials import OAuthToken

        validate.name(name, "account")
        self._require_free_account_name(name)
        address = parse_address(fqdn, base_url)
        creds = OAuthToken(
            access_token=access_token,
            refresh_token=refresh_token,
            expires_at=_epoch(expires_at),
            client_id=client_id,
            client_secret=client_secret,
        )
        return self._save_new_account(name, address, fqdn, creds, False)

    def list_accounts(self) -> list[AccountInfo]:
        """Every saved account, by name, with the datasets that use it."""
        with self._sessions() as s:
            rows = s.scalars(
                sa.select(Account).options(selectinload(Account.datasets)).order_by(Account.name)
            )
            return [account_info(a) for a in rows]

    def get_account(self, name: str) -> AccountInfo:
        """One account; ``UnknownNameError`` if there is none of that name."""
        with self._sessions() as s:
            return account_info(self._account(s, name))

    def verify_account(self, name: str) -> AccountInfo:
        """Ask the space again who the credentials belong to; records when (and the budget).

        Raises ``AuthenticationError`` if the key was revoked (the account is kept).
        """
        with self._sessions() as s:
            account = self._account(s, name)
            address = parse_address(
                account.space if account.address_kind == "fqdn" else None,
                account.base_url if account.address_kind == "base_url" else None,
            )
            creds = self._credentials(account)
        identity = self._identify(name, address, creds)
        with self._sessions.begin() as s:
            account = self._account(s, name)
            _apply_identity(account, identity)
            self._share_budget(s, account, identity.rate_budget)
            return account_info(account)

    def update_account(
        self,
        name: str,
        *,
        api_key: str | None = None,
        fqdn: str | None = None,
        base_url: str | None = None,
        api_key_in_query: bool | None = None,
    ) -> AccountInfo:
        """Change the key and/or the address; verified before anything is saved."""
        from backlog_connector.backlog.credentials import ApiKey

        with self._sessions() as s:
            account = self._account(s, name)
            if fqdn or base_url:
                address = parse_address(fqdn, base_url)
                address_kind = "fqdn" if fqdn else "base_url"
            else:
                address = parse_address(
                    account.space if account.address_kind == "fqdn" else None,
                    account.base_url if account.address_kind == "base_url" else None,
                )
                address_kind = account.address_kind
            in_query = account.api_key_in_query if api_key_in_query is None else api_key_in_query
            if api_key is not None:
                if not api_key.strip():
                    raise InvalidOptionError("the new API key is empty; give the key to save")
                creds: Credentials = ApiKey(api_key.strip(), in_query=in_query)
            else:
                creds = self._credentials(account, in_query=in_query)
            old_user = account.user_id
        identity = self._identify(name, address, creds)
        with self._sessions.begin() as s:
            account = self._account(s, name)
            if account.datasets and old_user is not None and identity.user_id != old_user:
                log.info("account %s now belongs to Backlog user %s", name, identity.user_id)
            account.base_url = address.base_url
            account.space = address.fqdn
            account.address_kind = address_kind
            account.api_key_in_query = in_query
            account.secret = self._box.seal(secret_document(creds))
            _apply_identity(account, identity)
            account.updated_at = utcnow()
            self._share_budget(s, account, identity.rate_budget)
            return account_info(account)

    def remove_account(self, name: str, *, force: bool = False) -> None:
        """Forget an account. Refuses while datasets use it (``AccountInUseError`` naming
        them) unless ``force``, which deletes those datasets too (their tables are kept)."""
        with self._sessions.begin() as s:
            account = self._account(s, name)
            users = sorted(d.name for d in account.datasets)
            if users and not force:
                raise AccountInUseError(
                    f"account {name!r} is used by the datasets {', '.join(users)}; delete them"
                    " first, move them to another account, or remove with --force (which"
                    " deletes those datasets too)",
                    datasets=tuple(users),
                    account=name,
                )
            for dataset in account.datasets:
                s.execute(sa.delete(Run).where(Run.dataset_id == dataset.id))
                s.delete(dataset)
            s.delete(account)

    def rate_budget(self, name: str) -> dict[str, Any]:
        """The last known rate-limit budget of this account's Backlog user, per category:
        ``{category: {"limit", "remaining", "reset" (ISO), "seen_at" (ISO)}}``; {} if unknown."""
        with self._sessions() as s:
            return dict(self._account(s, name).rate_budget or {})

    def list_projects(self, account: str) -> list[dict[str, Any]]:
        """The projects the account's user can see (for pickers): id, key, name, archived."""
        with self._sessions() as s:
            row = self._account(s, account)
            address = parse_address(
                row.space if row.address_kind == "fqdn" else None,
                row.base_url if row.address_kind == "base_url" else None,
            )
            creds = self._credentials(row)
            user_id = row.user_id
        with open_client(address, creds, account_name=account, user_id=user_id) as client:
            projects = client.get("/projects", {"all": "true"})
        return [
            {
                "id": p.get("id"),
                "key": p.get("projectKey"),
                "name": p.get("name"),
                "archived": bool(p.get("archived")),
            }
            for p in projects
        ]

    # ------------------------------------------------------------------ reports

    def list_reports(self) -> list[ReportInfo]:
        """The report catalog: names, options, keys, update modes."""
        from backlog_connector.reports.catalog import REPORTS

        return [report_info(r) for r in REPORTS.values()]

    # ------------------------------------------------------------------ datasets

    def create_dataset(
        self,
        name: str,
        *,
        account: str,
        report: str,
        options: Mapping[str, str] | None = None,
        update_mode: str | None = None,
        schedule: str = "manual",
        timezone: str | None = None,
        retries: int = 0,
        retry_interval: str = "5m",
        description: str = "",
        table: str | None = None,
        webhook_url: str | None = None,
        enabled: bool = True,
    ) -> DatasetInfo:
        """A named dataset: the report's rows, through the account, into ``table`` (default:
        named after the dataset). Every field is checked before anything is saved."""
        from backlog_connector.reports.catalog import get_report
        from backlog_connector.sinks.naming import dataset_table_name

        validate.name(name, "dataset")
        spec = get_report(report)
        raw_options = {str(k): str(v) for k, v in (options or {}).items()}
        spec.validate_options(raw_options)
        mode = _update_mode(spec, update_mode)
        schedule = validate.schedule(
            schedule, min_interval_seconds=self.settings.scheduler.min_interval_seconds
        )
        if timezone:
            validate.timezone(timezone)
        validate.retries(retries)
        interval_seconds = validate.duration(retry_interval)
        webhook = validate.webhook_url(webhook_url)
        table_name = validate.table(table) if table else dataset_table_name(name)
        now = utcnow()
        with self._sessions.begin() as s:
            owner = self._account(s, account)
            if s.scalar(sa.select(Dataset.id).where(Dataset.name == name)) is not None:
                raise NameTakenError(
                    f"a dataset named {name!r} already exists; pick another name, or change it"
                    f" with 'datasets' commands (show/delete {name!r})"
                )
            other = s.scalar(sa.select(Dataset.name).where(Dataset.table_name == table_name))
            if other is not None:
                raise NameTakenError(
                    f"the table {table_name!r} already belongs to the dataset {other!r};"
                    " give this dataset another name or another table with --table"
                )
            row = Dataset(
                name=name,
                description=description or "",
                account=owner,
                report=spec.name,
                options=raw_options,
                update_mode=mode,
                schedule=schedule,
                timezone=timezone or None,
                retries=retries,
                retry_interval=retry_interval.strip(),
                retry_interval_seconds=interval_seconds,
                table_name=table_name,
                webhook_url=webhook,
                enabled=bool(enabled),
                force_full=False,
                created_at=now,
                updated_at=now,
            )
            s.add(row)
            s.flush()
            return dataset_info(row, None, None)

    def update_dataset(self, name: str, **changes: Any) -> DatasetInfo:
        """Change some of: description, account, options, update_mode, schedule, timezone,
        retries, retry_interval, webhook_url, enabled. A change of account, options or mode
        makes the next run a full one."""
        from backlog_connector.reports.catalog import get_report

        unknown = sorted(set(changes) - set(UPDATABLE))
        if unknown:
            raise InvalidOptionError(
                f"cannot change {', '.join(unknown)} of a dataset; changeable:"
                f" {', '.join(UPDATABLE)} (the report and table are fixed: create a new dataset)"
            )
        with self._sessions.begin() as s:
            row = self._dataset(s, name)
            spec = get_report(row.report)
            if "options" in changes:
                opts = {str(k): str(v) for k, v in (changes["options"] or {}).items()}
                spec.validate_options(opts)
                if opts != row.options:
                    row.options = opts
                    row.force_full = True
            if "update_mode" in changes:
                mode = _update_mode(spec, changes["update_mode"])
                if mode != row.update_mode:
                    row.update_mode = mode
                    row.force_full = True
            if "account" in changes:
                owner = self._account(s, changes["account"])
                if owner.id != row.account_id:
                    row.account = owner
                    row.force_full = True
            if "schedule" in changes:
                row.schedule = validate.schedule(
                    changes["schedule"],
                    min_interval_seconds=self.settings.scheduler.min_interval_seconds,
                )
            if "timezone" in changes:
                zone = changes["timezone"]
                row.timezone = validate.timezone(zone) if zone else None
            if "retries" in changes:
                row.retries = validate.retries(changes["retries"])
            if "retry_interval" in changes:
                row.retry_interval_seconds = validate.duration(changes["retry_interval"])
                row.retry_interval = str(changes["retry_interval"]).strip()
            if "webhook_url" in changes:
                row.webhook_url = validate.webhook_url(changes["webhook_url"])
            if "description" in changes:
                row.description = str(changes["description"] or "")
            if "enabled" in changes:
                row.enabled = bool(changes["enabled"])
            row.updated_at = utcnow()
            s.flush()
            return self._dataset_info(s, row)

    def list_datasets(self) -> list[DatasetInfo]:
        """Every dataset by name, each with its last run and its row count (two queries)."""
        with self._sessions() as s:
            rows = list(
                s.scalars(
                    sa.select(Dataset).options(selectinload(Dataset.account)).order_by(Dataset.name)
                )
            )
            last = _last_runs(s, [d.id for d in rows], None)
            ok = _last_runs(s, [d.id for d in rows], "succeeded")
            return [
                dataset_info(d, last.get(d.id), ok[d.id].table_rows if d.id in ok else None)
                for d in rows
            ]

    def get_dataset(self, name: str) -> DatasetInfo:
        """One dataset; ``UnknownNameError`` if there is none of that name."""
        with self._sessions() as s:
            return self._dataset_info(s, self._dataset(s, name))

    def delete_dataset(self, name: str, *, drop_table: bool = True) -> None:
        """Forget a dataset and its runs; with ``drop_table`` also its table(s) and cursor."""
        with self._sessions.begin() as s:
            row = self._dataset(s, name)
            if name in self._running:
                raise InvalidOptionError(
                    f"dataset {name!r} is running; wait for the run to end (or cancel it)"
                )
            table_name = row.table_name
            s.execute(sa.delete(Run).where(Run.dataset_id == row.id))
            s.delete(row)
            if drop_table:
                self._warehouse().drop(table_name)

    # ------------------------------------------------------------------ runs

    def queue_run(self, name: str, *, trigger: str = "manual", attempt: int = 1) -> RunInfo:
        """Record a queued run of ``name`` (to start with ``execute_runs``); lets a caller
        hand out the run's id before it starts."""
        _check_trigger(trigger, attempt)
        with self._sessions.begin() as s:
            row = self._dataset(s, name)
            run = Run(
                dataset_id=row.id,
                trigger=trigger,
                attempt=attempt,
                status="queued",
                created_at=utcnow(),
                rows_read=0,
                rows_written=0,
                rows_deleted=0,
                rate_limited=0,
                retries=0,
                wait_seconds=0.0,
            )
            s.add(run)
            s.flush()
            return run_info(run, name)

    def execute_runs(
        self,
        run_ids: Sequence[int],
        *,
        full: bool = False,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> list[RunInfo]:
        """Run queued runs together (one thread each; one Backlog user's runs share its rate
        budget). A dataset already running in this process gets its run recorded as skipped.
        ``progress(dataset_name, event)`` is called from the run threads. Raises
        ``InvalidOptionError`` before anything runs if a run is unknown or not queued."""
        ids = [int(i) for i in dict.fromkeys(run_ids)]
        for run in map(self.get_run, ids):
            if run.status != "queued":
                raise InvalidOptionError(
                    f"run {run.id} of {run.dataset!r} is {run.status}, not queued; queue a new"
                    " run (queue_run / run_datasets) to run the dataset again"
                )
        if len(ids) == 1:
            self._execute_one(ids[0], full, progress, cancel)
        elif ids:
            with ThreadPoolExecutor(len(ids), thread_name_prefix="run") as pool:
                list(pool.map(lambda i: self._execute_one(i, full, progress, cancel), ids))
        return [self.get_run(i) for i in ids]

    def run_datasets(
        self,
        names: Iterable[str],
        *,
        full: bool = False,
        trigger: str = "manual",
        attempt: int = 1,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> list[RunInfo]:
        """Run datasets now, together, and return their runs (failed runs do not raise: see
        ``RunInfo.status`` and ``.error``). Unknown names raise before anything runs."""
        unique = list(dict.fromkeys(names))
        if not unique:
            raise InvalidOptionError("no dataset named: give one or more dataset names")
        _check_trigger(trigger, attempt)
        with self._sessions() as s:
            for name in unique:
                self._dataset(s, name)
        runs = [self.queue_run(n, trigger=trigger, attempt=attempt) for n in unique]
        return self.execute_runs([r.id for r in runs], full=full, progress=progress, cancel=cancel)

    def record_run(
        self,
        name: str,
        *,
        trigger: str,
        status: str,
        error: str | None = None,
        attempt: int = 1,
    ) -> RunInfo:
        """Record a run that did not execute (e.g. a due time skipped because the dataset was
        still running), finished at once."""
        _check_trigger(trigger, attempt)
        if status not in _FINISHED:
            raise InvalidOptionError(
                f"invalid run status {status!r} to record: use one of {', '.join(_FINISHED)}"
            )
        now = utcnow()
        with self._sessions.begin() as s:
            row = self._dataset(s, name)
            run = Run(
                dataset_id=row.id,
                trigger=trigger,
                attempt=attempt,
                status=status,
                created_at=now,
                started_at=now,
                finished_at=now,
                error=error,
                rows_read=0,
                rows_written=0,
                rows_deleted=0,
                rate_limited=0,
                retries=0,
                wait_seconds=0.0,
            )
            s.add(run)
            s.flush()
            return run_info(run, name)

    def fail_orphaned_runs(self) -> int:
        """Mark runs left 'queued' or 'running' by a process that died as failed; returns how
        many. Call at start-up, before this process runs anything."""
        with self._sessions.begin() as s:
            result = s.execute(
                sa.update(Run)
                .where(Run.status.in_(("queued", "running")))
                .values(
                    status="failed",
                    finished_at=utcnow(),
                    error="the process running it stopped before the run finished (killed or"
                    " crashed); the table was left as it was",
                    error_action="retry_later",
                )
            )
            return int(getattr(result, "rowcount", 0) or 0)

    def history(self, name: str, limit: int = 50) -> list[RunInfo]:
        """The dataset's runs, newest first."""
        with self._sessions() as s:
            row = self._dataset(s, name)
            runs = s.scalars(
                sa.select(Run)
                .where(Run.dataset_id == row.id)
                .order_by(Run.id.desc())
                .limit(max(1, int(limit)))
            )
            return [run_info(r, name) for r in runs]

    def get_run(self, run_id: int) -> RunInfo:
        """One run by id; ``UnknownNameError`` if there is none."""
        with self._sessions() as s:
            row = s.execute(
                sa.select(Run, Dataset.name)
                .join(Dataset, Dataset.id == Run.dataset_id)
                .where(Run.id == int(run_id))
            ).first()
            if row is None:
                raise UnknownNameError(
                    f"no run with id {run_id}; list runs with 'datasets history'"
                )
            return run_info(row[0], row[1])

    # ------------------------------------------------------------------ data

    def preview(self, name: str, limit: int = 20) -> pa.Table:
        """The first ``limit`` rows of the dataset's main table.

        Raises ``UnknownTableError`` (a ``NotFoundError``) if the dataset never ran."""
        from backlog_connector.sinks.errors import UnknownTableError

        table = self.get_dataset(name).table
        try:
            return self._warehouse().preview(table, max(0, int(limit)))
        except UnknownTableError:
            raise UnknownTableError(
                f"dataset {name!r} has no table yet; run it first: datasets run {name!r}"
            ) from None

    def schema(self, name: str) -> list[tuple[str, str]]:
        """The main table's columns and DuckDB types ([] if the dataset never ran)."""
        from backlog_connector.sinks.errors import UnknownTableError

        table = self.get_dataset(name).table
        try:
            return list(self._warehouse().describe(table))
        except UnknownTableError:
            return []

    def export(self, name: str, fmt: str, path: Path) -> Path:
        """Write the main table to ``path`` as ``csv`` or ``parquet``."""
        if fmt not in ("csv", "parquet"):
            raise InvalidOptionError(f"invalid export format {fmt!r}: use csv or parquet")
        from backlog_connector.sinks.errors import UnknownTableError

        table = self.get_dataset(name).table
        target = Path(path)
        try:
            self._warehouse().export(table, fmt, target)
        except UnknownTableError:
            raise UnknownTableError(
                f"dataset {name!r} has no table yet; run it first: datasets run {name!r}"
            ) from None
        return target

    # ------------------------------------------------------------------ internals

    def _warehouse(self) -> DuckDBSink:
        with self._sink_lock:
            if self._sink is None:
                from backlog_connector.sinks.duckdb import DuckDBSink

                self._sink = DuckDBSink(self.warehouse_path)
            return self._sink

    def _account(self, s: Session, name: str) -> Account:
        row = s.scalar(sa.select(Account).where(Account.name == name))
        if row is None:
            raise UnknownNameError(
                f"no account named {name!r}; see 'accounts list' or add it with 'accounts add'"
            )
        return row

    def _dataset(self, s: Session, name: str) -> Dataset:
        row = s.scalar(
            sa.select(Dataset).options(selectinload(Dataset.account)).where(Dataset.name == name)
        )
        if row is None:
            raise UnknownNameError(
                f"no dataset named {name!r}; see 'datasets list' or create it with"
                " 'datasets create'"
            )
        return row

    def _dataset_info(self, s: Session, row: Dataset) -> DatasetInfo:
        last = _last_runs(s, [row.id], None).get(row.id)
        ok = _last_runs(s, [row.id], "succeeded").get(row.id)
        return dataset_info(row, last, ok.table_rows if ok else None)

    def _require_free_account_name(self, name: str) -> None:
        with self._sessions() as s:
            if s.scalar(sa.select(Account.id).where(Account.name == name)) is not None:
                raise NameTakenError(
                    f"an account named {name!r} already exists; pick another name, or change"
                    f" it with 'accounts update {name}'"
                )

    def _credentials(self, account: Account, *, in_query: bool | None = None) -> Credentials:
        document = self._box.open_sealed(account.secret, account=account.name)
        name = account.name

        def save_refreshed(token: OAuthToken) -> None:
            with self._sessions.begin() as s:
                self._account(s, name).secret = self._box.seal(secret_document(token))

        return credentials_from(
            account.auth_kind,
            document,
            api_key_in_query=account.api_key_in_query if in_query is None else in_query,
            on_refresh=save_refreshed,
        )

    def _identify(self, name: str, address: Any, creds: Credentials) -> Identity:
        with open_client(address, creds, account_name=name) as client:
            return fetch_identity(client)

    def _save_new_account(
        self,
        name: str,
        address: Any,
        fqdn: str | None,
        creds: Credentials,
        api_key_in_query: bool,
    ) -> AccountInfo:
        identity = self._identify(name, address, creds)
        now = utcnow()
        with self._sessions.begin() as s:
            if s.scalar(sa.select(Account.id).where(Account.name == name)) is not None:
                raise NameTakenError(f"an account named {name!r} was just added; pick another")
            row = Account(
                name=name,
                base_url=address.base_url,
                space=address.fqdn,
                address_kind="fqdn" if fqdn else "base_url",
                auth_kind="oauth" if type(creds).__name__ == "OAuthToken" else "api_key",
                api_key_in_query=api_key_in_query,
                secret=self._box.seal(secret_document(creds)),
                created_at=now,
                updated_at=now,
            )
            _apply_identity(row, identity)
            s.add(row)
            s.flush()
            self._share_budget(s, row, identity.rate_budget)
            return account_info(row)

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

    def _plan(self, run_id: int, full: bool) -> RunPlan:
        with self._sessions() as s:
            run = s.get(Run, run_id)
            if run is None:
                raise UnknownNameError(f"no run with id {run_id}")
            row = s.get(Dataset, run.dataset_id)
            assert row is not None
            account = row.account
            document = self._box.open_sealed(account.secret, account=account.name)
            return RunPlan(
                run_id=run_id,
                dataset=row.name,
                account=account.name,
                report=row.report,
                options=dict(row.options),
                mode=row.update_mode,
                table=row.table_name,
                full=full or row.force_full,
                address=parse_address(
                    account.space if account.address_kind == "fqdn" else None,
                    account.base_url if account.address_kind == "base_url" else None,
                ),
                credentials=self._credentials(account),
                user_id=account.user_id,
                secrets=tuple(secret_values(document)),
            )

    def _execute_one(
        self,
        run_id: int,
        full: bool,
        progress: Progress | None,
        cancel: threading.Event | None,
    ) -> None:
        try:
            plan = self._plan(run_id, full)
        except Exception as exc:
            self._finish(
                run_id,
                RunOutcome(
                    status="failed", error=str(exc), error_action=getattr(exc, "action", "give_up")
                ),
            )
            return
        with self._running_lock:
            busy = plan.dataset in self._running
            if not busy:
                self._running.add(plan.dataset)
        if busy:
            self._finish(
                run_id,
                RunOutcome(status="skipped", error="the dataset was already running"),
            )
            return
        try:

            def started(cursor: dict[str, Any] | None) -> None:
                with self._sessions.begin() as s:
                    run = s.get(Run, run_id)
                    assert run is not None
                    run.status = "running"
                    run.started_at = utcnow()
                    run.cursor_before = cursor

            outcome = execute(
                plan, self._warehouse(), on_start=started, progress=progress, cancel=cancel
            )
            self._finish(run_id, outcome, clear_force_full=plan.full)
        finally:
            with self._running_lock:
                self._running.discard(plan.dataset)

    def _finish(self, run_id: int, outcome: RunOutcome, *, clear_force_full: bool = False) -> None:
        with self._sessions.begin() as s:
            run = s.get(Run, run_id)
            assert run is not None
            now = utcnow()
            run.status = outcome.status
            run.started_at = run.started_at or now
            run.finished_at = now
            for attr in (
                "error",
                "error_action",
                "rows_read",
                "rows_written",
                "rows_deleted",
                "table_rows",
                "requests",
                "rate_limited",
                "retries",
                "wait_seconds",
                "last_remaining",
                "complete",
                "incomplete_reason",
                "cursor_before",
                "cursor_after",
            ):
                setattr(run, attr, getattr(outcome, attr))
            dataset = s.get(Dataset, run.dataset_id)
            if dataset is not None:
                if clear_force_full and outcome.status == "succeeded":
                    dataset.force_full = False
                if outcome.rate_budget:
                    self._share_budget(s, dataset.account, outcome.rate_budget)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _apply_identity(account: Account, identity: Identity) -> None:
    account.user_id = identity.user_id
    account.user_login = identity.user_login
    account.user_name = identity.user_name
    account.user_role = identity.user_role
    account.space_key = identity.space_key
    account.space_name = identity.space_name
    account.space_timezone = identity.space_timezone
    account.verified_at = utcnow()


def _update_mode(spec: Any, requested: str | None) -> str:
    supported = [str(m) for m in spec.update_modes]
    if requested is None or requested == "":
        return str(spec.default_update_mode)
    if requested not in supported:
        raise InvalidOptionError(
            f"the report {spec.name!r} does not support the update mode {requested!r};"
            f" use one of: {', '.join(supported)} (default {spec.default_update_mode})"
        )
    return str(requested)


def _check_trigger(trigger: str, attempt: int) -> None:
    if trigger not in RUN_TRIGGERS:
        raise InvalidOptionError(
            f"invalid run trigger {trigger!r}: use one of {', '.join(RUN_TRIGGERS)}"
        )
    if isinstance(attempt, bool) or not isinstance(attempt, int) or attempt < 1:
        raise InvalidOptionError(f"invalid attempt {attempt!r}: give a whole number from 1")


def _last_runs(s: Session, dataset_ids: list[int], status: str | None) -> dict[int, Run]:
    """The newest run (of ``status``, if given) per dataset, in one query."""
    if not dataset_ids:
        return {}
    newest = sa.select(Run.dataset_id, sa.func.max(Run.id).label("id")).where(
        Run.dataset_id.in_(dataset_ids)
    )
    if status is not None:
        newest = newest.where(Run.status == status)
    sub = newest.group_by(Run.dataset_id).subquery()
    rows = s.scalars(sa.select(Run).join(sub, Run.id == sub.c.id))
    return {r.dataset_id: r for r in rows}


def _epoch(value: Any) -> float:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InvalidOptionError("expires_at must carry a time zone (e.g. UTC)")
        return value.timestamp()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise InvalidOptionError(
        f"invalid expires_at {value!r}: give epoch seconds or an ISO 8601 time with a zone"
    )
