"""Helpers for the service tests: a real server on loopback, free ports, polling."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LiveService:
    """The app served by uvicorn in a thread, on a real loopback socket."""

    app: FastAPI
    plane: ControlPlane
    base_url: str
    token: str
    server: uvicorn.Server
    thread: threading.Thread

    def client(self, *, token: str | None = None, auth: bool = True) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token or self.token}"} if auth else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(15)


def serve_in_thread(app: FastAPI, plane: ControlPlane, token: str) -> LiveService:
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", proxy_headers=False
    )  # as serve: the app judges proxy headers
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    return LiveService(app, plane, f"http://127.0.0.1:{port}", token, server, thread)


def poll(fetch: Callable[[], Any], done: Callable[[Any], bool], timeout: float = 30.0) -> Any:
    """Call ``fetch`` until ``done(result)``; the last result, or AssertionError on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        result = fetch()
        if done(result):
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s; last: {result!r}")
        time.sleep(0.05)


# -- over the REST API of a served home (a ServeProcess or a LiveService) --


def add_accounts(client: httpx.Client, emu: Emulator) -> None:
    for user in ("admin", "member"):
        body = {"name": user, "base_url": emu.base_url, "api_key": emu.api_keys[user],
                "api_key_in_query": user == "member"}  # fmt: skip
        response = client.post("/api/accounts", json=body)
        assert response.status_code == 201, response.text


def create(client: httpx.Client, name: str, **fields: Any) -> dict[str, Any]:
    response = client.post("/api/datasets", json={"name": name, **fields})
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def finished_runs(client: httpx.Client, name: str) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = client.get(f"/api/datasets/{name}/runs").json()
    return list(reversed([r for r in runs if r["status"] not in ("queued", "running")]))
