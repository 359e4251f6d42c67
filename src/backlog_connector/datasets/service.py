"""The control plane: what a user configures (accounts, destinations, datasets) and what
happened (runs).

The CLI, the scheduler, the REST API and the web pages use only ``ControlPlane``. Every object it
returns is a frozen dataclass of plain data (``datasets.info``) with ``to_dict()``; none holds a
secret. Bad input raises a ``ConfigurationError`` subclass naming the problem and the fix, and
changes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from backlog_connector.datasets.accounts import AccountsMixin
from backlog_connector.datasets.definitions import UPDATABLE, DatasetsMixin
from backlog_connector.datasets.destinations import DestinationsMixin
from backlog_connector.datasets.info import DatasetInfo
from backlog_connector.datasets.migrate import upgrade
from backlog_connector.datasets.option_check import OptionCheckMixin
from backlog_connector.datasets.plane import database_url_error
from backlog_connector.datasets.queued import QueuedRunsMixin
from backlog_connector.datasets.runs import RunsMixin
from backlog_connector.settings import Settings, load_settings

__all__ = ["UPDATABLE", "ControlPlane"]


class ControlPlane(
    OptionCheckMixin, AccountsMixin, DestinationsMixin, DatasetsMixin, RunsMixin, QueuedRunsMixin
):
    """Accounts, destinations, datasets and runs over one control-plane database, the DuckDB
    warehouse (the default destination ``warehouse``) and any saved PostgreSQL destinations.

    ``ControlPlane.open()`` runs the migrations. Thread-safe: the scheduler and the web server
    may call it from several threads. Close it (or use ``with``) to release the warehouse.

    The methods live in four parts: accounts (``datasets.accounts``), destinations
    (``datasets.destinations``), the report catalog, datasets and their data
    (``datasets.definitions``), runs (``datasets.runs``), and what runs on workers need
    (``datasets.queued``: jobs, progress, lost runs, due times and retries).
    """

    @classmethod
    def open(cls, home: Path | None = None, settings: Settings | None = None) -> ControlPlane:
        """Open the control plane of ``home`` (default: the settings' data home), migrating
        its database to the newest schema (accounts and datasets are kept)."""
        if settings is None:
            settings = load_settings(home)
        elif home is not None:
            settings = settings.model_copy(update={"home": Path(home).resolve()})
        plane = cls(settings)
        try:
            upgrade(plane._engine)
        except (sa.exc.DBAPIError, ImportError) as exc:  # unreachable, refused, bad driver...
            plane.close()
            raise database_url_error(settings.control_db_url(), exc) from None
        plane._seal_plain_webhooks()
        return plane

    def create_dataset(
        self, name: str, *, check_options: bool = True, **fields: Any
    ) -> DatasetInfo:
        """``DatasetsMixin.create_dataset``; with ``check_options`` the option names are first
        checked against the account's space (``datasets.option_check``)."""
        if check_options:
            self.check_report_options(fields["report"], fields.get("options") or {})
            self.check_options_in_space(
                fields["account"], fields["report"], fields.get("options") or {}
            )
        return super().create_dataset(name, **fields)

    def update_dataset(
        self, name: str, *, check_options: bool = True, **changes: Any
    ) -> DatasetInfo:
        """``DatasetsMixin.update_dataset``; with ``check_options`` changed options (or options
        under a changed account) are first checked against the space."""
        if check_options and ("options" in changes or "account" in changes):
            now = self.get_dataset(name)
            options = now.options if changes.get("options") is None else changes["options"]
            account = changes.get("account") or now.account
            if options and (options != now.options or account != now.account):
                self.check_report_options(now.report, options)
                self.check_options_in_space(account, now.report, options)
        return super().update_dataset(name, **changes)
