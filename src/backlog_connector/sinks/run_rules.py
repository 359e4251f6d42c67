"""Rules every sink run follows, whatever the database: table specs it accepts, the columns of
append mode, the state document, and the fix a type conflict names."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import orjson
import pyarrow as pa

from backlog_connector.reports.base import TableSpec, UpdateMode
from backlog_connector.sinks.arrow_batches import check_columns, check_keys_set
from backlog_connector.sinks.base import table_name
from backlog_connector.sinks.errors import BadBatchError, RunFinishedError

RUN_ID_COLUMN = "_run_id"
LOADED_AT_COLUMN = "_loaded_at"
_REBUILD = (
    "To rebuild the table with the new type, run the dataset once with a full replace "
    "(update mode replace, or drop the table first), then return to {mode}"
)
#: what a SchemaConflictError tells the user to do, by the mode of the run that met it
CONFLICT_FIX = {
    UpdateMode.REPLACE: "Within one replace run the batches disagree on the type: run again "
    "(a custom field may have changed type during the run); if it persists, the report has a bug",
    UpdateMode.APPEND: _REBUILD.format(mode="append"),
    UpdateMode.MERGE: _REBUILD.format(mode="merge"),
}
_SUFFIX = re.compile(r"[a-z0-9_]+")
T = TypeVar("T")


def check_specs(base: str, tables: Sequence[TableSpec], mode: UpdateMode) -> None:
    """Reject table specs the sink cannot honour (a bug in the report), before anything runs."""
    suffixes = [spec.suffix for spec in tables]
    if suffixes.count("") != 1 or len(set(suffixes)) != len(suffixes):
        raise BadBatchError(
            f"{base!r}: a run needs exactly one main table (suffix '') and distinct child "
            f"suffixes, got {suffixes!r}"
        )
    main = next(spec for spec in tables if spec.suffix == "")
    if mode is UpdateMode.MERGE and not main.key:
        raise BadBatchError(
            f"{base!r}: merge needs a key on the main table; this report has none, so use "
            "replace or append"
        )
    for spec in tables:
        where = table_name(base, spec.suffix)
        if spec.suffix and not _SUFFIX.fullmatch(spec.suffix):
            raise BadBatchError(f"{where!r}: a child suffix takes lower-case a-z, 0-9 and '_'")
        missing = [c for c in spec.key + spec.parent_key if c not in spec.schema.names]
        if missing:
            raise BadBatchError(f"{where!r}: key columns {missing!r} are not in the schema")
        if spec.suffix and mode is UpdateMode.MERGE and len(spec.parent_key) != len(main.key):
            raise BadBatchError(
                f"{where!r}: merge replaces children per parent, so the child needs a "
                f"parent_key of {len(main.key)} column(s) matching the main key {main.key!r}"
            )


def reject_append_columns(names: Sequence[str], where: str) -> None:
    """Append mode: the batch must not carry the columns the sink sets itself."""
    clash = [n for n in names if n.lower() in (RUN_ID_COLUMN, LOADED_AT_COLUMN)]
    if clash:
        raise BadBatchError(
            f"{where}: the batch carries {clash!r}, which the sink sets itself in append mode; "
            "leave these columns out of the report"
        )


def dump_state(state: dict[str, Any] | None) -> str | None:
    """The state as JSON text (None keeps the stored one); a bad state is a report bug."""
    if state is None:
        return None
    if not isinstance(state, dict):
        kind = type(state).__name__
        raise BadBatchError(f"commit() takes the state as a dict or None, got {kind}")
    try:
        return orjson.dumps(state).decode()
    except TypeError as exc:
        raise BadBatchError(f"the run's state is not JSON-serialisable: {exc}") from exc


def add_count(counter: dict[str, int], name: str, rows: int) -> None:
    """``counter[name] += rows``."""
    counter[name] = counter.get(name, 0) + rows


def table_for(tables: Mapping[str, T], suffix: str) -> T:
    """The run's table of ``suffix``; a batch for a table the run did not open is a report bug."""
    table = tables.get(suffix)
    if table is None:
        known = ", ".join(repr(s) for s in tables)
        raise BadBatchError(
            f"a batch for table suffix {suffix!r}, which the run did not open "
            f"(its tables have the suffixes {known})"
        )
    return table


def required_keys(mode: UpdateMode, spec: TableSpec) -> tuple[str, ...]:
    """The columns every row of a batch must set: merge needs the key and the parent key."""
    if mode is not UpdateMode.MERGE:
        return ()
    return tuple(dict.fromkeys(spec.key + spec.parent_key))


def check_batch(
    data: pa.Table, mode: UpdateMode, spec: TableSpec, where: str, *, new_schema: bool
) -> None:
    """Refuse a batch that breaks the contract: (for a schema not seen yet) duplicate names,
    missing keys or the append columns, and (always) NULL keys."""
    required = required_keys(mode, spec)
    if new_schema:
        if mode is UpdateMode.APPEND:
            reject_append_columns(data.column_names, where)
        check_columns(data.column_names, where, required)
    check_keys_set(data, where, required)


def refuse_delete(mode: UpdateMode, base: str) -> None:
    """``delete()`` needs a key to match: never in append mode."""
    if mode is UpdateMode.APPEND:
        raise BadBatchError(
            f"delete() needs the merge update mode; {base!r} is written in append mode"
        )


def finished(run_id: str, base: str) -> RunFinishedError:
    """The error for a run used after its commit or roll-back."""
    return RunFinishedError(
        f"the run {run_id!r} of {base!r} is already committed or rolled back; open a new run"
    )
