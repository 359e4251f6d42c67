"""One run of a dataset at a time across the processes of one data home.

Threads of one process already share the control plane's set of running datasets; this adds an
advisory file lock per dataset (``<home>/locks/dataset-<id>.lock``), so two CLI commands, or a
CLI and ``serve``, never run the same dataset at once: the second one's run is recorded
``skipped``. The kernel drops the lock when its process dies, so a killed run leaves nothing to
clean up.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def dataset_lock(home: Path, dataset_id: int) -> Iterator[bool]:
    """Hold the dataset's lock for the block; yields False (and holds nothing) when another
    process holds it."""
    folder = home / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / f"dataset-{dataset_id}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
