"""Per-run staging files beside the warehouse: where a DuckDB run's rows wait for its commit.

A run stages into ``<warehouse>.staging/<token>.duckdb`` (its own DuckDB file, so the warehouse
stays closed while the run reads from Backlog), and the commit attaches it read-only. A run
that ends deletes its file; one killed leaves it, and the next run removes every staging file
that neither a run of this process nor another live process holds (DuckDB keeps a lock on a file
while it is open, so a file that opens is nobody's).
"""

from __future__ import annotations

import contextlib
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


def release(path: Path) -> None:
    """Delete a staging file (and its write-ahead log) and forget it."""
    for leftover in (path, path.with_name(path.name + ".wal")):
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
    return removed


def staging_files(warehouse: Path) -> list[Path]:
    """The staging files present now (for tests and diagnostics)."""
    folder = staging_dir(warehouse)
    return sorted(folder.glob("*.duckdb*")) if folder.is_dir() else []
