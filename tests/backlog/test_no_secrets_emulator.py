"""During a run with every kind of outcome, no key or token shows up in logs or exception text."""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable

import pytest

from backlog_connector.backlog.address import SpaceAddress
from backlog_connector.backlog.budget import BudgetRegistry
from backlog_connector.backlog.client import BacklogClient
from backlog_connector.backlog.credentials import OAuthToken
from backlog_connector.backlog.errors import BacklogConnectorError
from backlog_connector.backlog.retry import RetryPolicy
from backlog_connector.backlog.stats import Event
from backlog_connector.emulator import Emulator

from .conftest import MakeClient
from .test_oauth_emulator import _authorise


def test_keys_and_tokens_appear_nowhere(
    make_emulator: Callable[..., Emulator],
    make_client: MakeClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included
    emu = make_emulator(issues=250, fault_rate=0.3, slow_seconds=0.01)
    texts: list[str] = []
    events: list[Event] = []
    retry = RetryPolicy(max_attempts=12, testing=True)

    def attempt(action: Callable[[], object]) -> None:
        try:
            action()
        except BacklogConnectorError as exc:
            texts.extend([str(exc), repr(exc), "".join(traceback.format_exception(exc))])

    header = make_client(emu, retry=retry, listener=events.append)
    query = make_client(emu, in_query=True, retry=retry, listener=events.append)
    for client in (header, query):
        attempt(lambda: list(client.iter_offset("/issues")))  # noqa: B023 - called at once
        attempt(lambda: client.get("/projects/NOPE"))  # noqa: B023
        attempt(lambda: client.get("/issues", {"count": 0}))  # noqa: B023
        texts.append(repr(client))
        texts.append(str(client.stats.as_dict()))
    bad = make_client(emu, key=emu.api_keys["admin"][::-1], listener=events.append)
    attempt(lambda: bad.get("/space"))
    give_up = make_client(emu, retry=RetryPolicy(max_attempts=2, testing=True))
    emu.set_faults(rate=0.0, reset=1.0)
    attempt(lambda: give_up.get("/space"))
    emu.set_faults(rate=0.0)

    token = _authorise(emu)
    token.expires_at = time.time()  # due: the client refreshes first
    oauth_secrets = [token.access_token, token.refresh_token, token.client_secret]
    with BacklogClient(
        SpaceAddress.parse_base_url(emu.base_url),
        token,
        budgets=BudgetRegistry(),
        listener=events.append,
    ) as oauth:
        attempt(oauth.myself)
        oauth_secrets += [token.access_token, token.refresh_token]
        emu.revoke_key(token.access_token)
        emu.revoke_key(token.refresh_token)
        attempt(lambda: oauth.get("/space"))
        texts.append(repr(oauth))
    texts.append(repr(OAuthToken(oauth_secrets[0], oauth_secrets[1], 0.0, "cid", oauth_secrets[2])))

    texts += [repr(e) for e in events]
    for record in caplog.records:
        texts.append(record.getMessage())
        if record.exc_info:
            texts.append("".join(traceback.format_exception(*record.exc_info)))
    assert query.stats.requests["search"] >= 3  # the apiKey-in-query client did read issues
    assert len(caplog.records) > 20
    haystack = "\n".join(texts)
    for secret in [*emu.state.api_keys, *oauth_secrets]:
        assert secret not in haystack
