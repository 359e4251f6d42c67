"""The contract of a warehouse writer: one run's batches in, atomically, with its cursor."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backlog_connector.reports.base import TableBatch, TableSpec, UpdateMode


@dataclass
class WriteStats:
    """What a committed run did to the warehouse, per table name."""

    rows_written: dict[str, int] = field(default_factory=dict)
    rows_deleted: dict[str, int] = field(default_factory=dict)
    columns_added: dict[str, list[str]] = field(default_factory=dict)


def table_name(base: str, suffix: str) -> str:
    """The physical name of a report table: ``base`` or ``base__suffix``."""
    return f"{base}__{suffix}" if suffix else base


class SinkRun(ABC):
    """One run's writes. Nothing is visible to readers until ``commit``."""

    @abstractmethod
    def write(self, batch: TableBatch) -> None:
        """Stage a batch (merge: upsert on the table's key; children replaced per parent)."""

    @abstractmethod
    def delete(self, keys: Sequence[tuple[Any, ...]]) -> None:
        """Merge mode: delete these main-table keys (and their children)."""

    @abstractmethod
    def commit(self, state: dict[str, Any] | None) -> WriteStats:
        """Make every staged change and ``state`` (the new cursor) visible in one transaction.
        ``state=None`` keeps the previous state."""

    @abstractmethod
    def abort(self) -> None:
        """Drop everything staged; the tables stay as they were."""

    #: whether ``commit_checkpoint`` is available (a failed run may keep its progress)
    supports_checkpoints: bool = False

    def commit_checkpoint(self, state: dict[str, Any]) -> WriteStats:
        """As ``commit``, for a run that failed after ``state`` (a checkpoint cursor) described
        its staged rows: they are kept, and the commit record says the run did not finish."""
        raise NotImplementedError(f"{type(self).__name__} keeps no checkpoints")


if TYPE_CHECKING:
    import pyarrow as pa


class Warehouse(ABC):
    """Read access to a destination's tables (names as stored; a dataset's base name works too)."""

    @abstractmethod
    def list_tables(self) -> list[str]:
        """The dataset tables (children included, the connector's own tables left out), sorted."""

    @abstractmethod
    def describe(self, table: str) -> list[tuple[str, str]]:
        """(column, database type) of ``table``, in table order."""

    @abstractmethod
    def column_sources(self, table: str) -> dict[str, str]:
        """Stored column -> the report's column name, for the columns the database forced to a
        shorter name (PostgreSQL's 63-byte limit); empty when every name is kept."""

    @abstractmethod
    def row_count(self, table: str) -> int:
        """The number of rows in ``table``."""

    @abstractmethod
    def preview(self, table: str, limit: int = 20) -> pa.Table:
        """The first ``limit`` rows of ``table`` as an Arrow table."""

    @abstractmethod
    def export(self, table: str, fmt: str, path: Path, *, encoding: str = "utf-8") -> int:
        """Write ``table`` to ``path`` as CSV (with a header), Parquet, JSON or xlsx, complete or
        not at all (``encoding`` utf-8-sig: CSV with a byte-order mark); return the row count."""

    @abstractmethod
    def committed_runs(self, run_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The commit markers of those of ``run_ids`` whose rows were committed here (run id
        -> committed_at, rows_written, rows_deleted, table_rows, table, partial)."""

    @abstractmethod
    def read_state(self, base: str) -> dict[str, Any] | None:
        """The state (cursor) last committed for the dataset table ``base``, or None."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection(s)."""


class Sink(Warehouse):
    """A warehouse writer: DuckDB by default, PostgreSQL as a saved destination."""

    @abstractmethod
    def open_run(
        self,
        base: str,
        tables: Sequence[TableSpec],
        mode: UpdateMode,
        *,
        run_id: str,
        full: bool = False,
        on_wait: Callable[[str], None] | None = None,
    ) -> SinkRun:
        """Start a run writing ``tables`` under the name ``base``. ``full=True``: the run
        writes every row of the dataset (it has no cursor), so merge may rebuild the tables.
        ``on_wait(message)`` hears when the run waits for readers to let go of its tables."""

    @abstractmethod
    def drop(self, base: str) -> list[str]:
        """Drop the dataset table ``base``, its child tables and its state; return the names
        dropped (empty when there was nothing)."""
