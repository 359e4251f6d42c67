"""The client against the emulator over a loopback socket: reads, paging, errors, accounting."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from backlog_connector.backlog.client import BacklogClient
from backlog_connector.backlog.errors import (
    AuthenticationError,
    InvalidOptionError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
)
from backlog_connector.backlog.stats import Event, RequestDone
from backlog_connector.emulator import Emulator

MakeClient = Callable[..., BacklogClient]


def test_reads_space_and_myself_and_resolves_the_user_once(
    emulator: Emulator, make_client: MakeClient
) -> None:
    client = make_client(emulator)
    assert client.get("/space")["spaceKey"]
    me = client.myself()
    assert me["userId"] == "admin"
    assert client.user_key.endswith(f":{me['id']}")
    assert client.user_key.startswith(client.address.fqdn)
    assert client.rate_limit()["search"]["limit"] > 0


def test_lazy_user_key_costs_one_myself_request(
    emulator: Emulator, make_client: MakeClient
) -> None:
    events: list[Event] = []
    client = make_client(emulator, listener=events.append)
    client.get("/space")
    client.get("/space")
    urls = [e.url for e in events if isinstance(e, RequestDone)]
    assert sum("/users/myself" in u for u in urls) == 1
    assert len(urls) == 3


def test_iter_offset_reads_every_issue_once_never_stopping_at_20(
    emulator: Emulator, make_client: MakeClient
) -> None:
    client = make_client(emulator, user_key="given")
    pages = list(client.iter_offset("/issues", {"count": 20, "offset": 5}, page_size=100))
    ids = [row["id"] for page in pages for row in page]
    assert len(ids) == len(set(ids)) == len(emulator.state.issues)
    assert set(ids) == set(emulator.state.issues)
    assert [len(p) for p in pages] == [100, 100, 100]
    assert client.stats.requests == {"search": 4}  # three full pages and an empty one


def test_filters_expand_to_repeated_array_parameters(
    emulator: Emulator, make_client: MakeClient
) -> None:
    client = make_client(emulator, user_key="given")
    projects = [p["id"] for p in client.get("/projects")]
    mine = projects[:2]
    rows = [r for page in client.iter_offset("/issues", {"projectId": mine}) for r in page]
    assert rows
    assert {r["projectId"] for r in rows} == set(mine)
    expected = client.get("/issues/count", [("projectId[]", mine[0]), ("projectId[]", mine[1])])
    assert len(rows) == expected["count"]


def test_iter_ids_walks_activities_both_ways_with_exclusive_bounds(
    emulator: Emulator, make_client: MakeClient
) -> None:
    client = make_client(emulator, user_key="given")
    down = [r["id"] for page in client.iter_ids("/space/activities") for r in page]
    assert down == sorted(down, reverse=True)
    assert len(down) == len(set(down)) > 100
    middle = down[len(down) // 2]
    up = [
        r["id"]
        for page in client.iter_ids("/space/activities", order="asc", min_id=middle)
        for r in page
    ]
    assert up == sorted(i for i in down if i > middle)


def test_comments_by_cursor(emulator: Emulator, make_client: MakeClient) -> None:
    client = make_client(emulator, user_key="given")
    issue = next(iter(emulator.state.issues))
    expected = client.get(f"/issues/{issue}/comments/count")["count"]
    got = [
        r["id"] for page in client.iter_ids(f"/issues/{issue}/comments", page_size=3) for r in page
    ]
    assert len(got) == len(set(got)) == expected


def test_bad_key_is_a_configuration_error_naming_the_account(
    emulator: Emulator, make_client: MakeClient
) -> None:
    client = make_client(emulator, key="not-a-real-key-1234", account_name="acme-prod")
    with pytest.raises(AuthenticationError) as info:
        client.get("/space")
    err = info.value
    assert err.action == "configuration"
    assert "acme-prod" in str(err)
    assert "API key" in str(err)
    assert "Authentication failure." in str(err)
    assert (err.status, err.code) == (401, 11)
    assert client.stats.retries == 0


def test_revoked_key(make_emulator: Callable[..., Emulator], make_client: MakeClient) -> None:
    emu = make_emulator(issues=10)
    client = make_client(emu, key=emu.api_keys["member"])
    assert client.get("/space")
    emu.revoke_key(emu.api_keys["member"])
    with pytest.raises(AuthenticationError):
        client.get("/space")


def test_not_found_invalid_and_forbidden(emulator: Emulator, make_client: MakeClient) -> None:
    client = make_client(emulator, user_key="given")
    with pytest.raises(NotFoundError, match="HTTP 404") as info:
        client.get("/projects/NO_SUCH_PROJECT")
    assert info.value.backlog_message
    with pytest.raises(InvalidRequestError, match="code 7"):
        client.get("/issues", {"count": 1000})
    member = make_client(emulator, key=emulator.api_keys["member"])
    with pytest.raises(PermissionDeniedError):
        member.get("/teams")


@pytest.mark.parametrize(
    "path", ["issues", "//evil.example/api", "https://evil.example/x", "/a/../b", "/x?y=1"]
)
def test_paths_that_could_leave_the_api_are_refused_before_any_request(
    emulator: Emulator, make_client: MakeClient, path: str
) -> None:
    client = make_client(emulator, user_key="given")
    with pytest.raises(InvalidOptionError):
        client.get(path)
    assert client.stats.total_requests == 0


def test_api_key_in_query_works(emulator: Emulator, make_client: MakeClient) -> None:
    events: list[Event] = []
    client = make_client(emulator, in_query=True, listener=events.append)
    assert client.myself()["userId"] == "admin"
    urls = [e.url for e in events if isinstance(e, RequestDone)]
    assert urls
    assert all(emulator.api_keys["admin"] not in u for u in urls)


def test_writes_go_through(make_emulator: Callable[..., Emulator], make_client: MakeClient) -> None:
    emu = make_emulator(issues=10)
    client = make_client(emu)
    issue = next(iter(emu.state.issues.values()))
    key = client.get(f"/issues/{issue.id}")["issueKey"]
    client.patch(f"/issues/{key}", {"summary": "changed by the client"})
    assert client.get(f"/issues/{key}")["summary"] == "changed by the client"
    assert client.stats.requests["update"] == 1


def test_stats_account_bytes_and_headers(emulator: Emulator, make_client: MakeClient) -> None:
    client = make_client(emulator, user_key="given")
    body = client.get("/projects")
    stats = client.stats.as_dict()
    assert stats["requests"] == {"read": 1}
    assert stats["bytes_received"] > len(body)
    assert stats["last_remaining"]["read"] > 0
    assert stats["last_reset"]["read"] > 1_700_000_000
