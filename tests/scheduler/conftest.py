"""Fixtures for the scheduler: a real control plane in a temporary home, real emulators on
loopback, a webhook receiver on loopback, and a clock the test moves by hand."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sched_helpers import Clock, Hooks, open_plane

from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator, EmulatorConfig
from backlog_connector.scheduler.loop import Scheduler


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2024, 6, 3, 9, 0, tzinfo=UTC))


@pytest.fixture(scope="module")
def space() -> Iterator[Emulator]:
    """A small paid-plan space, shared by the module's tests (they do not change it)."""
    with Emulator(EmulatorConfig(seed=3, projects=2, issues=40, plan="paid")) as emu:
        yield emu


@pytest.fixture
def plane(tmp_path: Path) -> Iterator[ControlPlane]:
    cp = open_plane(tmp_path / "home")
    yield cp
    cp.close()


@pytest.fixture
def make_scheduler(plane: ControlPlane, clock: Clock) -> Iterator[Callable[..., Scheduler]]:
    made: list[Scheduler] = []

    def make(**kw: Any) -> Scheduler:
        kw.setdefault("clock", clock)
        sched = Scheduler(plane, **kw)
        made.append(sched)
        return sched

    yield make
    for sched in made:
        sched.stop(timeout=10)


@pytest.fixture
def webhook() -> Iterator[Hooks]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            hooks.received.append(json.loads(self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hooks = Hooks(f"http://127.0.0.1:{server.server_address[1]}/hooks/secret-path")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield hooks
    server.shutdown()
    server.server_close()
