"""``backlog-connector emulator`` as a subprocess: first line, serving, clean exit on signals."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import httpx
import pytest

# the real entry point: the lazy CLI group, then its `emulator` sub-command
COMMAND = [sys.executable, "-c", "from backlog_connector.cli import main; main()", "emulator"]


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*COMMAND, "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_first_line_then_serves_until_signal(http: httpx.Client, signum: int) -> None:
    process = start("--issues", "50", "--projects", "2", "--seed", "3", "--plan", "free")
    try:
        assert process.stdout is not None
        line = json.loads(process.stdout.readline())
        assert line["base_url"].startswith("http://127.0.0.1:")
        assert set(line["api_keys"]) == {"admin", "member"}
        assert {"client_id", "client_secret"} <= set(line["oauth"])
        response = http.get(
            line["base_url"] + "/api/v2/issues/count",
            headers={"Backlog-API-Key": line["api_keys"]["admin"]},
        )
        assert response.json() == {"count": 50}
        assert response.headers["X-RateLimit-Limit"] == "15"  # --plan free
    finally:
        process.send_signal(signum)
        _out, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert line["api_keys"]["admin"] not in err


def test_bad_option_is_refused(http: httpx.Client) -> None:
    result = subprocess.run(
        [*COMMAND, "--plan", "gold"], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 2
    assert "gold" in result.stderr
    assert "paid" in result.stderr
