"""Garbage collections at batch boundaries instead of in the middle of decoding.

A run allocates many short-lived objects (decoded JSON, value lists) and almost no cycles. With
automatic collections CPython collects every few thousand allocations, in the middle of decoding
a page: each collection walks the half-built page and the rows buffered for the batch, moves them
to older generations, and older collections walk them again. Inside :func:`fewer_collections`
automatic collection is off, what existed when the run started is frozen out of collections, and
the loop calls :meth:`Collections.tick` with the rows it has turned into batches: one collection
every ``every`` rows, right after a batch is built, when little is alive. Pages are freed by
reference counting (the client breaks httpx's response cycle), so the collections only catch
the rare cycle and can be far apart.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from backlog_connector.reports import fast_path

#: rows turned into batches between two collections (ten batches of the issues report)
COLLECT_EVERY_ROWS = 20_000


class Collections:
    """Counts rows and collects once every ``every`` of them (nothing when not ``active``)."""

    def __init__(self, every: int, *, active: bool) -> None:
        self.every = max(1, every)
        self.active = active
        self._rows = 0

    def tick(self, rows: int) -> None:
        """``rows`` more rows were handled; collect if ``every`` have been since the last."""
        if not self.active:
            return
        self._rows += rows
        if self._rows >= self.every:
            self._rows = 0
            gc.collect()


@contextmanager
def fewer_collections(every: int = COLLECT_EVERY_ROWS) -> Iterator[Collections]:
    """Inside the block: no automatic collections, what exists is frozen out of them, and the
    yielded :class:`Collections` collects every ``every`` rows it is told about. With the fast
    path switched off (``BACKLOG_CONNECTOR_FAST_BATCHES=0``) collections stay automatic."""
    if not fast_path.enabled():
        yield Collections(every, active=False)
        return
    was_enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        yield Collections(every, active=True)
    finally:
        if was_enabled:
            gc.enable()
        gc.unfreeze()
