"""Accounting of a client's requests, and the progress events it sends to a listener."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RequestStats:
    """What a client did, for a run to report. Thread-safe updates through the ``add_*`` methods.

    ``requests`` counts every request sent (retries included) per rate-limit category;
    ``retries`` the repeated attempts; ``rate_limited`` the 429 answers; ``wait_seconds`` the
    time spent waiting for the rate-limit budget; ``backoff_seconds`` the time between retries;
    ``bytes_received`` the response bodies; ``last_remaining``/``last_reset`` the latest
    ``X-RateLimit-Remaining``/``-Reset`` per category; ``cut_answers`` the GETs sent again because
    their answer took far longer than the space's recent answers (:mod:`.deadlines`).
    """

    requests: dict[str, int] = field(default_factory=dict)
    retries: int = 0
    rate_limited: int = 0
    wait_seconds: float = 0.0
    backoff_seconds: float = 0.0
    bytes_received: int = 0
    cut_answers: int = 0
    last_remaining: dict[str, int] = field(default_factory=dict)
    last_reset: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def total_requests(self) -> int:
        """All requests sent, every category."""
        return sum(self.requests.values())

    def add_request(self, category: str, received: int) -> None:
        """Count one request and the bytes of its response."""
        with self._lock:
            self.requests[category] = self.requests.get(category, 0) + 1
            self.bytes_received += received

    def add_rate_headers(self, category: str, remaining: int, reset: int) -> None:
        """Remember the latest rate-limit headers of a category."""
        with self._lock:
            self.last_remaining[category] = remaining
            self.last_reset[category] = reset

    def add_retry(self, backoff: float) -> None:
        """Count a retry and its wait."""
        with self._lock:
            self.retries += 1
            self.backoff_seconds += backoff

    def add_rate_limited(self) -> None:
        """Count a 429 answer."""
        with self._lock:
            self.rate_limited += 1

    def add_cut(self) -> None:
        """Count an attempt given up at its learnt deadline (it is sent again)."""
        with self._lock:
            self.cut_answers += 1

    def add_wait(self, seconds: float) -> None:
        """Count time spent waiting for the rate-limit budget."""
        with self._lock:
            self.wait_seconds += seconds

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        with self._lock:
            return {
                "requests": dict(self.requests),
                "total_requests": sum(self.requests.values()),
                "retries": self.retries,
                "rate_limited": self.rate_limited,
                "wait_seconds": round(self.wait_seconds, 3),
                "backoff_seconds": round(self.backoff_seconds, 3),
                "bytes_received": self.bytes_received,
                "cut_answers": self.cut_answers,
                "last_remaining": dict(self.last_remaining),
                "last_reset": dict(self.last_reset),
            }


@dataclass(frozen=True, slots=True)
class RequestDone:
    """A response arrived (any status). ``url`` is redacted; ``remaining``/``reset`` are the
    rate-limit headers when the response had them."""

    method: str
    url: str
    category: str
    status: int
    seconds: float
    bytes: int
    remaining: int | None = None
    reset: int | None = None


@dataclass(frozen=True, slots=True)
class WaitingForBudget:
    """The client waits ``seconds`` for the rate-limit window of ``category`` to reset."""

    category: str
    seconds: float


@dataclass(frozen=True, slots=True)
class Retrying:
    """Attempt ``attempt`` failed with ``error`` (redacted); next one after ``delay`` s."""

    attempt: int
    delay: float
    error: str


Event = RequestDone | WaitingForBudget | Retrying
Listener = Callable[[Event], None]
