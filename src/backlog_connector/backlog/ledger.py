"""A rate budget shared beyond one process: the interface the client asks.

In the embedded mode the client paces itself with the in-process :mod:`.budget` registry. When
many processes (on many machines) work for the same Backlog user, they must share one budget
per (host, user, category): a :class:`RateLedger`. The client asks it before every request
(:meth:`RateLedger.acquire`) and tells it the ``X-RateLimit-*`` headers of every answer
(:meth:`RateLedger.observe`), 429s included, so use outside the ledger is counted too.

This module holds only the contract; an implementation lives where the shared store is (the
control plane's PostgreSQL: ``datasets.ledger.PostgresRateLedger``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from backlog_connector.backlog.budget import RateLimitHeaders


class RateLedger(ABC):
    """One rate budget per (host, Backlog user, category) for every process that uses it.

    Both methods are called from client threads; implementations are thread-safe.
    """

    @abstractmethod
    def acquire(self, host: str, user: str, category: str) -> float:
        """Ask to send one request: ``0.0`` means granted (and counted); a positive number is
        how many seconds to wait before asking again."""

    @abstractmethod
    def observe(
        self, host: str, user: str, category: str, headers: RateLimitHeaders | None, status: int
    ) -> None:
        """Take the rate-limit headers of an answer (``status`` 0: none came, e.g. a network
        error). A 429 marks the window spent until its reset, unless its headers say requests
        remain (a spurious 429: counted as any answer, the client retries it after a backoff)."""
