"""Fewer garbage collections while a run turns pages into batches.

A run allocates many short-lived objects (decoded JSON, value lists) and almost no cycles;
with the default thresholds CPython runs a full collection every few hundred thousand
allocations, each walking every object of the process (the start-up's imports included).
Freezing what exists when the run starts takes those out of every collection, and a higher
first threshold makes collections rarer; both are undone when the block ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from backlog_connector.reports import fast_path

#: allocations between young collections while a run reads (CPython's default is 2,000;
#: much higher lets cyclic garbage such as HTTP responses pile up: +100 MB RSS at 100,000)
RUN_THRESHOLD = 20_000


@contextmanager
def fewer_collections(threshold: int = RUN_THRESHOLD) -> Iterator[None]:
    """Inside the block: what exists is frozen out of collections, and young collections
    run every ``threshold`` allocations."""
    if not fast_path.enabled():
        yield
        return
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(threshold, before[0]), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
