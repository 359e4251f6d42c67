"""When a client's request may leave: the in-process budgets, or a shared :class:`RateLedger`.

A :class:`Pacer` serves one client. Without a ledger it follows :mod:`.budget` (waits for the
reset once the reserve is reached); with one, every request is granted by the ledger, which
every process of that user shares. Either way a process sends one request of a Backlog user at
a time (the registry's per-user lock), however many threads of its clients call.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from backlog_connector.backlog.budget import BudgetRegistry, RateLimitHeaders, category_for
from backlog_connector.backlog.ledger import RateLedger

#: sends the request; returns the response and its duration in seconds
Send = Callable[[], tuple[httpx.Response, float]]
#: called with the seconds to wait for the budget; waits (and may raise CancelledError)
Wait = Callable[[float], None]


class Pacer:
    """Paces the requests of one client to one host (``host`` is the space's FQDN)."""

    def __init__(self, budgets: BudgetRegistry, ledger: RateLedger | None, host: str) -> None:
        self.budgets = budgets
        self.ledger = ledger
        self.host = host

    def send(
        self, user: str, category: str, send: Send, wait: Wait
    ) -> tuple[httpx.Response, float]:
        """Send one request of ``user`` in ``category`` once its budget allows."""
        if self.ledger is not None:
            return self._send_granted(self.ledger, user, category, send, wait)
        lock = self.budgets.user_lock(self.host, user)
        budget = self.budgets.budget(self.host, user, category)
        while True:
            with lock:
                delay = budget.delay(self.budgets.clock())
                if delay <= 0:
                    budget.note_sent()
                    sent_at = self.budgets.clock()
                    response, seconds = send()
                    headers = RateLimitHeaders.parse(response.headers)
                    if headers is not None and response.status_code != 429:
                        budget.observe(headers, sent_at, self.budgets.clock())
                    return response, seconds
            wait(delay)

    def _send_granted(
        self, ledger: RateLedger, user: str, category: str, send: Send, wait: Wait
    ) -> tuple[httpx.Response, float]:
        # one request of the user at a time from this process, as without a ledger (Backlog
        # asks for serial requests); the ledger grants across processes
        lock = self.budgets.user_lock(self.host, user)
        while True:
            delay = ledger.acquire(self.host, user, category)
            if delay <= 0:
                break
            wait(delay)
        try:
            with lock:
                response, seconds = send()
        except BaseException:
            ledger.observe(self.host, user, category, None, 0)
            raise
        ledger.observe(
            self.host, user, category, RateLimitHeaders.parse(response.headers),
            response.status_code,
        )  # fmt: skip
        return response, seconds

    def adopt(
        self, user: str, headers: RateLimitHeaders, sent_at: float, received_at: float
    ) -> None:
        """Feed the headers of the unpaced ``/users/myself`` call that named the user (a ledger
        needs none: it counts that request from the next answer, as any use outside it)."""
        if self.ledger is not None:
            return
        category = category_for("GET", "/users/myself")
        with self.budgets.user_lock(self.host, user):
            self.budgets.budget(self.host, user, category).observe(headers, sent_at, received_at)

    def align_walk(self, user: str, path: str) -> None:
        """Before a paged walk (in-process budgets only; a ledger needs no alignment)."""
        if self.ledger is not None or not self.budgets.limited(self.host, user):
            return
        with self.budgets.user_lock(self.host, user):
            self.budgets.budget(self.host, user, category_for("GET", path)).align_opening(
                self.budgets.clock()
            )
