"""A job: one run the service queued, from "queued" to its end, with its live progress.

The run itself (status, figures, error) is recorded by the control plane under ``run_id`` from
the moment it is queued; the job adds what only the running process knows: rows and pages so
far, the latest progress message, and the event that cancels it.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from backlog_connector.datasets.live_progress import LiveProgress, as_progress
from backlog_connector.datasets.runner import ProgressEvent

JOB_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")
FINISHED = frozenset({"succeeded", "failed", "cancelled"})


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


@dataclass
class Job:
    """A queued or running (or finished) run of one dataset. Thread-safe to update and read."""

    dataset: str
    trigger: str
    attempt: int = 1
    full: bool = False
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    status: str = "queued"
    run_id: int | None = None  # set once the control plane has queued the run
    error: str | None = None
    error_action: str | None = None
    rows: int = 0
    pages: int = 0
    message: str = ""
    created_at: datetime = field(default_factory=utc_now)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    #: the run's figures as its record holds them (a job of another process), else None
    stored_progress: dict[str, Any] | None = None
    cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    live: LiveProgress = field(default_factory=LiveProgress, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def finished(self) -> bool:
        """True once the job reached an end state."""
        return self.status in FINISHED

    def on_progress(self, dataset: str, event: ProgressEvent) -> None:
        """Progress callback for ``ControlPlane.run_datasets``."""
        with self._lock:
            if self.status == "queued":
                self.status, self.started_at = "running", utc_now()
            # Reports send running totals (rows read so far, pages so far).
            self.rows = max(self.rows, event.rows)
            self.pages = max(self.pages, event.pages)
            if event.message:
                self.message = event.message
        self.live.feed(event)

    def update(self, **changes: Any) -> None:
        """Set fields under the lock."""
        with self._lock:
            for name, value in changes.items():
                setattr(self, name, value)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        with self._lock:
            return {
                "id": self.id,
                "dataset": self.dataset,
                "trigger": self.trigger,
                "attempt": self.attempt,
                "full": self.full,
                "status": self.status,
                "run_id": self.run_id,
                "error": self.error,
                "error_action": self.error_action,
                "progress": as_progress(self.stored_progress)
                or self.live.snapshot(final=self.status in FINISHED),
                "created_at": self.created_at.isoformat(),
                "started_at": self.started_at.isoformat() if self.started_at else None,
                "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            }
