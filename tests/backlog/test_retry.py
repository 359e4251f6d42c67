"""Retry policy: full jitter, bounds, server hints, the zero-wait switch."""

from __future__ import annotations

import random

import pytest

from backlog_connector.backlog.errors import InvalidOptionError, ServerError
from backlog_connector.backlog.retry import RetryPolicy, waits_are_zero, zero_waits


def test_full_jitter_stays_within_the_exponential_ceiling() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=10.0, rng=random.Random(3))
    for failures, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 10.0), (9, 10.0)]:
        samples = [policy.backoff(failures) for _ in range(200)]
        assert all(0.0 <= s <= ceiling for s in samples)
        assert max(samples) > ceiling * 0.8  # jitter spreads over the whole range


def test_server_hint_raises_the_wait() -> None:
    policy = RetryPolicy(base_delay=0.1, max_delay=0.2, rng=random.Random(1))
    assert policy.backoff(1, hint=7.0) == 7.0


def test_attempts_and_time_bound_the_retries() -> None:
    policy = RetryPolicy(max_attempts=3, max_seconds=10.0, base_delay=0.0)
    err = ServerError("x")
    assert policy.decide(err, failures=1, elapsed=0.0) == 0.0
    assert policy.decide(err, failures=2, elapsed=0.0) == 0.0
    assert policy.decide(err, failures=3, elapsed=0.0) is None
    assert policy.decide(err, failures=1, elapsed=10.5) is None


def test_a_hint_beyond_the_time_bound_gives_up_at_once() -> None:
    policy = RetryPolicy(max_seconds=30.0)
    assert policy.decide(ServerError("x", retry_after=60.0), failures=1, elapsed=0.0) is None


def test_zero_wait_switches(monkeypatch: pytest.MonkeyPatch) -> None:
    policy = RetryPolicy(base_delay=5.0)
    assert not waits_are_zero()
    with zero_waits():
        assert policy.backoff(3, hint=60.0) == 0.0
    assert RetryPolicy(testing=True).backoff(3, hint=60.0) == 0.0
    monkeypatch.setenv("BACKLOG_CONNECTOR_TESTING_ZERO_WAITS", "1")
    assert policy.backoff(3) == 0.0


def test_bad_policies_are_refused() -> None:
    with pytest.raises(InvalidOptionError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(InvalidOptionError):
        RetryPolicy(max_seconds=0)


def test_a_run_budget_pays_for_attempts_past_the_usual_until_it_is_spent() -> None:
    from backlog_connector.backlog.retry import RetryBudget

    policy = RetryPolicy(max_attempts=3, max_attempts_in_budget=6, base_delay=0.0)
    budget = RetryBudget(retries=4, seconds=60.0)
    err = ServerError("x")
    assert [policy.decide(err, f, 0.0, budget) for f in (1, 2)] == [0.0, 0.0]  # usual allowance
    assert [policy.decide(err, f, 0.0, budget) for f in (3, 4)] == [0.0, 0.0]  # paid: 4 of 4
    assert policy.decide(err, 5, 0.0, budget) is None  # spent
    assert policy.decide(err, 1, 0.0, budget) == 0.0  # a new call still has its own allowance
    assert policy.decide(err, 3, 0.0, RetryBudget()) == 0.0
    assert policy.decide(err, 6, 0.0, RetryBudget()) is None  # the per-call ceiling holds


def test_a_run_budget_grows_with_the_calls_that_succeed() -> None:
    from backlog_connector.backlog.retry import RetryBudget

    policy = RetryPolicy(max_attempts=1, max_attempts_in_budget=5, base_delay=0.0)
    budget = RetryBudget(retries=0, seconds=60.0, per_call=0.5)
    err = ServerError("x")
    assert policy.decide(err, 1, 0.0, budget) is None  # nothing to pay with yet
    for _ in range(4):  # four calls succeeded: two retries earned
        budget.earn()
    assert [policy.decide(err, 1, 0.0, budget) for _ in range(3)] == [0.0, 0.0, None]
