"""Read deadlines for idempotent requests, learnt from how fast the space answers.

A long run makes thousands of requests one after the other (Backlog asks for one request of a
user at a time), so one answer that hangs for a second stalls the whole run for that second.
Most such answers are a hiccup of one request, not of the space: the same request sent again
answers at the usual speed. So a GET waits for its answer only a few times as long as the
space's recent answers to that kind of request took (:meth:`AnswerDeadlines.deadline`), then
is sent again; each further attempt waits four times as long, and from the fourth attempt on
the client's full timeout applies, so a request that is really slow (a large page, a loaded
space) still gets its answer. Writes are never cut short (the server may be applying them).

The learning is per request shape (category and path with numbers folded, e.g.
``read /issues/:n/comments``) and ignores answers that were errors or cut short. A shape's
first ``WARM_UP`` answers are always waited for (a short walk is never cut).
"""

from __future__ import annotations

import re
import threading
from collections import deque

#: answers of one shape remembered (the newest)
SAMPLES = 200
#: answers of one shape needed before its requests get a deadline (with few, the percentile is
#: about the slowest of them)
WARM_UP = 10
#: the deadline of a first attempt: this many times the 95th percentile of recent answers...
MULTIPLIER = 4.0
#: ...but never less than this many seconds (a loaded machine's scheduling jitter)
FLOOR = 0.025
#: each further attempt waits this many times longer
GROWTH = 4.0
#: cut attempts of one call after which it waits the client's full timeout
CUT_ATTEMPTS = 3

_NUMBER = re.compile(r"/\d+(?=/|$)")


def shape_of(category: str, path: str) -> str:
    """The request shape whose answer times are learnt together."""
    return f"{category} {_NUMBER.sub('/:n', path)}"


class AnswerDeadlines:
    """Answer times per request shape, and the read deadline they give an attempt.

    Thread-safe. ``timeout`` is the client's full timeout (no deadline exceeds it).
    """

    def __init__(self, timeout: float, *, floor: float = FLOOR) -> None:
        self.timeout = timeout
        self.floor = floor
        self._times: dict[str, deque[float]] = {}
        self._cached: dict[str, float] = {}
        self._seen: dict[str, int] = {}
        self._lock = threading.Lock()

    def record(self, shape: str, seconds: float) -> None:
        """Remember how long a good answer of ``shape`` took."""
        with self._lock:
            times = self._times.get(shape)
            if times is None:
                times = self._times[shape] = deque(maxlen=SAMPLES)
            times.append(seconds)
            seen = self._seen[shape] = self._seen.get(shape, 0) + 1
            if seen >= WARM_UP and seen % 5 == 0:
                ordered = sorted(times)
                self._cached[shape] = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]

    def deadline(self, shape: str, attempt: int) -> float | None:
        """Seconds the ``attempt``-th wait (1-based: cut attempts so far + 1) of a GET of
        ``shape`` lasts for its answer; None: the client's full timeout (not enough answers
        seen yet, or cut often enough)."""
        if attempt > CUT_ATTEMPTS:
            return None
        with self._lock:
            p95 = self._cached.get(shape)
        if p95 is None:
            return None
        seconds = max(self.floor, MULTIPLIER * p95) * GROWTH ** (attempt - 1)
        return seconds if seconds < self.timeout else None
