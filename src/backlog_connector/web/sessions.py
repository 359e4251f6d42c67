"""Server-side sign-in sessions and sign-in throttling.

The session cookie (signed by ``SessionMiddleware``) carries only a random session id; the id
is valid while this registry holds it. Sign-out removes it, so a copy of the cookie taken before
sign-out is worthless afterwards, and sessions end after ``SESSION_MAX_AGE`` whatever the
cookie says. The registry lives in the ``serve`` process: a restart signs everyone out.

Throttling counts failed sign-ins per client address: after ``attempts`` failures the client
must wait 1 s, then 2, 4, ... up to 15 minutes after each further failure; while it waits, even
the right password is refused (429 with Retry-After) without being checked. A success clears
the count.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

#: the longest wait imposed on a client that keeps failing
MAX_LOCK_SECONDS = 900.0
#: clients remembered at most (the oldest are forgotten first)
MAX_CLIENTS = 10_000


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


class SessionRegistry:
    """The valid session ids (kept as digests), each with its expiry."""

    def __init__(self, max_age: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_age = max_age
        self.clock = clock
        self._expiry: dict[str, float] = {}
        self._lock = threading.Lock()

    def open(self) -> str:
        """A new session id, valid until revoked or ``max_age`` seconds from now."""
        session_id = secrets.token_urlsafe(32)
        now = self.clock()
        with self._lock:
            self._expiry = {k: v for k, v in self._expiry.items() if v > now}
            self._expiry[_digest(session_id)] = now + self.max_age
        return session_id

    def is_valid(self, session_id: object) -> bool:
        """Whether ``session_id`` names a session that was opened, not revoked, not expired."""
        if not isinstance(session_id, str) or not session_id:
            return False
        with self._lock:
            expiry = self._expiry.get(_digest(session_id))
        return expiry is not None and expiry > self.clock()

    def revoke(self, session_id: object) -> None:
        """End the session (sign-out)."""
        if isinstance(session_id, str):
            with self._lock:
                self._expiry.pop(_digest(session_id), None)


@dataclass
class _Failures:
    count: int = 0
    locked_until: float = 0.0


class SignInThrottle:
    """Failed sign-ins per client; see the module docstring."""

    def __init__(self, attempts: int = 5, clock: Callable[[], float] = time.monotonic) -> None:
        self.attempts = attempts
        self.clock = clock
        self._clients: dict[str, _Failures] = {}
        self._lock = threading.Lock()

    def wait_seconds(self, client: str) -> float:
        """How long ``client`` must wait before its next attempt is checked (0: go ahead)."""
        with self._lock:
            failures = self._clients.get(client)
            return max(0.0, failures.locked_until - self.clock()) if failures else 0.0

    def failed(self, client: str) -> float:
        """Count a failure; return the wait it imposes (0 while under the allowance)."""
        with self._lock:
            failures = self._clients.pop(client, None) or _Failures()
            self._clients[client] = failures  # now the newest
            while len(self._clients) > MAX_CLIENTS:
                del self._clients[next(iter(self._clients))]
            failures.count += 1
            over = failures.count - self.attempts
            if over < 0:
                return 0.0
            wait = min(MAX_LOCK_SECONDS, 2.0**over)
            failures.locked_until = self.clock() + wait
            return wait

    def succeeded(self, client: str) -> None:
        """Forget the client's failures."""
        with self._lock:
            self._clients.pop(client, None)
