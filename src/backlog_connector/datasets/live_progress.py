"""A run's live progress: the events a run sends, folded into the figures the displays show.

:class:`LiveProgress` takes the run's :class:`ProgressEvent` s and answers ``snapshot()``, the
JSON document stored in ``runs.progress`` and served to the web pages and the REST API::

    {"done": int, "total": int | None, "unit": str, "rows": int,
     "rows_per_second": float, "eta_seconds": float | None,
     "waiting": {"seconds": float, "category": str} | None, "message": str}

``done``/``total`` count ``unit`` (e.g. issues) when the report gave a total; a report that
gives none counts rows (``unit`` "rows", ``total`` None). ``eta_seconds`` is known once a total
and some progress are: the rate since the total was given (budget waits included, so the
estimate reflects the pace the rate budget allows), plus what is left of a wait under way.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the records import this module: no pyarrow at start-up
    from backlog_connector.reports.base import ProgressEvent

__all__ = ["PROGRESS_KEYS", "LiveProgress", "as_progress", "describe", "waiting_text"]

#: the keys of the progress document, in order
PROGRESS_KEYS = (
    "done", "total", "unit", "rows", "rows_per_second", "eta_seconds", "waiting", "message",
)  # fmt: skip

#: seconds of a run before its rates and ETA are estimated
MIN_SECONDS = 1.0


class LiveProgress:
    """Folds one run's progress events into its figures. Thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._started = clock()
        self._fed = False
        self._total_at: float | None = None
        self._done_at_total = 0
        self.done = 0
        self.total: int | None = None
        self.unit = ""
        self.rows = 0
        self.pages = 0
        self.message = ""
        self._wait_until = 0.0
        self._wait_category = ""

    def feed(self, event: ProgressEvent) -> None:
        """Take one event of the run."""
        with self._lock:
            now = self._clock()
            if not self._fed:  # rates count from the run's first event, not from its queuing
                self._started, self._fed = now, True
            self.rows = max(self.rows, event.rows)
            self.pages = max(self.pages, event.pages)
            if event.kind == "total":
                self.total = None if event.total is None else max(0, int(event.total))
                self.unit = event.unit or self.unit or "rows"
                self._total_at, self._done_at_total = now, self.done
            elif event.kind == "advance":
                self.done += max(0, int(event.done))
                self.unit = self.unit or "rows"
            elif event.kind == "wait" and event.wait_seconds > 0:
                self._wait_until = now + event.wait_seconds
                self._wait_category = event.category
            if event.message:
                self.message = event.message

    __call__ = feed

    def snapshot(self, *, final: bool = False) -> dict[str, Any]:
        """The progress document (see the module docstring); ``final``: the run is over, so
        nothing is awaited and nothing remains to estimate."""
        with self._lock:
            now = self._clock()
            counted = bool(self.unit)
            done = self.done if counted else self.rows
            elapsed = now - self._started
            # below a second a rate says nothing yet (the first page came in a burst)
            rate = self.rows / elapsed if elapsed >= MIN_SECONDS else 0.0
            eta: float | None = None
            if not final and self.total is not None and self._total_at is not None:
                walked, spent = self.done - self._done_at_total, now - self._total_at
                if self.done >= self.total:
                    eta = 0.0
                elif walked > 0 and spent >= MIN_SECONDS:
                    eta = (self.total - self.done) * spent / walked
            left = self._wait_until - now
            waiting = None
            if not final and left > 0:
                waiting = {"seconds": round(left, 1), "category": self._wait_category}
                if eta is not None:  # nothing moves until the budget is back
                    eta += left
            return {
                "done": done,
                "total": self.total if counted else None,
                "unit": self.unit or "rows",
                "rows": self.rows,
                "rows_per_second": round(rate, 1),
                "eta_seconds": None if eta is None else round(eta, 1),
                "waiting": waiting,
                "message": self.message,
            }


def as_progress(stored: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A stored progress document in the current shape: one written by an older version
    (``rows``, ``pages``, ``message``) gets the keys it lacks. None stays None."""
    if stored is None:
        return None
    rows = _int(stored.get("rows"))
    total = stored.get("total")
    eta = stored.get("eta_seconds")
    waiting = stored.get("waiting")
    if isinstance(waiting, Mapping):
        waiting = {
            "seconds": _float(waiting.get("seconds")),
            "category": str(waiting.get("category") or ""),
        }
    else:
        waiting = None
    return {
        "done": _int(stored.get("done", rows)),
        "total": _int(total) if total is not None else None,
        "unit": str(stored.get("unit") or "rows"),
        "rows": rows,
        "rows_per_second": _float(stored.get("rows_per_second")),
        "eta_seconds": _float(eta) if eta is not None else None,
        "waiting": waiting,
        "message": str(stored.get("message") or ""),
    }


def waiting_text(waiting: Mapping[str, Any]) -> str:
    """ "waiting 55 s for the search rate budget"."""
    seconds = max(0, round(_float(waiting.get("seconds"))))
    category = str(waiting.get("category") or "")
    budget = f"the {category} rate budget" if category else "the rate budget"
    return f"waiting {seconds} s for {budget}"


def describe(progress: Mapping[str, Any]) -> str:
    """One line for people: "1,200 / 50,000 issues (2%) · 3,400 rows · 85.0 rows/s · ETA 9m 34s"
    (and the wait, when the run waits for the rate budget)."""
    done, total, unit = _int(progress.get("done")), progress.get("total"), progress.get("unit")
    parts = [f"{done:,} / {_int(total):,} {unit}" if total is not None else f"{done:,} {unit}"]
    if total is not None:
        parts[0] += f" ({percent(done, _int(total))}%)"
    if unit != "rows":
        parts.append(f"{_int(progress.get('rows')):,} rows")
    parts.append(f"{_float(progress.get('rows_per_second')):,.1f} rows/s")
    eta = progress.get("eta_seconds")
    if eta is not None:
        parts.append(f"ETA {duration_text(_float(eta))}")
    waiting = progress.get("waiting")
    if isinstance(waiting, Mapping):
        parts.append(waiting_text(waiting))
    return " · ".join(parts)


def percent(done: int, total: int) -> int:
    """Whole percent of ``total`` done (100 for an empty total)."""
    return 100 if total <= 0 else min(100, int(done * 100 / total))


def duration_text(seconds: float) -> str:
    """ "45s", "9m 34s", "2h 05m"."""
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m {whole % 60:02d}s"
    return f"{whole // 3600}h {whole % 3600 // 60:02d}m"


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _float(value: Any) -> float:
    try:
        return float(value or 0.0)
    except (TypeError, ValueError):
        return 0.0
