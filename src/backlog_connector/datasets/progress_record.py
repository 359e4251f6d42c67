"""A run's progress kept in its record (``runs.progress``), where every process reads it: the
web pages and the REST API of any replica, ``serve`` following a CLI run, the CLI following a
worker's."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from backlog_connector.datasets.live_progress import LiveProgress
from backlog_connector.reports.base import ProgressEvent

log = logging.getLogger("backlog_connector.datasets")

#: how often a running run's progress is written to its record
SAVE_SECONDS = 1.0


class RecordedProgress:
    """The ``progress`` callback of one run: folds its events into a :class:`LiveProgress`,
    writes the snapshot with ``save`` (the first event at once, then at most every
    ``every`` seconds) and passes each event on to ``forward`` (the caller's display)."""

    def __init__(
        self,
        save: Callable[[dict[str, Any]], None],
        forward: Callable[[str, ProgressEvent], None] | None = None,
        *,
        every: float = SAVE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.live = LiveProgress(clock)
        self._save, self._forward = save, forward
        self._every, self._clock = every, clock
        self._saved_at: float | None = None
        self._lock = threading.Lock()

    def __call__(self, dataset: str, event: ProgressEvent) -> None:
        self.live.feed(event)
        if self._forward is not None:
            self._forward(dataset, event)
        with self._lock:
            now = self._clock()
            due = self._saved_at is None or now - self._saved_at >= self._every
            # a wait for the rate budget is news at once (nothing else comes while it lasts)
            due = due or (event.kind == "wait" and event.wait_seconds >= self._every)
            if due:
                self._saved_at = now
        if due:
            self.flush()

    def flush(self) -> None:
        """Write the progress now (best effort: a failed write is logged, the run goes on)."""
        try:
            self._save(self.live.snapshot())
        except Exception:
            log.warning("could not save a run's progress", exc_info=True)

    def final(self) -> dict[str, Any]:
        """The figures to keep in the record once the run is over."""
        return self.live.snapshot(final=True)
