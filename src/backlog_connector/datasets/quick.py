"""The CLI's control plane: listings straight from the database, everything else through
``ControlPlane``, opened on first need.

A ``datasets list`` must not pay for SQLAlchemy, Alembic and pydantic (most of its time). So
``QuickPlane`` answers the listings (``datasets.listing``, the same queries ``ControlPlane``
runs) on a sqlite3 (or psycopg) connection of its own when the database is ready for a plain
read: it exists, it is at the shipped head revision (read from ``alembic_version``, compared
with the migration files; no Alembic), no dataset holds a webhook URL still to be sealed, no
run of a dead process waits to be settled, and nothing but the data home, the database URL and
the secret key is configured (``settings_files.basic_settings``). Otherwise, and for every other
method, it opens the full ``ControlPlane``, which migrates, seals, settles and validates every
setting, with the errors it always gave.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from backlog_connector.datasets.listing import Listing, unseal_webhook
from backlog_connector.datasets.migrate import head_revision
from backlog_connector.settings_files import BasicSettings, basic_settings

if TYPE_CHECKING:
    from backlog_connector.datasets.info import (
        AccountInfo,
        DatasetInfo,
        DestinationInfo,
        ReportInfo,
        RunInfo,
    )
    from backlog_connector.datasets.secrets import SecretBox
    from backlog_connector.datasets.service import ControlPlane

#: control-plane URL schemes the quick path reads (others: the full ControlPlane)
_POSTGRES_SCHEMES = ("postgresql://", "postgresql+psycopg://")


class QuickPlane:
    """``ControlPlane``'s methods for the CLI, the listings read without SQLAlchemy when the
    database allows (see the module docstring). Close it (or use ``with``)."""

    def __init__(self) -> None:
        self._plane: ControlPlane | None = None
        self._listing: Listing | None = None
        self._connection: Any = None
        self._settings: BasicSettings | None = None
        self._checked = False
        self._box: SecretBox | None = None

    def list_datasets(self) -> list[DatasetInfo]:
        """``ControlPlane.list_datasets``."""
        listing = self._quick()
        if listing is None:
            return self.full().list_datasets()
        return listing.datasets(lambda row: unseal_webhook(self._secret_box, row))

    def list_accounts(self) -> list[AccountInfo]:
        """``ControlPlane.list_accounts``."""
        listing = self._quick()
        return self.full().list_accounts() if listing is None else listing.accounts()

    def list_destinations(self) -> list[DestinationInfo]:
        """``ControlPlane.list_destinations``."""
        listing = self._quick()
        if listing is None or self._settings is None:
            return self.full().list_destinations()
        return listing.destinations(self._settings.warehouse_path)

    def history(self, name: str, limit: int = 50) -> list[RunInfo]:
        """``ControlPlane.history``."""
        listing = self._quick()
        return self.full().history(name, limit) if listing is None else listing.history(name, limit)

    def list_reports(self) -> list[ReportInfo]:
        """``ControlPlane.list_reports`` (static: needs no database)."""
        from backlog_connector.datasets.catalog_cache import report_catalog

        return report_catalog()

    @property
    def opened_full(self) -> bool:
        """True once the full control plane was opened (a listing could not be read plainly,
        or another method was called)."""
        return self._plane is not None

    def full(self) -> ControlPlane:
        """The full control plane, opened (and migrated) on first use."""
        if self._plane is None:
            from backlog_connector.datasets.service import ControlPlane

            self._close_quick()
            self._plane = ControlPlane.open()
        return self._plane

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.full(), name)

    def close(self) -> None:
        """Release the quick connection and the full control plane, whichever was opened."""
        self._close_quick()
        if self._plane is not None:
            self._plane.close()
            self._plane = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _secret_box(self) -> SecretBox:
        if self._box is None:
            from backlog_connector.datasets.secrets import SecretBox

            settings = self._settings
            assert settings is not None  # a quick listing has its settings
            self._box = SecretBox.open(settings.key_file, settings.secret_key)
        return self._box

    def _quick(self) -> Listing | None:
        """The quick listing, or None when only the full control plane may answer."""
        if self._plane is not None:
            return None
        if not self._checked:
            self._checked = True
            try:
                self._listing = self._open_quick()
            except Exception:  # whatever it is, the full control plane reports it properly
                import logging

                logging.getLogger("backlog_connector.datasets").debug(
                    "no quick listing", exc_info=True
                )
                self._listing = None
            if self._listing is None:
                self._close_quick()
        return self._listing

    def _open_quick(self) -> Listing | None:
        settings = basic_settings()
        if settings is None:
            return None
        if settings.secret_key is None and not settings.key_file.is_file():
            return None  # the full open creates the key
        url = settings.control_db_url()
        if url.startswith("sqlite:///"):
            path = Path(url.removeprefix("sqlite:///"))
            if "?" in url or not path.is_file():
                return None  # a new database: the full open creates and migrates it
            import sqlite3

            self._connection = sqlite3.connect(path, timeout=30)
            listing = Listing(self._connection, "sqlite")
        elif url.startswith(_POSTGRES_SCHEMES):
            import psycopg

            conninfo = "postgresql://" + url.split("://", 1)[1]
            self._connection = psycopg.connect(conninfo, connect_timeout=10)
            listing = Listing(self._connection, "postgresql")
        else:
            return None
        if listing.revision() != head_revision() or listing.plain_webhooks():
            return None
        if listing.dead_owner_runs(settings.stale_seconds):
            return None
        self._settings = settings
        return listing

    def _close_quick(self) -> None:
        self._listing = None
        if self._connection is not None:
            self._connection.close()
            self._connection = None
