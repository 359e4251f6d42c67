"""Client edge cases through an injected httpx transport (unit level)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from backlog_connector.backlog.address import SpaceAddress
from backlog_connector.backlog.budget import BudgetRegistry
from backlog_connector.backlog.client import BacklogClient
from backlog_connector.backlog.credentials import ApiKey
from backlog_connector.backlog.errors import (
    BadResponseError,
    CancelledError,
    RateLimitedError,
    ServerError,
    UnexpectedShapeError,
)
from backlog_connector.backlog.retry import RetryPolicy
from backlog_connector.backlog.stats import Event

KEY = "unit-test-key-0123456789"
Handler = Callable[[httpx.Request], httpx.Response]


def _client(handler: Handler, **kwargs: object) -> BacklogClient:
    kwargs.setdefault("retry", RetryPolicy(testing=True))
    kwargs.setdefault("budgets", BudgetRegistry())
    return BacklogClient(
        SpaceAddress.parse_fqdn("acme.backlog.com"),
        ApiKey(KEY, in_query=bool(kwargs.pop("in_query", False))),
        account_name="acme",
        user_key="acme.backlog.com:1",
        transport=httpx.MockTransport(handler),
        **kwargs,  # type: ignore[arg-type]
    )


def _replies(*responses: httpx.Response) -> tuple[Handler, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(responses)

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return queue.pop(0)

    return handle, seen


def test_truncated_body_is_retried_then_read() -> None:
    handler, seen = _replies(
        httpx.Response(200, content=b'{"spaceKey": "AC'),
        httpx.Response(200, json={"spaceKey": "ACME"}),
    )
    client = _client(handler)
    assert client.get("/space") == {"spaceKey": "ACME"}
    assert len(seen) == 2
    assert client.stats.retries == 1


def test_non_json_answers_give_up_as_bad_response_with_attempts() -> None:
    handler, _ = _replies(*[httpx.Response(200, text="<html>hi</html>") for _ in range(3)])
    client = _client(handler, retry=RetryPolicy(max_attempts=3, testing=True))
    with pytest.raises(BadResponseError) as info:
        client.get("/space")
    assert info.value.attempts == 3


def test_a_retry_after_beyond_the_time_bound_gives_up_at_once() -> None:
    handler, seen = _replies(httpx.Response(503, headers={"Retry-After": "120"}, text="busy"))
    client = _client(handler, retry=RetryPolicy(max_seconds=30))
    started = time.monotonic()
    with pytest.raises(ServerError) as info:
        client.get("/space")
    assert time.monotonic() - started < 1
    assert info.value.retry_after == 120
    assert len(seen) == 1


def test_a_429_without_headers_means_wait_a_minute() -> None:
    body = b'{"errors":[{"message":"Too many.","code":13,"moreInfo":""}]}'
    handler, _ = _replies(httpx.Response(429, content=body))
    client = _client(handler, retry=RetryPolicy(max_seconds=30))
    with pytest.raises(RateLimitedError) as info:
        client.get("/issues")
    assert info.value.retry_after == 60.0
    assert client.stats.rate_limited == 1


def test_key_in_header_or_query_never_both() -> None:
    handler, seen = _replies(httpx.Response(200, json={}), httpx.Response(200, json={}))
    _client(handler).get("/space")
    _client(handler, in_query=True).get("/space")
    header, query = seen
    assert header.headers["Backlog-API-Key"] == KEY
    assert "apiKey" not in header.url.params
    assert query.url.params["apiKey"] == KEY
    assert "Backlog-API-Key" not in query.headers


def test_a_failing_listener_does_not_fail_the_request() -> None:
    def broken(event: Event) -> None:
        raise RuntimeError("ui bug")

    handler, _ = _replies(httpx.Response(200, json={"ok": True}))
    assert _client(handler, listener=broken).get("/space") == {"ok": True}


def test_paginate_refuses_a_non_list_page_naming_the_endpoint() -> None:
    handler, _ = _replies(httpx.Response(200, json={"not": "a list"}))
    with pytest.raises(UnexpectedShapeError, match=r"GET /issues .* JSON list") as caught:
        list(_client(handler).iter_offset("/issues"))
    assert caught.value.path == "/issues"
    assert caught.value.action == "give_up"


def test_paginate_refuses_a_page_whose_items_are_not_objects() -> None:
    handler, _ = _replies(httpx.Response(200, json=[{"id": 1}, 2]))
    with pytest.raises(UnexpectedShapeError, match=r"GET /teams .*item 1 is a int"):
        list(_client(handler).iter_offset("/teams"))


def test_requests_of_one_user_go_one_at_a_time() -> None:
    in_flight = 0
    most = 0
    lock = threading.Lock()

    def slow(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, most
        with lock:
            in_flight += 1
            most = max(most, in_flight)
        time.sleep(0.01)
        with lock:
            in_flight -= 1
        return httpx.Response(200, json={"ok": True})

    registry = BudgetRegistry()
    clients = [_client(slow, budgets=registry) for _ in range(2)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda i: clients[i % 2].get("/space"), range(20)))
    assert most == 1


@pytest.mark.parametrize(
    ("header", "expected"),
    [("7", 7.0), ("soon", None), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)],
)
def test_retry_after_in_seconds_dates_or_garbage(header: str, expected: float | None) -> None:
    handler, _ = _replies(httpx.Response(503, headers={"Retry-After": header}, text="busy"))
    client = _client(handler, retry=RetryPolicy(max_attempts=1))
    with pytest.raises(ServerError) as info:
        client.get("/space")
    assert info.value.retry_after == expected


def test_a_set_cancel_event_stops_before_any_request() -> None:
    handler, seen = _replies(httpx.Response(200, json={}))
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(CancelledError) as info:
        _client(handler, cancel=cancel).get("/space")
    assert seen == []
    assert info.value.action == "cancelled"


def test_cancel_cuts_a_backoff_wait_short() -> None:
    handler, seen = _replies(
        httpx.Response(503, content=b"<html>busy</html>", headers={"Retry-After": "30"}),
        httpx.Response(200, json={}),
    )
    cancel = threading.Event()
    # real waits: the server asks for 30 s; cancel arrives after 0.2 s
    client = _client(handler, cancel=cancel, retry=RetryPolicy(max_seconds=120))
    threading.Timer(0.2, cancel.set).start()
    began = time.monotonic()
    with pytest.raises(CancelledError):
        client.get("/space")
    assert time.monotonic() - began < 10
    assert len(seen) == 1  # the retry was never sent


def test_cancel_cuts_a_wait_for_the_rate_budget_short() -> None:
    reset = int(time.time()) + 60  # a minute away: the client would wait for it
    spent = {
        "X-RateLimit-Limit": "150",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": str(reset),
    }
    handler, seen = _replies(
        httpx.Response(200, json=[], headers=spent), httpx.Response(200, json=[])
    )
    cancel = threading.Event()
    client = _client(handler, cancel=cancel)
    client.get("/issues")
    threading.Timer(0.2, cancel.set).start()
    began = time.monotonic()
    with pytest.raises(CancelledError):
        client.get("/issues")
    assert time.monotonic() - began < 10
    assert len(seen) == 1
    assert client.stats.wait_seconds > 0  # it was waiting for the budget, not backing off
