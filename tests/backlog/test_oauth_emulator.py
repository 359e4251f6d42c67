"""OAuth 2.0 against the emulator: code exchange, use, expiry, refresh ahead and on a 401."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from backlog_connector.backlog.address import SpaceAddress
from backlog_connector.backlog.budget import BudgetRegistry
from backlog_connector.backlog.client import BacklogClient
from backlog_connector.backlog.credentials import OAuthToken
from backlog_connector.backlog.errors import AuthenticationError
from backlog_connector.backlog.oauth import authorization_url, exchange_code
from backlog_connector.emulator import Emulator

REDIRECT = "http://127.0.0.1:9/callback"


def _authorise(emu: Emulator, on_refresh: Callable[[OAuthToken], None] | None = None) -> OAuthToken:
    address = SpaceAddress.parse_base_url(emu.base_url)
    client = emu.oauth_client
    url = authorization_url(address, client["client_id"], REDIRECT, state="xyz")
    answer = httpx.get(url, follow_redirects=False)
    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    query = parse_qs(location.query)
    assert query["state"] == ["xyz"]
    return exchange_code(
        address,
        query["code"][0],
        client_id=client["client_id"],
        client_secret=client["client_secret"],
        redirect_uri=REDIRECT,
        on_refresh=on_refresh,
    )


def _client(emu: Emulator, token: OAuthToken) -> BacklogClient:
    return BacklogClient(
        SpaceAddress.parse_base_url(emu.base_url),
        token,
        account_name="oauth-acct",
        budgets=BudgetRegistry(),
    )


def test_code_exchange_and_use(emulator: Emulator) -> None:
    token = _authorise(emulator)
    assert token.expires_at > time.time() + 3000
    with _client(emulator, token) as client:
        assert client.myself()["userId"] == "admin"
    assert token.refreshes == 0


def test_a_bad_code_is_an_authentication_error(emulator: Emulator) -> None:
    client = emulator.oauth_client
    with pytest.raises(AuthenticationError, match="authorise again") as info:
        exchange_code(
            SpaceAddress.parse_base_url(emulator.base_url),
            "no-such-code",
            client_id=client["client_id"],
            client_secret=client["client_secret"],
            redirect_uri=REDIRECT,
        )
    assert "invalid_grant" in str(info.value)


def test_refresh_ahead_of_expiry_calls_the_hook(emulator: Emulator) -> None:
    saved: list[tuple[str, str]] = []
    token = _authorise(
        emulator, on_refresh=lambda t: saved.append((t.access_token, t.refresh_token))
    )
    old_access = token.access_token
    token.expires_at = time.time() + 30  # inside the 60 s refresh margin
    with _client(emulator, token) as client:
        assert client.get("/space")
        assert client.stats.requests.get("oauth") == 1
    assert token.refreshes == 1
    assert token.access_token != old_access
    assert saved == [(token.access_token, token.refresh_token)]
    assert token.expires_at > time.time() + 3000


def test_an_expired_token_is_refreshed_once_on_401(
    make_emulator: Callable[..., Emulator],
) -> None:
    emu = make_emulator(issues=5, token_seconds=1)
    token = _authorise(emu)
    token.expires_at = time.time() + 10_000  # the client believes it is still valid
    token.refresh_ahead = 0
    with _client(emu, token) as client:
        assert client.get("/space")
        time.sleep(1.2)  # the server lets the token expire
        assert client.get("/space")  # 401 invalid_token -> refresh -> retry
    assert token.refreshes == 1


def test_a_revoked_refresh_token_asks_to_authorise_again(emulator: Emulator) -> None:
    token = _authorise(emulator)
    emulator.revoke_key(token.access_token)
    emulator.revoke_key(token.refresh_token)
    with _client(emulator, token) as client, pytest.raises(AuthenticationError) as info:
        client.get("/space")
    assert "oauth-acct" in str(info.value)
    assert "authorise the application again" in str(info.value)
    assert client.stats.requests == {"read": 1, "oauth": 1}
