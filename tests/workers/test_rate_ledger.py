"""The window ledger in a real PostgreSQL: what it grants, and how answers feed it."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from backlog_connector.backlog.budget import RateLimitHeaders
from backlog_connector.datasets.ledger import PostgresRateLedger
from backlog_connector.datasets.service import ControlPlane
from backlog_connector.settings import Settings
from pgtools import scratch_database

HOST, USER = "acme.backlog.com", "acme.backlog.com:1"


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[sa.Engine]:
    with scratch_database("ledger") as url:
        sa_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        ControlPlane.open(settings=Settings(home=tmp_path, database_url=sa_url)).close()
        eng = sa.create_engine(sa_url)
        yield eng
        eng.dispose()


def _headers(limit: int, remaining: int, reset: float) -> RateLimitHeaders:
    return RateLimitHeaders(limit, remaining, math.ceil(reset))


def test_an_unknown_window_grants_one_request_until_its_answer_tells_the_reset(
    engine: sa.Engine,
) -> None:
    ledger = PostgresRateLedger(engine, reserve=1)
    assert ledger.acquire(HOST, USER, "search") == 0.0
    assert ledger.acquire(HOST, USER, "search") > 0  # the opening request is still out
    ledger.observe(HOST, USER, "search", _headers(5, 4, time.time() + 30), 200)
    grants = [ledger.acquire(HOST, USER, "search") for _ in range(5)]
    # limit 5, reserve 1: the opening request and three more
    assert grants[:3] == [0.0, 0.0, 0.0]
    assert min(grants[3:]) > 20  # wait for the reset


def test_use_outside_the_ledger_is_counted_from_the_next_answer(engine: sa.Engine) -> None:
    ledger = PostgresRateLedger(engine, reserve=1)
    reset = time.time() + 30
    assert ledger.acquire(HOST, USER, "read") == 0.0
    # someone else's script had already used 6 of 10 in this window
    ledger.observe(HOST, USER, "read", _headers(10, 3, reset), 200)
    granted = 0
    while ledger.acquire(HOST, USER, "read") == 0.0:
        granted += 1
        assert granted < 20
    assert granted == 2  # 7 used + 2 = 9 = limit - reserve


def test_a_429_marks_the_window_spent_until_its_reset(engine: sa.Engine) -> None:
    ledger = PostgresRateLedger(engine, reserve=1, margin=0.1)
    reset = time.time() + 2
    assert ledger.acquire(HOST, USER, "read") == 0.0
    ledger.observe(HOST, USER, "read", _headers(100, 99, reset), 200)
    assert ledger.acquire(HOST, USER, "read") == 0.0
    ledger.observe(HOST, USER, "read", _headers(100, 0, reset), 429)
    wait = ledger.acquire(HOST, USER, "read")
    assert 0 < wait <= 3.2
    time.sleep(wait)
    assert ledger.acquire(HOST, USER, "read") == 0.0  # the next window opens
    with engine.connect() as conn:
        spent = conn.execute(sa.text("select limited_429 from rate_windows")).scalar_one()
    assert spent == 1


def test_an_opening_request_without_an_answer_lets_another_open_the_window(
    engine: sa.Engine,
) -> None:
    ledger = PostgresRateLedger(engine)
    assert ledger.acquire(HOST, USER, "read") == 0.0
    ledger.observe(HOST, USER, "read", None, 0)  # network error: no headers came
    assert ledger.acquire(HOST, USER, "read") == 0.0


def test_users_and_categories_have_their_own_windows(engine: sa.Engine) -> None:
    ledger = PostgresRateLedger(engine)
    assert ledger.acquire(HOST, USER, "read") == 0.0
    assert ledger.acquire(HOST, USER, "search") == 0.0
    assert ledger.acquire(HOST, "acme.backlog.com:2", "read") == 0.0
    assert ledger.acquire("other.backlog.jp", USER, "read") == 0.0
