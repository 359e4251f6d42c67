"""Fixtures of the emulator tests."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest


@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    """One plain client for calls that set their own credentials (a new httpx client costs
    ~0.2 s of TLS set-up, so tests share this one)."""
    with httpx.Client(timeout=10) as c:
        yield c
