"""A real loopback HTTP server in front of the emulator that changes chosen answers.

It stands where the live Backlog service stands: every request goes to the emulator unchanged
(key header, query, rate-limit headers come back as they are) unless a rule for its path
rewrites the JSON body, e.g. wraps a list in an object or spoils one timestamp. Rules are
``path -> function(parsed body, query pairs) -> new body``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import orjson

Rule = Callable[[Any, list[tuple[str, str]]], Any]
_PASSED_HEADERS = (
    "content-type",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
)


class DriftProxy:
    """``with DriftProxy(emu.base_url, {"/api/v2/users": wrap}) as proxy: proxy.base_url``."""

    def __init__(self, upstream: str, rules: dict[str, Rule] | None = None) -> None:
        self.upstream = upstream.rstrip("/")
        self.rules: dict[str, Rule] = dict(rules or {})
        self.hits: dict[str, int] = {}
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                proxy._serve(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._http = httpx.Client(timeout=30)

    @property
    def base_url(self) -> str:
        """Where clients should connect (loopback)."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> DriftProxy:
        self._thread.start()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._http.close()

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        headers = {
            k: v
            for k, v in handler.headers.items()
            if k.lower() in ("backlog-api-key", "authorization")
        }
        answer = self._http.get(self.upstream + handler.path, headers=headers)
        body = answer.content
        rule = self.rules.get(parts.path)
        if rule is not None and answer.status_code == 200:
            self.hits[parts.path] = self.hits.get(parts.path, 0) + 1
            body = orjson.dumps(rule(orjson.loads(body), parse_qsl(parts.query)))
        handler.send_response(answer.status_code)
        for name in _PASSED_HEADERS:
            if name in answer.headers:
                handler.send_header(name, answer.headers[name])
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
