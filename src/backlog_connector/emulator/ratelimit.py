"""Per-user, per-category rate limits with Backlog's fixed windows (backlog-api.md §3)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    """The state of one user's window in one category, as the headers report it."""

    limit: int
    remaining: int
    reset: int  # epoch second at which the window ends, rounded up
    allowed: bool = True

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }


class RateLimiter:
    """A window opens at a user's first request in a category and lasts ``window`` seconds.

    Within it the first ``limit`` requests pass and the rest are refused (429, code 13); every
    key of one user shares the counters because they are keyed by user id.
    """

    def __init__(
        self,
        limits: dict[str, int],
        window: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limits = limits
        self.window = window
        self.clock = clock
        self._windows: dict[tuple[int, str], list[float]] = {}  # (user, category) -> [start, used]
        #: every window opened so far, oldest first: [user, category, start, used, refused]
        self.history: list[list[float | int | str]] = []
        self._lock = threading.Lock()

    def hit(self, user_id: int, category: str) -> Budget:
        """Count one request; ``allowed`` is False once the window's budget is spent."""
        now = self.clock()
        limit = self.limits[category]
        with self._lock:
            window = self._windows.get((user_id, category))
            if window is None or now >= window[0] + self.window:
                window = [now, 0, 0]
                self._windows[(user_id, category)] = window
                self.history.append([user_id, category, now, 0, 0])
                window.append(len(self.history) - 1)
            record = self.history[int(window[3])]
            reset = math.ceil(window[0] + self.window)
            if window[1] >= limit:
                record[4] = int(record[4]) + 1
                return Budget(limit, 0, reset, allowed=False)
            window[1] += 1
            record[3] = int(window[1])
            return Budget(limit, limit - int(window[1]), reset)

    def windows(self) -> list[dict[str, float | int | str]]:
        """Every window opened so far: user id, category, start (epoch s), requests allowed
        (``used``) and refused with a 429 (``refused``), oldest first."""
        with self._lock:
            return [
                {"user_id": u, "category": c, "start": t, "used": n, "refused": r,
                 "limit": self.limits[str(c)], "seconds": self.window}
                for u, c, t, n, r in self.history
            ]  # fmt: skip

    def peek(self, user_id: int, category: str) -> Budget:
        """The budget without counting a request."""
        now = self.clock()
        limit = self.limits[category]
        with self._lock:
            window = self._windows.get((user_id, category))
            if window is None or now >= window[0] + self.window:
                # no window open: Backlog reports the reset of an unused category as now
                return Budget(limit, limit, math.ceil(now))
            return Budget(limit, limit - int(window[1]), math.ceil(window[0] + self.window))
