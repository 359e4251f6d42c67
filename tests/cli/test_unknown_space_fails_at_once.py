"""``accounts add`` for a space that does not exist fails at once, once: exit 2, one line that
names the host and the fix, no retries; the low-level detail goes to the log file only."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from backlog_connector.emulator import Emulator

from .helpers import Cli, state


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _add(cli: Cli, url: str) -> tuple[int, str, float]:
    started = time.monotonic()
    result = cli("accounts", "add", "acme", "--base-url", url, input="some-key\n")
    return result.exit_code, result.stderr, time.monotonic() - started


@pytest.mark.parametrize(
    ("kind", "shown"),
    [
        ("unresolvable", "no-such-space.invalid: the name does not resolve"),
        ("refused", "connection refused"),
        ("404", "no Backlog space answers at"),
    ],
)
def test_a_missing_space_is_a_configuration_error(
    cli: Cli, home: Path, emulator: Emulator, kind: str, shown: str
) -> None:
    url = {
        "unresolvable": "https://no-such-space.invalid",
        "refused": f"http://127.0.0.1:{_closed_port()}",
        "404": emulator.base_url + "/no-space-here",
    }[kind]
    before = state(cli)
    code, stderr, seconds = _add(cli, url)
    assert code == 2, stderr
    assert seconds < 5  # no minute of retries (it took 44-52 s)
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr  # printed once
    assert lines[0].startswith("Error: ")
    assert shown in lines[0]
    assert "--base-url" in lines[0]
    assert "later run" not in stderr
    assert "Errno" not in stderr
    assert "ConnectError" not in stderr
    assert state(cli) == before
    if kind != "404":  # the detail a maintainer needs is kept in the log file
        logged = (home / "logs" / "backlog-connector.log").read_text()
        assert "ConnectError" in logged
