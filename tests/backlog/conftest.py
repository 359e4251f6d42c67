"""Helpers for the client tests: clients on the emulator, a private budget registry each."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from backlog_connector.backlog.address import SpaceAddress
from backlog_connector.backlog.budget import BudgetRegistry
from backlog_connector.backlog.client import BacklogClient
from backlog_connector.backlog.credentials import ApiKey
from backlog_connector.emulator import Emulator


def admin_keys(emu: Emulator) -> list[str]:
    """Both API keys of the emulated admin user (limits are per user, so they share a budget)."""
    keys = emu.state.keys_of(1)
    assert len(keys) >= 2
    return keys


@pytest.fixture
def make_client() -> Iterator[Callable[..., BacklogClient]]:
    """``make_client(emu, key=None, **kwargs)``: a client on ``emu`` (admin key by default)
    with its own budget registry unless ``budgets`` is given; closed after the test."""
    made: list[BacklogClient] = []

    def make(emu: Emulator, key: str | None = None, **kwargs: Any) -> BacklogClient:
        kwargs.setdefault("budgets", BudgetRegistry())
        kwargs.setdefault("account_name", "acme")
        client = BacklogClient(
            SpaceAddress.parse_base_url(emu.base_url),
            ApiKey(key or emu.api_keys["admin"], in_query=kwargs.pop("in_query", False)),
            **kwargs,
        )
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


MakeClient = Callable[..., BacklogClient]
