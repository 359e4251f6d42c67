"""The control plane: what a user configures (accounts, destinations, datasets) and what
happened (runs).

The CLI, the scheduler, the REST API and the web pages use only ``ControlPlane``. Every object it
returns is a frozen dataclass of plain data (``datasets.info``) with ``to_dict()``; none holds a
secret. Bad input raises a ``ConfigurationError`` subclass naming the problem and the fix, and
changes nothing.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from backlog_connector.datasets.accounts import AccountsMixin
from backlog_connector.datasets.definitions import UPDATABLE, DatasetsMixin
from backlog_connector.datasets.destinations import DestinationsMixin
from backlog_connector.datasets.migrate import upgrade
from backlog_connector.datasets.plane import database_url_error
from backlog_connector.datasets.queued import QueuedRunsMixin
from backlog_connector.datasets.runs import RunsMixin
from backlog_connector.settings import Settings, load_settings

__all__ = ["UPDATABLE", "ControlPlane"]


class ControlPlane(AccountsMixin, DestinationsMixin, DatasetsMixin, RunsMixin, QueuedRunsMixin):
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
