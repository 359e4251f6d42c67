"""What a failed DuckDB staging run raises: DuckDB's, the staging files' and the disk's errors
mapped onto the sink error tree (:mod:`.errors`), with what happened to the run and what to do
next."""

from __future__ import annotations

import errno

import duckdb

from backlog_connector.sinks.errors import DiskFullError, WarehouseError, WriteConflictError


def run_failure(doing: str, exc: BaseException) -> BaseException:
    """The error to raise for ``exc`` while ``doing`` (the run already rolled back): a disk
    that is full, a write conflict or another DuckDB error in the sink's tree; any other
    exception is ``exc`` itself."""
    if disk_full(exc):
        return DiskFullError(
            f"{doing}: no space left on device (the disk holding the warehouse, its "
            "staging files or DuckDB's temporary files is full); the run was rolled "
            "back and the table kept: free some space, then run it again"
        )
    if isinstance(exc, duckdb.TransactionException):
        return WriteConflictError(
            f"{doing}: a concurrent transaction changed the same rows ({exc}); "
            "the run was rolled back, run it again"
        )
    if isinstance(exc, duckdb.Error):
        return WarehouseError(f"{doing}: DuckDB failed: {exc}")
    if isinstance(exc, OSError):  # the staged rows' files (pyarrow's IO errors are OSErrors)
        return WarehouseError(
            f"{doing}: the run's staging files failed: {exc}; the run was rolled back and the "
            "table kept"
        )
    return exc


def disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is the disk running out of space."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno == errno.ENOSPC:
            return True
        if "no space left on device" in str(seen).lower():
            return True
        seen = seen.__cause__ or seen.__context__
    return False
