"""Faults that used to stall a whole run: a 429 that is not the budget running out, and an
answer that hangs. Neither may cost the run more than a short retry; real exhaustion and a
really slow space still get the patience they need."""

from __future__ import annotations

import time
from collections.abc import Callable

from backlog_connector.backlog.retry import RetryBudget
from backlog_connector.emulator import Emulator

from .conftest import MakeClient

COMMENTS = "/issues/{}/comments"


def _issue_ids(emu: Emulator, n: int) -> list[int]:
    return sorted(emu.state.issues)[:n]


def test_a_spurious_429_with_budget_left_is_retried_at_once_not_waited_out(
    make_emulator: Callable[..., Emulator], make_client: MakeClient
) -> None:
    emu = make_emulator(issues=40, plan="paid", fault_seed=3)
    clean = make_client(emu, user_key="clean")
    ids = _issue_ids(emu, 40)
    expected = [clean.get(COMMENTS.format(i)) for i in ids]
    emu.set_faults(spurious_429=0.3)
    client = make_client(emu, user_key="us", retry_budget=RetryBudget())
    started = time.monotonic()
    answers = [client.get(COMMENTS.format(i)) for i in ids]
    elapsed = time.monotonic() - started
    assert answers == expected
    assert client.stats.rate_limited >= 5  # the faults were real
    # each used to wait for a reset (1-2 s each: 10+ s in all); a short backoff is milliseconds
    assert elapsed < 4.0, elapsed
    assert client.stats.wait_seconds == 0  # no wait for the budget: it was never spent
    assert client.stats.backoff_seconds < 1.0


def test_a_slow_answer_is_cut_short_and_sent_again(
    make_emulator: Callable[..., Emulator], make_client: MakeClient
) -> None:
    emu = make_emulator(issues=60, fault_seed=5)
    ids = _issue_ids(emu, 60)
    client = make_client(emu, user_key="us", retry_budget=RetryBudget())
    expected = [client.get(COMMENTS.format(i)) for i in ids[:30]]  # learns the answer times
    emu.set_faults(slow=0.2, slow_seconds=3.0)
    started = time.monotonic()
    answers = [client.get(COMMENTS.format(i)) for i in ids[:30]]
    elapsed = time.monotonic() - started
    assert answers == expected
    assert client.stats.cut_answers >= 3  # the faults were real
    # waiting out each slow answer takes 3 s; a cut costs a small fraction of that
    assert elapsed < 3.0 * client.stats.cut_answers / 4, elapsed


def test_a_space_that_is_slow_every_time_still_answers(
    make_emulator: Callable[..., Emulator], make_client: MakeClient
) -> None:
    emu = make_emulator(issues=30)
    ids = _issue_ids(emu, 25)
    client = make_client(emu, user_key="us")
    for i in ids:
        client.get(COMMENTS.format(i))
    # slower than the third cut's deadline even on a loaded machine (16 x 4 x p95 of the above)
    emu.set_faults(slow=1.0, slow_seconds=4.0)
    started = time.monotonic()
    assert client.get(COMMENTS.format(ids[0])) is not None
    # three cut attempts, then the fourth waits for the answer under the full timeout
    assert client.stats.cut_answers == 3
    assert client.stats.retries == 3
    assert 4.0 <= time.monotonic() - started < 20.0


def test_writes_are_never_cut_short(
    make_emulator: Callable[..., Emulator], make_client: MakeClient
) -> None:
    emu = make_emulator(issues=30)
    client = make_client(emu, user_key="us")
    for _ in range(25):
        client.get("/issues/1/comments")
    emu.set_faults(slow=1.0, slow_seconds=0.5)
    comment = client.post("/issues/1/comments", data={"content": "slow but applied once"})
    emu.set_faults(rate=0.0)
    assert client.stats.cut_answers == 0
    contents = [c["content"] for c in client.get("/issues/1/comments", {"count": 100})]
    assert contents.count("slow but applied once") == 1
    assert comment["content"] == "slow but applied once"
