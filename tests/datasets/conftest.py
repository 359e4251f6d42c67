"""A control plane in a fresh data home."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator


@pytest.fixture
def plane(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ControlPlane]:
    import os

    for name in list(os.environ):
        if name.startswith("BACKLOG_CONNECTOR_"):
            monkeypatch.delenv(name)
    with ControlPlane.open(tmp_path / "home") as cp:
        yield cp


@pytest.fixture
def acme(plane: ControlPlane, emulator: Emulator) -> str:
    """Account 'acme' on the shared emulator (admin key)."""
    plane.add_account("acme", base_url=emulator.base_url, api_key=emulator.api_keys["admin"])
    return "acme"
