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
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            proxy_headers=False)  # as serve: the app judges proxy headers
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
