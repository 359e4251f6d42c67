"""A 429 whose headers say requests remain is not a spent window: the shared ledger counts it
as any answer instead of stopping every process of the user until the reset."""

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
    with scratch_database("ledger429") as url:
        sa_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        ControlPlane.open(settings=Settings(home=tmp_path, database_url=sa_url)).close()
        eng = sa.create_engine(sa_url)
        yield eng
        eng.dispose()


def test_a_spurious_429_with_requests_left_does_not_stop_the_ledger(engine: sa.Engine) -> None:
    ledger = PostgresRateLedger(engine, reserve=1)
    reset = math.ceil(time.time() + 30)
    assert ledger.acquire(HOST, USER, "read") == 0.0
    ledger.observe(HOST, USER, "read", RateLimitHeaders(100, 99, reset), 200)
    assert ledger.acquire(HOST, USER, "read") == 0.0
    ledger.observe(HOST, USER, "read", RateLimitHeaders(100, 98, reset), 429)
    assert ledger.acquire(HOST, USER, "read") == 0.0  # granted at once, not in 30 s
    with engine.connect() as conn:
        refused = conn.execute(sa.text("select limited_429 from rate_windows")).scalar_one()
    assert refused == 1  # still counted as a 429
    # a 429 that says none remain is real exhaustion: wait for the reset
    ledger.observe(HOST, USER, "read", RateLimitHeaders(100, 0, reset), 429)
    assert ledger.acquire(HOST, USER, "read") > 20
