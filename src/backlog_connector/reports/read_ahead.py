"""Per-issue reads a few issues ahead, so one issue's retry wait does not stall the walk.

A walk that reads something per issue (its comments) used to wait out every backoff of every
issue in turn: with faults, most of a long run was spent sleeping between attempts. Here a few
issues are read at once on a small pool of threads. The client still sends one request of a
Backlog user at a time (its per-user lock; Backlog asks for serial requests) and paces every
one of them on the rate budget, so what overlaps is the waiting: while one issue's call sleeps
before its retry, the next issue's request goes out. Results come back in the walk's order, so
checkpoints still mean "every issue before this one is written".
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: issues being read at once
WORKERS = 4
#: issues read ahead of the one the walk waits for (so a long retry wait of one is covered)
AHEAD = 16


def read_ahead(
    read: Callable[[T], R], items: Iterable[T], *, workers: int = WORKERS
) -> Iterator[tuple[T, R]]:
    """``(item, read(item))`` in the order of ``items``, with up to ``workers`` reads running.

    ``items`` is consumed on the caller's thread, at most ``max(AHEAD, workers)`` ahead. A read that
    raises has its exception raised here, at its item's place, after the reads before it were
    yielded. Closing the iterator early cancels the reads not started and waits for the rest.
    """
    if workers <= 1:
        for item in items:
            yield item, read(item)
        return
    pending: deque[tuple[T, Future[R]]] = deque()
    ahead = max(AHEAD, workers)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="backlog-read") as pool:
        try:
            for item in items:
                pending.append((item, pool.submit(read, item)))
                while len(pending) >= ahead or (pending and pending[0][1].done()):
                    first, future = pending.popleft()
                    yield first, future.result()
            while pending:
                first, future = pending.popleft()
                yield first, future.result()
        finally:
            for _, future in pending:
                future.cancel()
