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
        self._later: threading.Timer | None = None  # the save of what came since the last
        self._over = False
        self._advanced = False
        self._lock = threading.Lock()

    def __call__(self, dataset: str, event: ProgressEvent) -> None:
        self.live.feed(event)
        if self._forward is not None:
            self._forward(dataset, event)
        with self._lock:
            now = self._clock()
            due = self._saved_at is None or now - self._saved_at >= self._every
            # news at once: the first of the walk done, and a wait for the rate budget
            # (nothing else comes while it lasts)
            due = due or (event.kind == "advance" and not self._advanced)
            due = due or (event.kind == "wait" and event.wait_seconds >= self._every)
            self._advanced = self._advanced or event.kind == "advance"
            if due:
                self._saved_at = now
            elif self._later is None and not self._over and self._saved_at is not None:
                # the last events before a quiet stretch must not wait for the next event
                delay = max(0.0, self._every - (now - self._saved_at))
                self._later = threading.Timer(delay, self._save_later)
                self._later.daemon = True
                self._later.start()
        if due:
            self.flush()

    def _save_later(self) -> None:
        with self._lock:
            self._later = None
            if self._over:
                return
            self._saved_at = self._clock()
        self.flush()

    def flush(self) -> None:
        """Write the progress now (best effort: a failed write is logged, the run goes on)."""
        try:
            self._save(self.live.snapshot())
        except Exception:
            log.warning("could not save a run's progress", exc_info=True)

    def final(self) -> dict[str, Any]:
        """The figures to keep in the record once the run is over (no save after this)."""
        with self._lock:
            self._over = True
            later, self._later = self._later, None
        if later is not None:
            later.cancel()
        return self.live.snapshot(final=True)
