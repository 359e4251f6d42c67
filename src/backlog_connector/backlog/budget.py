"""Pacing on Backlog's per-user rate limits, learnt from the ``X-RateLimit-*`` headers.

Backlog counts requests per user, per category, in a window that opens with the user's first
request and resets a minute later; ``X-RateLimit-Reset`` names the reset as a whole epoch second
(rounded up). A :class:`Budget` follows one (host, user, category); a :class:`BudgetRegistry`
hands out budgets and one lock per (host, user), so every client of one Backlog user in the
process shares them and sends one request at a time.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

READ, UPDATE, SEARCH, ICON = "read", "update", "search", "icon"
CATEGORIES = (READ, UPDATE, SEARCH, ICON)

_SEARCH_PATHS = frozenset({"/issues", "/issues/count", "/wikis", "/wikis/count"})
_ICON_PATH = re.compile(
    r"/(space/image|users/[^/]+/icon|projects/[^/]+/image|(groups|teams)/[^/]+/icon)"
)

#: a window-opening request sent this late in its second pins the window length to ~0.1 s
_WELL_PHASED = 0.9
#: how far before a whole second the aligned window-opening request is sent
_ALIGN_LEAD = 0.02
#: a limit this high is no limit (the emulator's "unlimited" plan); not worth aligning for
UNLIMITED = 100_000


def category_for(method: str, path: str) -> str:
    """Backlog's rate-limit category of a request (``path`` relative to ``/api/v2``)."""
    if method.upper() != "GET":
        return UPDATE
    bare = path.split("?", 1)[0].rstrip("/") or "/"
    if bare in _SEARCH_PATHS:
        return SEARCH
    if _ICON_PATH.fullmatch(bare):
        return ICON
    return READ


@dataclass(frozen=True, slots=True)
class RateLimitHeaders:
    """The three ``X-RateLimit-*`` values of one response."""

    limit: int
    remaining: int
    reset: int

    @classmethod
    def parse(cls, headers: object) -> RateLimitHeaders | None:
        """Read the headers from a mapping-like object; None when any is missing or malformed."""
        getter = getattr(headers, "get", None)
        if getter is None:
            return None
        try:
            return cls(
                int(getter("X-RateLimit-Limit")),
                int(getter("X-RateLimit-Remaining")),
                int(getter("X-RateLimit-Reset")),
            )
        except (TypeError, ValueError):
            return None


class Budget:
    """What is known of one rate-limit window: limit, remaining, reset, and the window length.

    Not thread-safe by itself: callers hold the (host, user) lock of the registry around
    :meth:`delay` and :meth:`observe`.

    Besides the reset header, the budget learns an upper bound of the window length from the
    requests that opened a window (the window cannot have opened before the request was sent),
    so it can resume up to a second before the rounded-up reset. That bound is tight only when
    the opening request left just before a whole second, so once the budget times one that way:
    at the start of a paged walk (:meth:`align_opening`, costs under a second) or else at its
    first wait for a reset. Clock skew with the server is covered by ``margin``; a 429 caused by
    a larger skew is still waited out by the client's retry.
    """

    def __init__(self, *, reserve: int | None = None, margin: float = 0.1) -> None:
        self.reserve = reserve
        self.margin = margin
        self.limit: int | None = None
        self.remaining: int | None = None
        self.reset: int | None = None
        self.window_bound: float = math.inf
        self._opened_at: float | None = None
        self._best_phase = 0.0
        self._aligned_once = False
        self._opening_aligned = False
        self._resume_at: float | None = None
        self._hold_until: float | None = None

    def _reserve(self) -> int:
        if self.reserve is not None:
            return self.reserve
        return max(1, (self.limit or 0) // 100)

    def _window_end(self) -> float | None:
        if self.reset is None:
            return None
        end = float(self.reset)
        if self._opened_at is not None and math.isfinite(self.window_bound):
            end = min(end, self._opened_at + self.window_bound)
        return end

    def align_opening(self, now: float) -> None:
        """Before a paged walk: once, hold the requests so that the one opening the next window
        leaves just before a whole second (no-op while a window is open or the length is known)."""
        if self._opening_aligned or self._best_phase >= _WELL_PHASED:
            return
        end = self._window_end()
        if self.remaining is not None and end is not None and now < end + self.margin:
            return
        self._opening_aligned = True
        target = math.ceil(now) - _ALIGN_LEAD
        self._hold_until = target if target > now else target + 1

    def delay(self, now: float) -> float:
        """Seconds to wait before sending the next request of this category (0: send now)."""
        if self._hold_until is not None:
            if now < self._hold_until:
                return self._hold_until - now
            self._hold_until = None
        end = self._window_end()
        if end is None or self.remaining is None:
            return 0.0
        if self._resume_at is not None:
            if now >= self._resume_at:
                self._forget_window()
                return 0.0
            return self._resume_at - now
        if now >= end + self.margin:
            self._forget_window()
            return 0.0
        if self.remaining > self._reserve():
            return 0.0
        resume = end + self.margin
        if not self._aligned_once and self._best_phase < _WELL_PHASED:
            self._aligned_once = True
            aligned = math.ceil(resume) - _ALIGN_LEAD
            if aligned >= resume:
                resume = aligned
        self._resume_at = resume
        return resume - now

    def observe(self, headers: RateLimitHeaders, sent_at: float, received_at: float) -> None:
        """Take the headers of a response to a request sent at ``sent_at`` (epoch seconds)."""
        if headers.remaining == headers.limit - 1:
            # this request opened the window, so the window began within [sent_at, received_at]
            bound = headers.reset - sent_at
            if bound > 0:
                self.window_bound = min(self.window_bound, bound)
                self._best_phase = max(self._best_phase, sent_at - math.floor(sent_at))
            self._opened_at = received_at
        elif self.reset is not None and headers.reset != self.reset:
            self._opened_at = None
        self.limit = headers.limit
        self.remaining = headers.remaining
        self.reset = headers.reset
        self._resume_at = None

    def note_sent(self) -> None:
        """Count a request as sent before its response arrives."""
        if self.remaining is not None:
            self.remaining = max(self.remaining - 1, 0)

    def _forget_window(self) -> None:
        self.remaining = None
        self._opened_at = None
        self._resume_at = None


@dataclass(frozen=True, slots=True)
class BudgetKey:
    """Identifies one budget."""

    host: str
    user: str
    category: str


class BudgetRegistry:
    """Budgets and per-user locks shared by every client of the process (see :func:`shared`).

    ``clock`` returns wall-clock epoch seconds and ``sleep`` waits; both are injectable for tests.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        margin: float = 0.1,
        reserve: int | None = None,
    ) -> None:
        self.clock = clock
        self.sleep = sleep
        self.margin = margin
        self.reserve = reserve
        self._budgets: dict[BudgetKey, Budget] = {}
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._guard = threading.Lock()

    def budget(self, host: str, user: str, category: str) -> Budget:
        """The budget of (host, Backlog user, category), created on first use."""
        key = BudgetKey(host, user, category)
        with self._guard:
            found = self._budgets.get(key)
            if found is None:
                found = self._budgets[key] = Budget(reserve=self.reserve, margin=self.margin)
            return found

    def limited(self, host: str, user: str) -> bool:
        """True when a budget of this user has a limit that pacing may reach (not "unlimited")."""
        with self._guard:
            return any(
                key.host == host
                and key.user == user
                and budget.limit is not None
                and budget.limit < UNLIMITED
                for key, budget in self._budgets.items()
            )

    def user_lock(self, host: str, user: str) -> threading.Lock:
        """The lock that serialises the requests of one Backlog user on one host."""
        with self._guard:
            lock = self._locks.get((host, user))
            if lock is None:
                lock = self._locks[(host, user)] = threading.Lock()
            return lock

    def __repr__(self) -> str:
        return f"BudgetRegistry({len(self._budgets)} budgets)"


_shared = BudgetRegistry()


def shared() -> BudgetRegistry:
    """The process-global registry that clients use unless given another one."""
    return _shared
