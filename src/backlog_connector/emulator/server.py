"""The HTTP side: a ThreadingHTTPServer on loopback, HTTP/1.1 keep-alive, and the order in which
a request is handled: route family -> authentication -> rate limit -> fault -> endpoint."""

from __future__ import annotations

import math
import socket
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from .api import Api, category_of
from .auth import Auth
from .errors import ApiError, BearerError, OAuthError, auth_failure
from .faults import Faults
from .params import Params
from .ratelimit import Budget, RateLimiter
from .routing import Call, Reply, ok

API_PREFIX = "/api/v2"
#: answers the ``/_emulator/`` routes: (method, path, query, form) -> reply
Control = Callable[[str, str, Params, Params], Reply]
_HTML_502 = (
    b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
)
_HTML_503 = (
    b"<html><head><title>503 Service Temporarily Unavailable</title></head>"
    b"<body><h1>503 Service Temporarily Unavailable</h1></body></html>"
)


class App:
    """Turns one parsed request into a :class:`Reply` (plus what to do to the connection)."""

    def __init__(
        self, api: Api, auth: Auth, limiter: RateLimiter, faults: Faults, control: Control
    ) -> None:
        self.api = api
        self.auth = auth
        self.limiter = limiter
        self.faults = faults
        self.control = control

    def handle(
        self, method: str, target: str, headers: Any, body: bytes
    ) -> tuple[Reply, str | None]:
        """The reply and the fault to apply to the connection (``"reset"``), if any."""
        url = urlsplit(target)
        path, query = url.path, Params.parse(url.query)
        form = Params.parse(body.decode("utf-8", "replace")) if body else Params([])
        body_error = self._body_error(headers, body)
        try:
            if path.startswith("/_emulator/"):
                return self.control(method, path, query, form), None
            if path == "/OAuth2AccessRequest.action":
                location = self.auth.authorize(query)
                return Reply(302, b"", headers={"Location": location}), None
            if path == API_PREFIX + "/oauth2/token":
                if method != "POST":
                    raise OAuthError("invalid_request", "Use POST for the token endpoint.")
                if body_error is not None:
                    raise OAuthError("invalid_request", body_error.more_info)
                reply = self._with_budget(ok(self.auth.token(form)), self._anonymous("update"))
                return reply, None
        except OAuthError as exc:
            reply = ok({"error": exc.error, "error_description": exc.description}, exc.status)
            return reply, None
        except ApiError as exc:
            return _error(exc), None
        if not path.startswith(API_PREFIX + "/"):
            return _error(ApiError(404, 6, "No such API.", f"{path} is not under /api/v2.")), None
        return self._api(method, path.removeprefix(API_PREFIX), query, form, headers, body_error)

    @staticmethod
    def _body_error(headers: Any, body: bytes) -> ApiError | None:
        """Backlog takes form-encoded bodies only; say so rather than misread another kind."""
        content_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if body and content_type not in ("", "application/x-www-form-urlencoded"):
            return ApiError(
                400,
                7,
                f"Unsupported Content-Type {content_type!r}.",
                "Send request bodies as application/x-www-form-urlencoded.",
            )
        return None

    def _api(
        self,
        method: str,
        path: str,
        query: Params,
        form: Params,
        headers: Any,
        body_error: ApiError | None,
    ) -> tuple[Reply, str | None]:
        category = category_of(method, path)
        try:
            user_id = self._authenticate(query, headers)
        except BearerError as exc:
            reply = _error(auth_failure())
            reply.headers["WWW-Authenticate"] = exc.www_authenticate()
            return self._with_budget(reply, self._anonymous(category)), None
        except ApiError as exc:
            return self._with_budget(_error(exc), self._anonymous(category)), None
        budget = self.limiter.hit(user_id, category)
        if not budget.allowed:
            return self._with_budget(_error(_too_many()), budget), None
        if body_error is not None:
            return self._with_budget(_error(body_error), budget), None
        fault = self.faults.draw()
        if fault == "slow":
            time.sleep(self.faults.slow_seconds)
            fault = None
        if fault is not None and fault != "reset" and fault != "truncated":
            # a spurious 429 is not the user's budget running out: its headers tell the user's
            # counters as they are (every response carries them, backlog-api.md 3.3)
            return self._with_budget(_fault_reply(fault), budget), None
        if fault is not None and method != "GET":
            # never apply a write whose answer is going to be broken
            reply = ok({"errors": [{"message": "Internal error", "code": 1, "moreInfo": ""}]})
            return self._with_budget(reply, budget), fault
        try:
            reply = self.api.dispatch(Call(method, path, query, form, user_id))
        except ApiError as exc:
            reply = _error(exc)
        except Exception:  # an emulator bug: answer as Backlog would, and say so on stderr
            traceback.print_exc()
            reply = _error(ApiError(500, 1, "Internal error"))
        return self._with_budget(reply, budget), fault

    def _authenticate(self, query: Params, headers: Any) -> int:
        authorization = headers.get("Authorization") or ""
        if authorization.startswith("Bearer "):
            return self.auth.user_for_bearer(authorization.removeprefix("Bearer ").strip())
        key = headers.get("Backlog-API-Key") or query.get("apiKey")
        if not key:
            raise auth_failure()
        return self.auth.user_for_key(key)

    def _anonymous(self, category: str) -> Budget:
        limit = self.limiter.limits[category]
        return Budget(limit, limit, math.ceil(time.time() + self.limiter.window))

    @staticmethod
    def _with_budget(reply: Reply, budget: Budget) -> Reply:
        reply.headers.update(budget.headers())
        return reply


def _error(exc: ApiError) -> Reply:
    reply = ok(exc.body(), exc.status)
    reply.headers.update(exc.headers)
    return reply


def _too_many() -> ApiError:
    return ApiError(
        429,
        13,
        "Too many requests.",
        "The rate limit of this category is spent; wait until X-RateLimit-Reset.",
    )


def _fault_reply(kind: str) -> Reply:
    if kind == "http_500":
        return ok({"errors": [{"message": "Internal error", "code": 1, "moreInfo": ""}]}, 500)
    if kind == "http_502":
        return Reply(502, _HTML_502, "text/html")
    if kind == "http_503":
        return Reply(503, _HTML_503, "text/html")
    reply = _error(_too_many())  # spurious_429
    return reply


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        reply, fault = self.server.app.handle(self.command, self.path, self.headers, body)
        payload = reply.body
        if fault == "truncated":
            payload = payload[: max(1, len(payload) // 2)]
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if fault == "reset":
            self.end_headers()
            self.wfile.write(payload[: len(payload) // 2])
            self._reset()
            return
        # head and body in one write: two small writes meet delayed ACKs and cost ~40 ms
        buffer: list[bytes] = self._headers_buffer  # type: ignore[attr-defined]
        buffer.append(b"\r\n")
        if self.command != "HEAD":
            buffer.append(payload)
        self.flush_headers()

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _reset(self) -> None:
        """Abort the connection with a TCP RST (SO_LINGER 0) half-way through the body."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = do_HEAD = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: request lines may carry an ``apiKey`` query parameter."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: App) -> None:
        self.app = app
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up (or injected resets) are normal here; report anything else."""
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class HttpServer:
    """Runs an :class:`App` on ``host:port`` in a background thread."""

    def __init__(self, app: App, host: str, port: int) -> None:
        self._server = _Server((host, port), app)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            daemon=True,
            name="backlog-emulator",
        )
        self._thread.start()

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
