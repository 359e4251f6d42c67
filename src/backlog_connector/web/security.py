"""The web server's outer guard (an ASGI middleware around the whole app).

* **Host header**: only the names this service is reached by are answered (the loopback names,
  the address it listens on, its public URL's host, and ``web.allowed_hosts``); anything else
  gets 400. This stops DNS-rebinding pages from talking to a service on loopback. When serve
  listens on every address (0.0.0.0 or ::), IP literals and the machine's host name are
  accepted too: a rebinding page cannot make a browser send an IP literal.
* **Headers** on every response: Content-Security-Policy (scripts and styles from this origin,
  no framing: ``frame-ancestors 'none'``), X-Frame-Options DENY, X-Content-Type-Options
  nosniff, Referrer-Policy same-origin. The API docs page loads Swagger UI from its CDN and
  gets a policy that allows that CDN.
* **Secure cookies**: the session cookie is marked ``Secure`` when the request came over https,
  or through a proxy of ``web.trusted_proxies`` that says so in X-Forwarded-Proto.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
_WILDCARDS = frozenset({"0.0.0.0", "::", ""})

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
#: /docs: Swagger UI's script and styles come from its CDN, its start-up script is inline
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "img-src 'self' data: https://fastapi.tiangolo.com; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


def _host_name(value: str) -> str:
    """The host part of a Host header, lower case, without port or IPv6 brackets."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class HostPolicy:
    """Which Host headers the service answers (see the module docstring)."""

    def __init__(self, bind_host: str | None, public_host: str | None,
                 extra: Iterable[str]) -> None:  # fmt: skip
        self.any = "*" in extra
        self.names = set(LOOPBACK_NAMES) | {_host_name(h) for h in extra if h != "*"}
        self.ip_literals = False
        for host in (bind_host, public_host):
            if host is None:
                continue
            if _host_name(host) in _WILDCARDS:
                self.ip_literals = True
                self.names.add(socket.gethostname().lower())
            else:
                self.names.add(_host_name(host))

    def allows(self, header: str | None) -> bool:
        """Whether a request with this Host header is answered."""
        if self.any:
            return True
        if not header:
            return False
        name = _host_name(header)
        return (
            name in self.names or name.endswith(".localhost") or (self.ip_literals and _is_ip(name))
        )


def _peer(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else ""


def request_is_secure(scope: Scope, trusted_proxies: frozenset[str]) -> bool:
    """https, directly or as a trusted proxy's X-Forwarded-Proto says."""
    if scope.get("scheme") == "https":
        return True
    if _peer(scope) not in trusted_proxies:
        return False
    proto = Headers(scope=scope).get("x-forwarded-proto", "")
    return proto.split(",")[0].strip().lower() == "https"


def client_address(request: Request) -> str:
    """The client's address: the peer, or (behind a trusted proxy) the nearest address of
    X-Forwarded-For that is not itself a trusted proxy."""
    trusted: frozenset[str] = getattr(request.app.state, "trusted_proxies", frozenset())
    peer = _peer(request.scope)
    if peer not in trusted:
        return peer
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop
    return peer


class SecurityMiddleware:
    """Host check, security headers, Secure session cookie (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, hosts: HostPolicy, trusted_proxies: Iterable[str],
                 session_cookie: str) -> None:  # fmt: skip
        self.app = app
        self.hosts = hosts
        self.trusted = frozenset(trusted_proxies)
        self.cookie_prefix = f"{session_cookie}="

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = Headers(scope=scope).get("host")
        if not self.hosts.allows(host):
            shown = (host or "")[:100]
            response = JSONResponse(
                {"detail": f"the Host header {shown!r} is not a name of this service; add it"
                           " to the setting web.allowed_hosts (environment variable"
                           " BACKLOG_CONNECTOR_WEB__ALLOWED_HOSTS, a JSON list) to allow it",
                 "error": "HostNotAllowed", "action": "configuration"},
                status_code=400,
            )  # fmt: skip
            await self._with_headers(scope, response, receive, send)
            return
        secure = request_is_secure(scope, self.trusted)
        docs = scope.get("path") == "/docs"

        async def send_guarded(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._guard_headers(message, secure=secure, docs=docs)
            await send(message)

        await self.app(scope, receive, send_guarded)

    async def _with_headers(self, scope: Scope, response: Any, receive: Receive,
                            send: Send) -> None:  # fmt: skip
        async def send_guarded(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._guard_headers(message, secure=False, docs=False)
            await send(message)

        await response(scope, receive, send_guarded)

    def _guard_headers(self, message: Message, *, secure: bool, docs: bool) -> None:
        headers = MutableHeaders(scope=message)
        headers["content-security-policy"] = (
            DOCS_CONTENT_SECURITY_POLICY if docs else CONTENT_SECURITY_POLICY
        )
        for name, value in SECURITY_HEADERS.items():
            headers[name] = value
        if not secure:
            return
        raw = message.setdefault("headers", [])
        for index, (name, value) in enumerate(raw):
            if name.lower() != b"set-cookie":
                continue
            text = value.decode("latin-1")
            if text.startswith(self.cookie_prefix) and "secure" not in text.lower():
                raw[index] = (name, (text + "; Secure").encode("latin-1"))
