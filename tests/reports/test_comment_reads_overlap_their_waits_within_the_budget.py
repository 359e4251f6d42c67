"""The per-issue comment reads of a long run overlap their retry waits, yet the client still
sends one request of the user at a time and never spends more than a window allows."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from backlog_connector.backlog.address import SpaceAddress
from backlog_connector.backlog.budget import BudgetRegistry
from backlog_connector.backlog.client import BacklogClient
from backlog_connector.backlog.credentials import ApiKey
from backlog_connector.backlog.retry import RetryBudget, RetryPolicy
from backlog_connector.emulator import Emulator
from backlog_connector.sinks.duckdb import DuckDBSink

from .conftest import sync, table_rows


class CountingTransport(httpx.BaseTransport):
    """A real HTTP transport that records how many requests were on the wire at once."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport(retries=0)
        self._lock = threading.Lock()
        self.on_wire = 0
        self.most_on_wire = 0
        self.threads: set[int] = set()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.on_wire += 1
            self.most_on_wire = max(self.most_on_wire, self.on_wire)
            self.threads.add(threading.get_ident())
        try:
            response = self._inner.handle_request(request)
            response.read()
            return response
        finally:
            with self._lock:
                self.on_wire -= 1

    def close(self) -> None:
        self._inner.close()


def _client(emu: Emulator, **kwargs: object) -> BacklogClient:
    return BacklogClient(
        SpaceAddress.parse_base_url(emu.base_url),
        ApiKey(emu.api_keys["admin"]),
        budgets=BudgetRegistry(),
        **kwargs,  # type: ignore[arg-type]
    )


def test_comment_reads_overlap_their_waits_one_request_at_a_time_within_the_windows(
    make_emulator: Callable[..., Emulator], tmp_path: Path
) -> None:
    # the Free plan's 60 reads per window, in 1-second windows: the run needs several windows
    emu = make_emulator(issues=120, projects=2, plan="free", minute_seconds=1.0, fault_seed=2)
    with _client(emu, retry=RetryPolicy(testing=True)) as clean_client:
        clean = DuckDBSink(tmp_path / "clean.duckdb")
        sync(clean_client, clean, "comments")
        expected = table_rows(clean, "comments", "id")
        clean.close()
    time.sleep(1.1)  # a fresh window for the run below
    emu.set_faults(http_503=0.3)
    transport = CountingTransport()
    # long backoffs (0.3 s, then 0.6 s ceilings): waited out one after the other they would
    # take longer than the whole run
    policy = RetryPolicy(base_delay=0.3, max_delay=0.6)
    with _client(emu, retry=policy, retry_budget=RetryBudget(), transport=transport) as client:
        sink = DuckDBSink(tmp_path / "faulty.duckdb")
        started = time.monotonic()
        sync(client, sink, "comments")
        elapsed = time.monotonic() - started
        got = table_rows(sink, "comments", "id")
        sink.close()
        backoff = client.stats.backoff_seconds
        assert client.stats.retries > 20  # the faults were real
        assert client.stats.rate_limited == 0
    assert got == expected
    assert len(transport.threads) > 1  # several issues were being read at once...
    assert transport.most_on_wire == 1  # ...but one request of the user was on the wire
    assert elapsed < backoff, (elapsed, backoff)  # the waits overlapped
    windows = [w for w in emu.limiter.windows() if w["category"] == "read"]
    assert len(windows) >= 3
    assert all(w["refused"] == 0 and int(w["used"]) <= int(w["limit"]) for w in windows)
