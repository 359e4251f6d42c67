"""The contract between a report, the sink that stores its rows, and the run that joins them.

A report turns Backlog responses into typed Arrow record batches for one main table and any
number of child tables. It never holds all rows: ``read`` yields bounded batches as pages arrive.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pyarrow as pa

if TYPE_CHECKING:
    from backlog_connector.backlog.client import BacklogClient


class UpdateMode(enum.StrEnum):
    """How a run's rows reach the table."""

    REPLACE = "replace"
    APPEND = "append"
    MERGE = "merge"


OptionKind = Literal["str", "int", "bool", "date", "choice", "list"]


@dataclass(frozen=True)
class OptionSpec:
    """One option a report accepts (``--option name=value``)."""

    name: str
    description: str
    kind: OptionKind = "str"
    choices: tuple[str, ...] = ()
    default: Any = None
    required: bool = False


@dataclass(frozen=True)
class TableSpec:
    """One table a report fills. ``suffix`` is "" for the main table, else the child's name.

    ``schema`` holds the declared columns (``_space`` included; ``_run_id``/``_loaded_at`` are
    added by the sink in append mode). Reports with dynamic columns (issue custom fields) may
    yield batches with extra columns; the sink adds them (schema drift).
    ``parent_key`` (child tables only) names the child's columns that hold the main table's key:
    in merge mode a parent's children are replaced whenever the parent is written or deleted.
    """

    suffix: str
    schema: pa.Schema
    key: tuple[str, ...]
    description: str = ""
    parent_key: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableBatch:
    """A bounded batch of rows for one of the report's tables."""

    suffix: str
    batch: pa.RecordBatch


@dataclass(frozen=True)
class ProgressEvent:
    """Something worth showing while a run is under way.

    ``rows`` and ``pages`` are running totals. ``total`` (kind "total") is how many ``unit``
    (e.g. "issues") the run will walk, None when unknown; ``done`` (kind "advance") is how
    many more of them it has walked. ``category`` names the rate budget a "wait" waits for.
    """

    kind: Literal["page", "rows", "wait", "note", "total", "advance"]
    message: str = ""
    rows: int = 0
    pages: int = 0
    wait_seconds: float = 0.0
    total: int | None = None
    done: int = 0
    unit: str = ""
    category: str = ""


@dataclass
class RunContext:
    """What a report reads with, and what it reports back besides rows.

    Inputs: ``client``, validated ``options``, ``space`` (the FQDN, value of ``_space``),
    ``mode``, and ``cursor``: the state the previous successful run committed (None = full run).
    Outputs, set by ``read`` before it returns: ``new_cursor`` (committed with the rows),
    ``deleted_keys`` (merge mode: main-table keys to delete), ``complete`` and
    ``incomplete_reason`` (e.g. the total did not match ``issues/count``). While it reads, a
    long report may set ``checkpoint``: a cursor that describes exactly the batches yielded so
    far; when the run fails later, the runner may commit those batches with it, and the next
    run resumes from there instead of starting over.
    ``previous(suffix)`` (when the runner can offer it) returns the rows the dataset's table
    with that suffix ("" = main) holds from earlier runs, or None when there is no such table:
    derived reports keep their history there instead of in the cursor.
    """

    client: BacklogClient
    options: dict[str, Any]
    space: str
    mode: UpdateMode = UpdateMode.REPLACE
    cursor: dict[str, Any] | None = None
    progress: Callable[[ProgressEvent], None] = lambda _event: None
    new_cursor: dict[str, Any] | None = None
    deleted_keys: list[tuple[Any, ...]] = field(default_factory=list)
    complete: bool = True
    incomplete_reason: str | None = None
    rows_read: int = 0
    checkpoint: dict[str, Any] | None = None
    checkpoint_note: str = ""  # what the checkpoint kept, for the run's error text
    previous: Callable[[str], pa.Table | None] | None = None

    def progress_total(self, total: int | None, *, unit: str = "issues") -> None:
        """Say how many ``unit`` the run will walk (None: unknown); the displays show
        done/total, a percentage and an ETA from it. Calling it again replaces the total."""
        self.progress(ProgressEvent("total", rows=self.rows_read, total=total, unit=unit))

    def progress_advance(self, done: int = 1) -> None:
        """Say that ``done`` more of the units of ``progress_total`` were walked."""
        self.progress(ProgressEvent("advance", rows=self.rows_read, done=done))


class Report(ABC):
    """A report of the catalog. Subclasses set the class attributes and implement ``read``."""

    name: str
    title: str
    description: str
    options: tuple[OptionSpec, ...] = ()
    tables: tuple[TableSpec, ...]
    update_modes: tuple[UpdateMode, ...] = (UpdateMode.REPLACE, UpdateMode.APPEND)
    default_update_mode: UpdateMode = UpdateMode.REPLACE
    incremental: bool = False

    @property
    def key(self) -> tuple[str, ...]:
        """The main table's primary key."""
        return self.tables[0].key

    @abstractmethod
    def validate_options(self, raw: Mapping[str, str]) -> dict[str, Any]:
        """Parse ``--option`` strings into typed values; raise ``InvalidOptionError`` naming
        the option, what was wrong and what is accepted. Unknown names are errors."""

    @abstractmethod
    def read(self, ctx: RunContext) -> Iterator[TableBatch]:
        """Yield bounded batches (a few thousand rows at most) for ``self.tables``."""
