"""What the scheduler reports about each dataset, and next due times that cannot stop it.

A dataset whose schedule or zone cannot be evaluated (a value saved before today's checks, a
zone removed from the system's database) must never stop the others: ``guarded_next_due``
answers ``(None, problem)`` for it, logged once per distinct problem.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backlog_connector.datasets.schedules import Schedule, next_due

log = logging.getLogger("backlog_connector.scheduler")


@dataclass(frozen=True)
class PendingRetry:
    """A retry waiting for its time."""

    at: datetime
    attempt: int


@dataclass(frozen=True)
class DatasetStatus:
    """What the scheduler knows about one dataset right now (``problem``: why it is not
    scheduled although its schedule says so, e.g. an unusable schedule)."""

    dataset: str
    schedule: str
    timezone: str
    enabled: bool
    next_due: datetime | None
    last_due: datetime | None
    running_job: str | None
    retry_at: datetime | None
    retry_attempt: int | None
    problem: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values."""

        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "dataset": self.dataset, "schedule": self.schedule, "timezone": self.timezone,
            "enabled": self.enabled, "next_due": iso(self.next_due),
            "last_due": iso(self.last_due), "running_job": self.running_job,
            "retry_at": iso(self.retry_at), "retry_attempt": self.retry_attempt,
            "problem": self.problem,
        }  # fmt: skip


class ProblemLog:
    """Logs each (dataset, problem) once, so a bad dataset does not flood the log every tick."""

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}
        self._lock = threading.Lock()

    def report(self, dataset: str, problem: str) -> None:
        """Log ``problem`` of ``dataset`` unless it was the last one logged for it."""
        with self._lock:
            if self._seen.get(dataset) == problem:
                return
            self._seen[dataset] = problem
        log.warning("dataset %s is not scheduled: %s", dataset, problem)

    def clear(self, dataset: str) -> None:
        """The dataset is fine again."""
        with self._lock:
            self._seen.pop(dataset, None)


def guarded_next_due(
    schedule: Schedule, tz: str, last_due: datetime | None, now: datetime
) -> tuple[datetime | None, str | None]:
    """``next_due``, or ``(None, problem)`` when it cannot be computed for this dataset."""
    try:
        return next_due(schedule, tz, last_due, now), None
    except Exception as exc:  # any failure is this dataset's alone
        return None, f"its schedule {schedule.spec!r} in {tz!r} cannot be evaluated ({exc})"
