"""The rate budget of every Backlog user, shared by every process: a window ledger in the
control plane's PostgreSQL (table ``rate_windows``, one row per host/user/category).

Each grant and each answer is one short transaction on the row (``SELECT ... FOR UPDATE``), and
every time is the database's clock, so processes on machines with skewed clocks agree:

* the window is unknown or has ended (its ``X-RateLimit-Reset`` plus a margin has passed): grant
  one request, which opens the next window, and hold every other request until its answer tells
  the reset (or ``opening_lease`` seconds pass: a process that died with it must not stall all);
* otherwise grant while ``granted < limit - reserve``; then wait for the reset;
* every answer counts: ``granted = max(granted, limit - remaining + in_flight)``, so requests
  sent outside the ledger (the user's own scripts) are counted from the next answer on, and the
  ledger's own requests still on the way (``in_flight``) are not forgotten by that max;
* a 429 marks the window spent until its reset, unless its headers say requests remain (a
  spurious refusal, retried after a short backoff: it is counted as any answer).
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from backlog_connector.backlog.budget import RateLimitHeaders
from backlog_connector.backlog.ledger import RateLedger

log = logging.getLogger("backlog_connector.datasets")

_ENSURE = sa.text(
    "INSERT INTO rate_windows (host, user_key, category, granted, in_flight, limited_429)"
    " VALUES (:host, :user, :category, 0, 0, 0) ON CONFLICT DO NOTHING"
)
_LOCK = sa.text(
    "SELECT request_limit, granted, in_flight, window_reset, opening_until,"
    " extract(epoch from clock_timestamp())::float8 AS now"
    " FROM rate_windows WHERE host = :host AND user_key = :user AND category = :category"
    " FOR UPDATE"
)
_SAVE = sa.text(
    "UPDATE rate_windows SET request_limit = :limit, granted = :granted, in_flight = :in_flight,"
    " window_reset = :reset, opening_until = :opening, limited_429 = limited_429 + :limited,"
    " updated_at = now()"
    " WHERE host = :host AND user_key = :user AND category = :category"
)


class _Window:
    """The locked row, to change and save."""

    def __init__(self, conn: Connection, key: dict[str, str]) -> None:
        row: Any = conn.execute(_LOCK, key).first()
        if row is None:
            conn.execute(_ENSURE, key)
            row = conn.execute(_LOCK, key).one()
        self.conn, self.key = conn, key
        self.now = float(row.now)
        self.limit: int | None = row.request_limit
        self.granted = int(row.granted)
        self.in_flight = int(row.in_flight)
        self.reset: int | None = row.window_reset
        self.opening: float | None = row.opening_until

    def save(self, *, limited: bool = False) -> None:
        self.conn.execute(
            _SAVE,
            {**self.key, "limit": self.limit, "granted": self.granted,
             "in_flight": self.in_flight, "reset": self.reset, "opening": self.opening,
             "limited": int(limited)},
        )  # fmt: skip


class PostgresRateLedger(RateLedger):
    """The :class:`RateLedger` of the control plane's PostgreSQL (see the module docstring).

    ``reserve`` requests of each window are left unused (default: 2 % of the limit, at least
    two: room for requests sent outside the ledger that no answer has shown yet), ``margin``
    seconds are added to each reset, ``poll`` is the wait while another
    process's request opens a window.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        reserve: int | None = None,
        margin: float = 0.1,
        opening_lease: float = 10.0,
        poll: float = 0.05,
    ) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError("PostgresRateLedger needs the control plane in PostgreSQL")
        self.engine = engine
        self.reserve = reserve
        self.margin = margin
        self.opening_lease = opening_lease
        self.poll = poll

    def _reserve(self, limit: int) -> int:
        return self.reserve if self.reserve is not None else max(2, limit // 50)

    def acquire(self, host: str, user: str, category: str) -> float:
        """Grant one request now (0.0) or say how long to wait before asking again."""
        with self.engine.begin() as conn:
            w = _Window(conn, {"host": host, "user": user, "category": category})
            if w.reset is None or w.now >= w.reset + self.margin:
                if w.opening is not None and w.now < w.opening:
                    return min(self.poll, w.opening - w.now)
                # open the next window with this one request; its answer tells the reset
                w.granted, w.in_flight, w.reset = 1, 1, None
                w.opening = w.now + self.opening_lease
                w.save()
                return 0.0
            if w.limit is None or w.granted < w.limit - self._reserve(w.limit):
                w.granted += 1
                w.in_flight += 1
                w.save()
                return 0.0
            return max(self.poll, w.reset + self.margin - w.now)

    def observe(
        self, host: str, user: str, category: str, headers: RateLimitHeaders | None, status: int
    ) -> None:
        """Count what the answer says was used (see the module docstring)."""
        with self.engine.begin() as conn:
            w = _Window(conn, {"host": host, "user": user, "category": category})
            w.in_flight = max(0, w.in_flight - 1)
            if headers is None:
                if status == 429 and w.limit is not None:
                    w.granted = max(w.granted, w.limit)
                if w.reset is None:
                    w.opening = None  # the opening request got no answer: let another open it
                w.save(limited=status == 429)
                return
            used = headers.limit - headers.remaining + w.in_flight
            if w.reset is None or headers.reset > w.reset:
                # the answer's window is newer than the one known: adopt it
                w.reset, w.opening = headers.reset, None
                w.granted = max(w.granted, used)
            elif headers.reset == w.reset:
                w.granted = max(w.granted, used)
            # else: a late answer from a window that has ended; nothing to learn
            w.limit = headers.limit
            if status == 429 and headers.remaining == 0:  # spurious ones (some left): counted
                w.granted = max(w.granted, headers.limit)
                log.warning("429 from %s for %s (%s): window marked spent until %s",
                            host, user, category, w.reset)  # fmt: skip
            w.save(limited=status == 429)

    def __repr__(self) -> str:
        return "PostgresRateLedger()"
