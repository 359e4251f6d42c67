"""Read ahead: pages are fetched on a helper thread while the caller turns earlier ones into
batches and the sink writes them (DuckDB and socket waits release the GIL, so they overlap)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar, cast

T = TypeVar("T")

_DONE = object()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetch(source: Iterable[T], depth: int = 4) -> Iterator[T]:
    """Iterate ``source`` on a daemon thread, at most ``depth`` items ahead of the caller.

    An exception of ``source`` is raised to the caller at the point it would have occurred.
    Closing the returned generator (or dropping it) stops the thread after its current item.
    """
    items: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in source:
                if not put(item):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            put(_Failure(exc))
            return
        put(_DONE)

    thread = threading.Thread(target=produce, name="backlog-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = items.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield cast(T, item)
    finally:
        stop.set()
        thread.join(timeout=60)
