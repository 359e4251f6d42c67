"""Datasets: what a user configures (report, options, mode, schedule, retries, table)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backlog_connector.backlog.errors import InvalidOptionError
from backlog_connector.datasets import validate
from backlog_connector.datasets.errors import NameTakenError, UnknownNameError
from backlog_connector.datasets.info import (
    DatasetInfo,
    ReportInfo,
)
from backlog_connector.datasets.models import Dataset, Destination, Run, utcnow
from backlog_connector.datasets.plane import PlaneCore
from backlog_connector.datasets.views import WAREHOUSE, dataset_info, report_catalog

if TYPE_CHECKING:
    import pyarrow as pa


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
    "destination",
    "publish",
)


class DatasetsMixin(PlaneCore):
    """The report catalog, datasets and their data (see ``ControlPlane``)."""

    def list_reports(self) -> list[ReportInfo]:
        """The report catalog: names, options, keys, update modes."""
        return report_catalog()

    def check_report_options(self, report: str, options: Mapping[str, str]) -> None:
        """Raise what ``create_dataset`` would raise for this report and these options
        (``InvalidOptionError`` naming the option and what it accepts); change nothing."""
        from backlog_connector.reports.catalog import get_report

        get_report(report).validate_options({str(k): str(v) for k, v in options.items()})

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
        destination: str | None = None,
        publish: str | None = None,
    ) -> DatasetInfo:
        """A named dataset: the report's rows, through the account, into ``table`` (default:
        named after the dataset) of ``destination`` (a saved destination's name; None or
        ``warehouse``: the embedded DuckDB file). Every field is checked before anything is
        saved."""
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
        webhook = validate.webhook_url(webhook_url, allow_private=self._allow_private)
        table_name = validate.table(table) if table else dataset_table_name(name)
        published = validate.publish(publish)
        now = utcnow()
        with self._sessions.begin() as s:
            owner = self._account(s, account)
            target = _destination(s, destination)
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
                destination=target,
                report=spec.name,
                options=raw_options,
                update_mode=mode,
                schedule=schedule,
                timezone=timezone or None,
                retries=retries,
                retry_interval=retry_interval.strip(),
                retry_interval_seconds=interval_seconds,
                table_name=table_name,
                webhook_secret=self._seal_webhook(webhook),
                enabled=bool(enabled),
                publish=published,
                force_full=False,
                created_at=now,
                updated_at=now,
            )
            s.add(row)
            s.flush()
            return dataset_info(row, None, None, webhook)

    def update_dataset(self, name: str, **changes: Any) -> DatasetInfo:
        """Change some of: description, account, options, update_mode, schedule, timezone,
        retries, retry_interval, webhook_url, enabled, destination. A change of account,
        options, mode or destination makes the next run a full one (the tables in the old
        destination are left as they are)."""
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
                    row.require_full_run()
            if "update_mode" in changes:
                mode = _update_mode(spec, changes["update_mode"])
                if mode != row.update_mode:
                    row.update_mode = mode
                    row.require_full_run()
            if "account" in changes:
                owner = self._account(s, changes["account"])
                if owner.id != row.account_id:
                    row.account = owner
                    row.require_full_run()
            if "destination" in changes:
                target = _destination(s, changes["destination"])
                if (target.id if target else None) != row.destination_id:
                    if name in self._running:
                        raise InvalidOptionError(
                            f"dataset {name!r} is running; wait for the run to end before"
                            " moving it to another destination"
                        )
                    row.destination = target
                    row.require_full_run()
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
                row.webhook_secret = self._seal_webhook(
                    validate.webhook_url(changes["webhook_url"], allow_private=self._allow_private)
                )
                row.webhook_url = None
            if "description" in changes:
                row.description = str(changes["description"] or "")
            if "enabled" in changes:
                row.enabled = bool(changes["enabled"])
            if "publish" in changes:
                row.publish = validate.publish(changes["publish"])
                if row.publish is None:
                    self._unpublish(row.table_name)
            row.updated_at = utcnow()
            s.flush()
            return self._dataset_info(s, row)

    def list_datasets(self) -> list[DatasetInfo]:
        """Every dataset by name, each with its last run and its row count (two queries)."""
        self.settle_runs()
        with self._listing() as listing:
            return listing.datasets(self._webhook)

    def get_dataset(self, name: str) -> DatasetInfo:
        """One dataset; ``UnknownNameError`` if there is none of that name."""
        self.settle_runs()
        with self._sessions() as s:
            return self._dataset_info(s, self._dataset(s, name))

    def delete_dataset(self, name: str, *, drop_table: bool = True) -> None:
        """Forget a dataset and its runs; with ``drop_table`` also its table(s) and cursor
        (in the dataset's destination)."""
        with self._sessions.begin() as s:
            row = self._dataset(s, name)
            if name in self._running:
                raise InvalidOptionError(
                    f"dataset {name!r} is running; wait for the run to end (or cancel it)"
                )
            table_name = row.table_name
            target = self._sink_target(row) if drop_table else None
            s.execute(sa.delete(Run).where(Run.dataset_id == row.id))
            s.delete(row)
            if drop_table:
                self._sink_for(target).drop(table_name)
                self._unpublish(table_name)  # tools reading the file must not see it live on

    def _unpublish(self, table: str) -> None:
        """Remove the dataset's published snapshot, if any."""
        (self.home / "published" / f"{table}.parquet").unlink(missing_ok=True)

    def preview(self, name: str, limit: int = 20) -> pa.Table:
        """The first ``limit`` rows of the dataset's main table.

        Raises ``UnknownTableError`` (a ``NotFoundError``) if the dataset never ran."""
        from backlog_connector.sinks.errors import UnknownTableError

        table, sink = self._dataset_sink(name)
        try:
            return sink.preview(table, max(0, int(limit)))
        except UnknownTableError:
            raise UnknownTableError(
                f"dataset {name!r} has no table yet; run it first: datasets run {name!r}"
            ) from None

    def schema(self, name: str) -> list[tuple[str, str]]:
        """The main table's columns and their types in the destination ([] if the dataset
        never ran)."""
        from backlog_connector.sinks.errors import UnknownTableError

        table, sink = self._dataset_sink(name)
        try:
            return list(sink.describe(table))
        except UnknownTableError:
            return []

    def column_sources(self, name: str) -> dict[str, str]:
        """Stored column name -> the report's field name, for the main table's columns whose
        name the destination had to shorten (PostgreSQL keeps 63 bytes); {} when none was."""
        from backlog_connector.sinks.errors import UnknownTableError

        table, sink = self._dataset_sink(name)
        try:
            return dict(sink.column_sources(table))
        except UnknownTableError:
            return {}

    def export(
        self,
        name: str,
        fmt: str,
        path: Path,
        *,
        overwrite: bool = False,
        table_suffix: str | None = None,
        encoding: str = "utf-8",
    ) -> Path:
        """Write the main table (or its child ``table_suffix``, e.g. ``custom_fields``) to
        ``path`` as ``csv``, ``parquet``, ``json`` or ``xlsx``; return the absolute path.
        ``encoding`` ``utf-8-sig``: a CSV with the byte-order mark Excel needs.

        ``path`` is checked first (``datasets.export_paths``): never inside the data home, never
        a device or a directory, an existing file only with ``overwrite``. The file is written
        beside the target under a temporary name and renamed over it when complete.
        """
        from backlog_connector.datasets.exports import export_table

        return export_table(
            self, name, fmt, path, overwrite=overwrite, table_suffix=table_suffix,
            encoding=encoding,
        )  # fmt: skip

    def export_all(
        self, name: str, fmt: str, folder: Path, *, overwrite: bool = False,
        encoding: str = "utf-8",
    ) -> list[Path]:  # fmt: skip
        """Write every table of the dataset (main and children) into ``folder``, one
        ``<table>.<format>`` file each, all paths checked first; the paths written."""
        from backlog_connector.datasets.exports import export_all_tables

        return export_all_tables(self, name, fmt, folder, overwrite=overwrite, encoding=encoding)

    def dataset_tables(self, name: str) -> list[str]:
        """The dataset's tables in its destination: the main one first, then its children
        (``<table>__<suffix>``); [] if it never ran."""
        from backlog_connector.datasets.exports import dataset_tables

        return dataset_tables(self, name)[1]


def _destination(s: Session, name: str | None) -> Destination | None:
    """The saved destination ``name``; None for no name or ``warehouse`` (the DuckDB file)."""
    if name is None or name == "" or name == WAREHOUSE:
        return None
    row = s.scalar(sa.select(Destination).where(Destination.name == name))
    if row is None:
        raise UnknownNameError(
            f"no destination named {name!r}; see 'destinations list' or add it with"
            f" 'destinations add' ({WAREHOUSE!r} is the embedded DuckDB file)"
        )
    return row


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
