"""An httpx transport on the standard library's ``http.client``: the client's requests and
answers stay httpx objects, but each exchange costs about half the CPU of httpx's own transport
(httpcore and h11 parse every response in Python; ``http.client`` reads a body with a few C
calls). On a sync's read-ahead thread that CPU is time the other threads wait for the GIL.

Kept-alive connections are pooled per origin and taken by one request at a time; one that the
server closed while idle (readable before any request: end of file or stray bytes) is dropped
before reuse, as httpcore does. Failures surface as httpx's exceptions of the same meaning:
``ConnectError``/``ConnectTimeout`` before anything was sent, ``WriteError``/``WriteTimeout``
while sending, ``ReadTimeout``, ``ReadError`` and ``RemoteProtocolError`` while reading.
"""

from __future__ import annotations

import http.client
import select
import ssl
import threading
from typing import Any

import httpx

Origin = tuple[str, str, int]
_DEFAULT_PORTS = {"http": 80, "https": 443}


class StdlibTransport(httpx.BaseTransport):
    """HTTP/1.1 over ``http.client`` with a pool of kept-alive connections per origin."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self._ssl_context = ssl_context
        self._idle: dict[Origin, list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` and read its whole answer."""
        url = request.url
        if url.scheme not in _DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {url.scheme!r}")
        origin: Origin = (url.scheme, url.host, url.port or _DEFAULT_PORTS[url.scheme])
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        body = request.read()
        conn = self._checkout(origin, timeouts.get("connect"))
        try:
            self._send(conn, request, body, timeouts.get("write"))
            answer = self._receive(conn, timeouts.get("read"))
        except BaseException:
            conn.close()
            raise
        status, reason, headers, content, reusable = answer
        if reusable:
            self._checkin(origin, conn)
        else:
            conn.close()
        return httpx.Response(
            status,
            headers=headers,
            stream=httpx.ByteStream(content),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": reason},
        )

    def close(self) -> None:
        """Close every pooled connection."""
        with self._lock:
            pools, self._idle = self._idle, {}
        for connections in pools.values():
            for conn in connections:
                conn.close()

    # -- connections ----------------------------------------------------------------------

    def _checkout(self, origin: Origin, connect: float | None) -> http.client.HTTPConnection:
        while True:
            with self._lock:
                pool = self._idle.get(origin)
                conn = pool.pop() if pool else None
            if conn is None:
                return self._connect(origin, connect)
            if not _closed_by_peer(conn):
                return conn
            conn.close()

    def _checkin(self, origin: Origin, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            self._idle.setdefault(origin, []).append(conn)

    def _connect(self, origin: Origin, timeout: float | None) -> http.client.HTTPConnection:
        scheme, host, port = origin
        conn: http.client.HTTPConnection
        if scheme == "https":
            context = self._ssl_context or httpx.create_ssl_context()
            self._ssl_context = context
            conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
        else:
            conn = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            conn.connect()
        except TimeoutError as exc:
            conn.close()
            raise httpx.ConnectTimeout(str(exc) or "timed out connecting") from exc
        except OSError as exc:  # refused, unreachable, unknown host, TLS handshake
            conn.close()
            raise httpx.ConnectError(str(exc) or type(exc).__name__) from exc
        return conn

    # -- one exchange -----------------------------------------------------------------------

    @staticmethod
    def _send(
        conn: http.client.HTTPConnection,
        request: httpx.Request,
        body: bytes,
        timeout: float | None,
    ) -> None:
        try:
            _settimeout(conn, timeout)
            target = request.url.raw_path.decode("ascii")
            conn.putrequest(request.method, target, skip_host=True, skip_accept_encoding=True)
            for name, value in request.headers.raw:
                conn.putheader(name.decode("latin-1"), value.decode("latin-1"))
            conn.endheaders(body or None)
        except TimeoutError as exc:
            raise httpx.WriteTimeout(str(exc) or "timed out sending") from exc
        except OSError as exc:
            raise httpx.WriteError(str(exc) or type(exc).__name__) from exc

    @staticmethod
    def _receive(
        conn: http.client.HTTPConnection, timeout: float | None
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]], bytes, bool]:
        try:
            _settimeout(conn, timeout)
            response = conn.getresponse()
            content = response.read()
        except TimeoutError as exc:
            raise httpx.ReadTimeout(str(exc) or "timed out reading") from exc
        except (http.client.IncompleteRead, http.client.RemoteDisconnected) as exc:
            raise httpx.RemoteProtocolError(
                f"the server closed the connection before a complete answer ({exc!r})"
            ) from exc
        except http.client.HTTPException as exc:  # a malformed status line or header
            raise httpx.RemoteProtocolError(f"malformed answer ({exc!r})") from exc
        except OSError as exc:  # reset
            raise httpx.ReadError(str(exc) or type(exc).__name__) from exc
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.getheaders()]
        return response.status, response.reason.encode("latin-1"), headers, content, (
            not response.will_close
        )


def _settimeout(conn: http.client.HTTPConnection, timeout: float | None) -> None:
    if conn.sock is not None:
        conn.sock.settimeout(timeout)


def _closed_by_peer(conn: http.client.HTTPConnection) -> bool:
    """Whether an idle connection is unusable: its socket is gone, or readable (the server
    closed it, or sent something no request asked for)."""
    sock: Any = conn.sock
    if sock is None:
        return True
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)
