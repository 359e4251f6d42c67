"""Fixtures for the service: the app over a real control plane in a temporary home, served on
loopback, and a paid-plan emulator to sync from."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from serve_process import ServeProcess
from service_helpers import LiveService, serve_in_thread

from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator, EmulatorConfig
from backlog_connector.settings import SchedulerSettings, Settings
from backlog_connector.web.app import create_app

TOKEN = "test-token-0123456789abcdef"


@pytest.fixture(scope="module")
def space() -> Iterator[Emulator]:
    with Emulator(EmulatorConfig(seed=7, projects=2, issues=30, plan="paid")) as emu:
        yield emu


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveService]:
    settings = Settings(
        home=tmp_path / "home",
        api_token=SecretStr(TOKEN),
        admin_password=SecretStr("correct horse battery"),
        scheduler=SchedulerSettings(min_interval_seconds=1),
    )
    plane = ControlPlane.open(settings=settings)
    service = serve_in_thread(create_app(plane), plane, TOKEN)
    yield service
    service.stop()
    plane.close()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[ServeProcess]:
    """``backlog-connector serve`` as a process over a fresh home (stopped after the test)."""
    process = ServeProcess(tmp_path / "home", tmp_path / "logs")
    yield process
    process.ensure_stopped()
