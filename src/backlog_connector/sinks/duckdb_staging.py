"""Per-run staging files beside the warehouse: where a DuckDB run's rows wait for its commit.

A run stages into ``<warehouse>.staging/<token>.duckdb`` (its own DuckDB file: the deleted keys)
and the folder ``<token>.rows`` (its rows, ``duckdb_rows``), so the warehouse stays closed while
the run reads from Backlog. A run that ends deletes both; one killed leaves them, and the next
run removes every staging file that neither a run of this process nor another live process holds
(DuckDB keeps a lock on a file while it is open, so a file that opens is nobody's), with its
rows folder.
"""

from __future__ import annotations

import contextlib
import shutil
import threading
import uuid
from pathlib import Path

import duckdb

_live: set[Path] = set()  # staging files of the runs open in this process
_live_lock = threading.Lock()


def staging_dir(warehouse: Path) -> Path:
    """The folder of ``warehouse``'s staging files."""
    return warehouse.with_name(f"{warehouse.name}.staging")


def new_staging_file(warehouse: Path) -> Path:
    """A fresh staging file path, registered as live in this process."""
    folder = staging_dir(warehouse)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex[:12]}.duckdb"
    with _live_lock:
        _live.add(path)
    return path


def rows_dir(path: Path) -> Path:
    """The rows folder of the staging file ``path``."""
    return path.with_suffix(".rows")


def release(path: Path) -> None:
    """Delete a staging file (its rows first, then its write-ahead log and the file that marks
    the run alive) and forget it."""
    shutil.rmtree(rows_dir(path), ignore_errors=True)
    for leftover in (path.with_name(path.name + ".wal"), path):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
    with _live_lock:
        _live.discard(path)


def remove_stale(warehouse: Path) -> list[Path]:
    """Delete the staging files no live run holds (left by a killed run); return them."""
    folder = staging_dir(warehouse)
    if not folder.is_dir():
        return []
    with _live_lock:
        live = set(_live)
    removed = []
    for path in sorted(folder.glob("*.duckdb")):
        if path in live:
            continue
        try:
            duckdb.connect(str(path)).close()
        except duckdb.Error:
            continue  # held by a run of another process (or not ours to judge)
        release(path)
        removed.append(path)
    for wal in folder.glob("*.duckdb.wal"):  # a log whose file is gone
        if not wal.with_name(wal.name[: -len(".wal")]).exists():
            with contextlib.suppress(FileNotFoundError):
                wal.unlink()
    for rows in folder.glob("*.rows"):  # rows of a run killed before its file was made
        owner = rows.with_suffix(".duckdb")
        if owner not in live and not owner.exists():
            shutil.rmtree(rows, ignore_errors=True)
    return removed


def staging_files(warehouse: Path) -> list[Path]:
    """The staging files and rows folders present now (for tests and diagnostics)."""
    folder = staging_dir(warehouse)
    if not folder.is_dir():
        return []
    return sorted([*folder.glob("*.duckdb*"), *folder.glob("*.rows")])
