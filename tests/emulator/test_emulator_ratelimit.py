"""Rate limits per user and category: headers on every response, 429 code 13, reset."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import httpx

from backlog_connector.emulator import Emulator

from .helpers import client, error_code

Make = Callable[..., Emulator]


def budget(response: httpx.Response) -> tuple[int, int, int]:
    h = response.headers
    return (
        int(h["X-RateLimit-Limit"]),
        int(h["X-RateLimit-Remaining"]),
        int(h["X-RateLimit-Reset"]),
    )


def test_search_budget_spent_after_exactly_the_limit_then_recovers(make_emulator: Make) -> None:
    emu = make_emulator(issues=20, plan="free", minute_seconds=1.5)
    with client(emu) as admin:
        before = time.time()
        first = admin.get("/issues", params={"count": 1})
        after = time.time()
        limit, remaining, reset = budget(first)
        assert (limit, remaining) == (15, 14)
        # the window opens at the first request and the header rounds its end up
        assert math.ceil(before + 1.5) <= reset <= math.ceil(after + 1.5)
        for expected in range(13, -1, -1):
            response = admin.get("/issues/count")  # the same "search" budget
            assert response.status_code == 200
            assert budget(response)[:2] == (15, expected)
        refused = admin.get("/issues")
        assert refused.status_code == 429
        assert error_code(refused) == 13
        assert budget(refused) == (15, 0, reset)
        # other categories keep their own budget
        read = admin.get("/space")
        assert read.status_code == 200
        assert budget(read)[:2] == (60, 59)
        time.sleep(max(0.0, reset - time.time()) + 0.05)
        again = admin.get("/issues", params={"count": 1})
        assert again.status_code == 200
        assert budget(again)[:2] == (15, 14)
        assert budget(again)[2] > reset


def test_budget_is_per_user_not_per_key(http: httpx.Client, make_emulator: Make) -> None:
    emu = make_emulator(issues=5, plan="free", minute_seconds=30)
    first_key, second_key = emu.state.keys_of(1)
    url = emu.base_url + "/api/v2/projects/1/image"  # icon: 6 per window
    for n in range(6):
        key = first_key if n % 2 else second_key
        assert http.get(url, headers={"Backlog-API-Key": key}).status_code == 200
    for key in (first_key, second_key):
        refused = http.get(url, headers={"Backlog-API-Key": key})
        assert refused.status_code == 429
    member = http.get(url, headers={"Backlog-API-Key": emu.api_keys["member"]})
    assert member.status_code == 200
    assert budget(member)[:2] == (6, 5)


def test_paid_plan_limits_by_category(make_emulator: Make) -> None:
    emu = make_emulator(issues=5, plan="paid")
    with client(emu) as admin:
        assert budget(admin.get("/space"))[0] == 600
        assert budget(admin.get("/issues"))[0] == 150
        assert budget(admin.get("/users/1/icon"))[0] == 60
        created = admin.post("/issues/1/comments", data={"content": "hi"})
        assert created.status_code == 201
        assert budget(created)[0] == 150
        limits = admin.get("/rateLimit").json()["rateLimit"]
        assert {k: v["limit"] for k, v in limits.items()} == {
            "read": 600,
            "update": 150,
            "search": 150,
            "icon": 60,
        }
        assert limits["update"]["remaining"] == 149
        assert limits["search"]["remaining"] == 149


def test_errors_carry_rate_limit_headers(emulator: Emulator) -> None:
    with client(emulator) as admin:
        for response in (admin.get("/projects/NOPE"), admin.get("/issues", params={"count": 0})):
            assert response.status_code in (400, 404)
            assert budget(response)[0] > 0


def test_unlimited_plan_never_refuses(make_emulator: Make) -> None:
    emu = make_emulator(issues=5, plan="unlimited", minute_seconds=60)
    with client(emu) as admin:
        for _ in range(200):
            response = admin.get("/issues/count")
            assert response.status_code == 200
        limit, remaining, _reset = budget(response)
        assert limit >= 1_000_000
        assert remaining == limit - 200
