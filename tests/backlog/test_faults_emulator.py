"""Transient failures: complete and exact reads under faults, bounded give-up when all fail."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from backlog_connector.backlog.errors import RetryLaterError
from backlog_connector.backlog.retry import RetryPolicy
from backlog_connector.backlog.stats import Event, Retrying
from backlog_connector.emulator import Emulator

from .conftest import MakeClient

#: every fault kind but "slow", which still answers correctly
FAILING = ("http_500", "http_502", "http_503", "reset", "truncated", "spurious_429")


def _all_issue_ids(client: object) -> list[int]:
    return [r["id"] for page in client.iter_offset("/issues") for r in page]  # type: ignore[attr-defined]


def test_fault_rate_02_read_is_complete_and_exact(
    make_emulator: Callable[..., Emulator], make_client: MakeClient
) -> None:
    emu = make_emulator(issues=1500, fault_rate=0.2, slow_seconds=0.05, fault_seed=7)
    events: list[Event] = []
    client = make_client(
        emu, retry=RetryPolicy(max_attempts=12, testing=True), listener=events.append
    )
    issues = [r for page in client.iter_offset("/issues") for r in page]
    comments_of = next(iter(emu.state.issues))
    comments = [
        r for p in client.iter_ids(f"/issues/{comments_of}/comments", page_size=2) for r in p
    ]
    emu.set_faults(rate=0.0)
    clean = make_client(emu)
    assert issues == [r for page in clean.iter_offset("/issues") for r in page]
    assert comments == [r for p in clean.iter_ids(f"/issues/{comments_of}/comments") for r in p]
    assert len(issues) == 1500
    assert client.stats.retries > 0
    assert client.stats.retries == sum(isinstance(e, Retrying) for e in events)


def test_every_request_failing_gives_up_within_the_time_bound(
    make_emulator: Callable[..., Emulator], make_client: MakeClient
) -> None:
    emu = make_emulator(issues=50, faults=dict.fromkeys(FAILING, 1 / len(FAILING)))
    client = make_client(
        emu, user_key="given", retry=RetryPolicy(max_attempts=5, max_seconds=5, testing=True)
    )
    started = time.monotonic()
    with pytest.raises(RetryLaterError) as info:
        _all_issue_ids(client)
    assert time.monotonic() - started < 5
    assert info.value.attempts == 5
    assert info.value.action == "retry_later"
    assert "after 5 attempts" in str(info.value)
    assert client.stats.requests["search"] == 5
    assert client.stats.retries == 4


def test_real_backoff_stays_within_max_seconds(
    make_emulator: Callable[..., Emulator], make_client: MakeClient
) -> None:
    emu = make_emulator(issues=50, faults={"http_503": 1.0})
    policy = RetryPolicy(max_attempts=100, max_seconds=1.5, base_delay=0.2, max_delay=0.4)
    client = make_client(emu, user_key="given", retry=policy)
    started = time.monotonic()
    with pytest.raises(RetryLaterError) as info:
        client.get("/space")
    # bounded by max_seconds (1.5 s), with slack for a loaded machine; 100 attempts at the
    # 0.4 s max_delay would take ~40 s
    assert time.monotonic() - started < 1.5 + 2.0
    assert 2 < info.value.attempts < 100  # bounded by time, not by attempts
    assert client.stats.backoff_seconds > 0


def test_slow_answers_time_out_and_count_as_failures(
    make_emulator: Callable[..., Emulator], make_client: MakeClient
) -> None:
    emu = make_emulator(issues=5, faults={"slow": 1.0}, slow_seconds=1.0)
    client = make_client(
        emu, user_key="given", timeout=0.2, retry=RetryPolicy(max_attempts=2, testing=True)
    )
    with pytest.raises(RetryLaterError, match="ReadTimeout"):
        client.get("/space")


def test_writes_are_not_retried_after_a_server_error(
    make_emulator: Callable[..., Emulator], make_client: MakeClient
) -> None:
    emu = make_emulator(issues=5, faults={"http_500": 1.0})
    client = make_client(emu, user_key="given", retry=RetryPolicy(max_attempts=5, testing=True))
    issue = next(iter(emu.state.issues))
    with pytest.raises(RetryLaterError):
        client.patch(f"/issues/{issue}", {"summary": "x"})
    assert client.stats.requests["update"] == 1


@pytest.mark.slow
def test_fault_rate_02_full_read_of_20000_issues(
    make_emulator: Callable[..., Emulator], make_client: MakeClient
) -> None:
    emu = make_emulator(projects=5, issues=20_000, fault_rate=0.2, slow_seconds=0.05)
    client = make_client(emu, user_key="given", retry=RetryPolicy(max_attempts=12, testing=True))
    ids = _all_issue_ids(client)
    assert len(ids) == len(set(ids)) == 20_000
    assert set(ids) == set(emu.state.issues)
    assert client.stats.retries > 0
