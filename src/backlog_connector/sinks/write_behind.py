"""A helper thread that runs a sink run's staging writes in order while the caller reads on."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

#: batches queued for the helper thread that stages them while the caller reads the next ones
WRITE_BEHIND = 3


class WriteBehind:
    """One helper thread that runs a run's staging inserts in order, so the database works while
    the caller reads the next pages. A failure is kept and raised at the caller's next call."""

    def __init__(self, depth: int = WRITE_BEHIND, *, name: str = "sink-write-behind") -> None:
        self._queue: queue.Queue[Callable[[], None] | None] = queue.Queue(maxsize=max(1, depth))
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._name = name

    def submit(self, job: Callable[[], None]) -> None:
        """Queue ``job`` (blocks while the queue is full); raise an earlier job's failure."""
        self._raise()
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
            self._thread.start()
        self._queue.put(job)

    def drain(self) -> None:
        """Wait for the queued jobs; raise the first failure."""
        if self._thread is not None:
            self._queue.join()
        self._raise()

    def close(self) -> None:
        """Finish the queued jobs (after a failure: skip them) and stop the thread."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def _loop(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                if self._error is None:
                    job()
            except BaseException as exc:  # handed to the caller's thread
                self._error = exc
            finally:
                self._queue.task_done()
