"""``backlog-connector serve`` as a real subprocess, for the end-to-end tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from service_helpers import free_port

TOKEN = "e2e-token-abcdef0123456789"


class ServeProcess:
    """One ``serve`` process over a data home; stdout and stderr go to files in ``logs``."""

    def __init__(self, home: Path, logs: Path, *, min_interval: int = 5) -> None:
        self.home = home
        self.logs = logs
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "BACKLOG_CONNECTOR_HOME": str(home),
            "BACKLOG_CONNECTOR_API_TOKEN": TOKEN,
            "BACKLOG_CONNECTOR_SCHEDULER__MIN_INTERVAL_SECONDS": str(min_interval),
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, timeout: float = 30.0, *, log_level: str = "info") -> None:
        self.starts += 1
        self.logs.mkdir(parents=True, exist_ok=True)
        out = open(self.logs / f"serve-{self.starts}.out", "wb")  # noqa: SIM115
        err = open(self.logs / f"serve-{self.starts}.err", "wb")  # noqa: SIM115
        script = Path(sys.executable).parent / "backlog-connector"
        command = [str(script), "serve", "--port", str(self.port), "--log-level", log_level]
        self.proc = subprocess.Popen(command, env=self.env, stdout=out, stderr=err)
        out.close()
        err.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited with {self.proc.returncode}: {self.stderr()}")
            try:
                if httpx.get(f"{self.base_url}/api/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"serve did not answer within {timeout} s: {self.stderr()}")
            time.sleep(0.1)

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
        )

    def stdout(self) -> str:
        return (self.logs / f"serve-{self.starts}.out").read_text(errors="replace")

    def stderr(self) -> str:
        return (self.logs / f"serve-{self.starts}.err").read_text(errors="replace")

    def terminate(self, timeout: float = 15.0) -> float:
        """SIGTERM; returns the seconds it took to exit."""
        assert self.proc is not None
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout)
        return time.monotonic() - started

    def kill(self) -> None:
        """kill -9: no clean-up at all."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def ensure_stopped(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
