"""Pacing on a rate-limited emulator: concurrent readers of one user never get a 429."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx

from backlog_connector.backlog.client import BacklogClient
from backlog_connector.backlog.stats import Event, WaitingForBudget
from backlog_connector.emulator import Emulator

from .conftest import MakeClient, admin_keys


def test_three_readers_through_two_accounts_of_one_user_get_no_429(
    make_emulator: Callable[..., Emulator], make_client: MakeClient
) -> None:
    # free plan: 15 searches per window; 3 readers x 13 pages need three windows
    emu = make_emulator(issues=120, plan="free", minute_seconds=1.0)
    first, second = admin_keys(emu)[:2]
    events: list[Event] = []
    # budgets=None: the process-global registry, as in production
    accounts = [
        make_client(emu, key=first, account_name="one", budgets=None, listener=events.append),
        make_client(emu, key=second, account_name="two", budgets=None, listener=events.append),
    ]
    readers: list[BacklogClient] = [accounts[0], accounts[1], accounts[0]]

    def read_all(client: BacklogClient) -> list[int]:
        return [r["id"] for page in client.iter_offset("/issues", page_size=10) for r in page]

    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(read_all, readers))

    assert all(sorted(ids) == sorted(emu.state.issues) for ids in results)
    assert sum(c.stats.rate_limited for c in accounts) == 0
    assert sum(c.stats.requests["search"] for c in accounts) == 3 * 13
    assert accounts[0].user_key == accounts[1].user_key
    assert any(isinstance(e, WaitingForBudget) for e in events)
    assert sum(c.stats.wait_seconds for c in accounts) > 0


def test_a_429_anyway_is_waited_out_and_counted(
    make_emulator: Callable[..., Emulator], make_client: MakeClient
) -> None:
    # A long window, so that a loaded machine cannot let it end between the spending below
    # and our request (which must land in the spent window for exactly one 429).
    window = 10.0
    emu = make_emulator(issues=10, plan="free", minute_seconds=window)
    key = emu.api_keys["admin"]
    # another tool of the same user spends the search budget behind our back (15 per window;
    # it goes on until the emulator says none is left, should a window end while it spends)
    with httpx.Client(base_url=emu.base_url, headers={"Backlog-API-Key": key}) as other:
        for _ in range(45):
            spent = other.get("/api/v2/issues/count")
            assert spent.status_code == 200
            if spent.headers["X-RateLimit-Remaining"] == "0":
                break
        else:
            raise AssertionError("the search budget never ran out")
    client = make_client(emu, key=key, user_key="us")
    assert client.get("/issues/count")["count"] == 10
    assert client.stats.rate_limited == 1
    assert client.stats.retries == 1
    assert 0 < client.stats.backoff_seconds <= window + 1.0
