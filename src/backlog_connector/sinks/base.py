"""The contract of a warehouse writer: one run's batches in, atomically, with its cursor."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

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


class Sink(ABC):
    """A warehouse: DuckDB by default."""

    @abstractmethod
    def read_state(self, base: str) -> dict[str, Any] | None:
        """The state (cursor) last committed for the dataset table ``base``, or None."""

    @abstractmethod
    def open_run(
        self,
        base: str,
        tables: Sequence[TableSpec],
        mode: UpdateMode,
        *,
        run_id: str,
        full: bool = False,
    ) -> SinkRun:
        """Start a run writing ``tables`` under the name ``base``. ``full=True``: the run
        writes every row of the dataset (it has no cursor), so merge may rebuild the tables."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection."""
