"""Fixtures shared by every test: a local Backlog emulator on a loopback port."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from backlog_connector.emulator import Emulator, EmulatorConfig


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """One small emulated space (seed 1, 3 projects, 300 issues, no rate limit) for the session.

    Shared by every test: do not write to it or set faults on it; use ``make_emulator`` for that.
    """
    with Emulator(EmulatorConfig(seed=1, projects=3, issues=300, plan="unlimited")) as emu:
        yield emu


@pytest.fixture
def make_emulator() -> Iterator[Callable[..., Emulator]]:
    """A factory: ``make_emulator(issues=50, plan="free", minute_seconds=2)`` starts a private
    emulator (keyword arguments of :class:`EmulatorConfig`), stopped after the test."""
    started: list[Emulator] = []

    def make(**overrides: Any) -> Emulator:
        settings: dict[str, Any] = {"seed": 1, "projects": 3, "issues": 100, "plan": "unlimited"}
        settings.update(overrides)
        emu = Emulator(EmulatorConfig(**settings)).start()
        started.append(emu)
        return emu

    yield make
    for emu in started:
        emu.stop()
