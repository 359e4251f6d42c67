"""A deployment in subprocesses for the end-to-end tests: ``serve`` and ``worker`` processes
over one control plane in a scratch PostgreSQL database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet

TOKEN = "cluster-token-0123456789abcdef"
EXE = str(Path(sys.executable).parent / "backlog-connector")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cluster_env(home: Path, control_url: str, **extra: str) -> dict[str, str]:
    """The environment every process of the deployment shares."""
    return {
        **os.environ,
        "BACKLOG_CONNECTOR_HOME": str(home),
        "BACKLOG_CONNECTOR_DATABASE_URL": control_url,
        "BACKLOG_CONNECTOR_SECRET_KEY": Fernet.generate_key().decode(),
        "BACKLOG_CONNECTOR_API_TOKEN": TOKEN,
        "BACKLOG_CONNECTOR_SCHEDULER__MIN_INTERVAL_SECONDS": "1",
        "BACKLOG_CONNECTOR_WORKERS__HEARTBEAT_SECONDS": "1",
        "BACKLOG_CONNECTOR_WORKERS__STALLED_SECONDS": "4",
        "BACKLOG_CONNECTOR_WORKERS__SWEEP_SECONDS": "1",
        **extra,
    }


class Proc:
    """One process of the deployment; output in ``logs/<name>.out|err``."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], logs: Path) -> None:
        logs.mkdir(parents=True, exist_ok=True)
        self.name, self.logs = name, logs
        out = open(logs / f"{name}.out", "wb")  # noqa: SIM115
        err = open(logs / f"{name}.err", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen([EXE, *args], env=env, stdout=out, stderr=err)
        out.close()
        err.close()

    def stderr(self) -> str:
        return (self.logs / f"{self.name}.err").read_text(errors="replace")

    def stdout(self) -> str:
        return (self.logs / f"{self.name}.out").read_text(errors="replace")

    def terminate(self, timeout: float = 30.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def ensure_stopped(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def start_serve(env: dict[str, str], logs: Path, name: str = "serve") -> tuple[Proc, str]:
    """A ``serve`` replica; returns it and its base URL once ``/api/health`` answers."""
    port = free_port()
    proc = Proc(name, ["serve", "--port", str(port)], env, logs)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if proc.proc.poll() is not None:
            raise AssertionError(f"{name} exited: {proc.stderr()[-3000:]}")
        try:
            if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{name} did not answer: {proc.stderr()[-3000:]}")
        time.sleep(0.2)


def start_worker(env: dict[str, str], logs: Path, name: str, *args: str) -> Proc:
    """A ``worker`` process (returns once it printed its first line)."""
    proc = Proc(name, ["worker", *args], env, logs)
    deadline = time.monotonic() + 60
    while "consuming" not in proc.stdout():
        if proc.proc.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"{name} did not start: {proc.stderr()[-3000:]}")
        time.sleep(0.2)
    return proc


def api(base: str) -> httpx.Client:
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)


def poll(read: Any, done: Any, timeout: float = 60.0, every: float = 0.3) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out; last value: {value!r}")
        time.sleep(every)
