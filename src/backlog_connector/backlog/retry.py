"""Retrying transient failures: exponential backoff with full jitter, bounded in attempts and time.

In tests every backoff wait can be made zero: ``with zero_waits(): ...``,
``RetryPolicy(testing=True)`` or the environment variable
``BACKLOG_CONNECTOR_TESTING_ZERO_WAITS=1``. Waits for the rate-limit budget are not backoffs and
stay real (pacing must be testable).
"""

from __future__ import annotations

import os
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from backlog_connector.backlog.errors import InvalidOptionError, RetryLaterError

ZERO_WAITS_ENV = "BACKLOG_CONNECTOR_TESTING_ZERO_WAITS"
#: wait after a 429 that names no reset time (Backlog's window is one minute)
DEFAULT_RATE_LIMIT_WAIT = 60.0

_zero_waits_depth = 0
_zero_waits_lock = threading.Lock()


@contextmanager
def zero_waits() -> Iterator[None]:
    """Make every retry backoff in the process wait zero seconds while the block runs."""
    global _zero_waits_depth
    with _zero_waits_lock:
        _zero_waits_depth += 1
    try:
        yield
    finally:
        with _zero_waits_lock:
            _zero_waits_depth -= 1


def waits_are_zero() -> bool:
    """True inside :func:`zero_waits` or when ``BACKLOG_CONNECTOR_TESTING_ZERO_WAITS=1``."""
    return _zero_waits_depth > 0 or os.environ.get(ZERO_WAITS_ENV, "") not in ("", "0")


class RetryBudget:
    """The retries one run may spend over all its calls (thread-safe).

    A long run makes thousands of calls; bounding each call alone either gives up on one
    unlucky request (and loses the run's progress) or lets a storm of failures retry without
    end. With a budget, a call keeps its usual allowance (``RetryPolicy.max_attempts``) and may
    retry further, up to ``RetryPolicy.max_attempts_in_budget``, while the run's budget lasts.

    The budget grows by ``per_call`` retries with each call that succeeds (:meth:`earn`): a run
    of 20,000 issues under steady faults spends thousands of ordinary retries and must keep its
    room for the rare unlucky call, while a space that fails every call earns nothing.
    """

    def __init__(
        self, retries: int = 500, seconds: float = 1800.0, *, per_call: float = 0.5
    ) -> None:
        if retries < 0 or seconds < 0 or per_call < 0:
            raise InvalidOptionError(
                "RetryBudget needs retries >= 0, seconds >= 0 and per_call >= 0."
            )
        self.retries: float = retries
        self.seconds = seconds
        self.per_call = per_call
        self.spent_retries = 0
        self.spent_seconds = 0.0
        self._lock = threading.Lock()

    def earn(self) -> None:
        """A call succeeded: the budget grows by ``per_call`` retries."""
        with self._lock:
            self.retries += self.per_call

    def record(self, delay: float) -> None:
        """Count a retry made within a call's own allowance."""
        with self._lock:
            self.spent_retries += 1
            self.spent_seconds += delay

    def take(self, delay: float) -> bool:
        """Spend one retry of ``delay`` seconds beyond a call's allowance, if the budget has it."""
        with self._lock:
            if self.spent_retries >= self.retries or self.spent_seconds + delay > self.seconds:
                return False
            self.spent_retries += 1
            self.spent_seconds += delay
            return True


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a transient failure (a :class:`RetryLaterError`).

    ``max_attempts`` counts the first try. ``max_seconds`` bounds the time spent on one call
    (attempts plus backoff; waits for the rate-limit budget do not count). A server hint
    (``Retry-After``, ``X-RateLimit-Reset``) is honoured when it is longer than the backoff; if it
    would end beyond the time bound the call gives up at once. ``retry_writes`` allows retrying
    POST/PATCH/DELETE after failures where the server may have acted (5xx, resets); without it
    writes are retried only when the request surely was not processed (429, refused connection).
    """

    max_attempts: int = 6
    max_seconds: float = 300.0
    #: short waits: a 5xx or a reset is usually over at once (429s wait for their reset);
    #: the ceiling doubles per failure (20 ms, 40 ms, ... 8 s), the wait is uniform below it
    base_delay: float = 0.02
    max_delay: float = 8.0
    #: attempts of one call while the run's :class:`RetryBudget` pays for those past the usual
    max_attempts_in_budget: int = 20
    testing: bool = False
    retry_writes: bool = False
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise InvalidOptionError(
                f"RetryPolicy.max_attempts is {self.max_attempts}; use 1 or more."
            )
        if self.max_seconds <= 0 or self.base_delay < 0 or self.max_delay < 0:
            raise InvalidOptionError(
                "RetryPolicy needs max_seconds > 0 and non-negative delays; fix the values."
            )

    @property
    def zero(self) -> bool:
        """True when backoff waits are switched off (tests)."""
        return self.testing or waits_are_zero()

    def backoff(self, failures: int, hint: float | None = None) -> float:
        """Seconds to wait after the ``failures``-th failed attempt (1-based).

        Full jitter: uniform in ``[0, min(max_delay, base_delay * 2**(failures-1))]``; a server
        hint raises it to at least the hint.
        """
        if self.zero:
            return 0.0
        ceiling = min(self.max_delay, self.base_delay * 2 ** max(failures - 1, 0))
        delay = self.rng.uniform(0.0, ceiling)
        if hint is not None and hint > delay:
            delay = hint
        return delay

    def decide(
        self,
        error: RetryLaterError,
        failures: int,
        elapsed: float,
        budget: RetryBudget | None = None,
    ) -> float | None:
        """Seconds to wait before the next attempt, or None to give up.

        ``failures`` is the number of failed attempts so far, ``elapsed`` the seconds spent on
        the call (budget waits excluded). With the run's ``budget``, attempts past
        ``max_attempts`` (up to ``max_attempts_in_budget``) are paid from it.
        """
        ceiling = (
            self.max_attempts
            if budget is None
            else max(self.max_attempts, self.max_attempts_in_budget)
        )
        if failures >= ceiling:
            return None
        delay = self.backoff(failures, error.retry_after)
        if elapsed + delay > self.max_seconds:
            return None
        if budget is not None:
            if failures < self.max_attempts:
                budget.record(delay)
            elif not budget.take(delay):
                return None
        return delay
