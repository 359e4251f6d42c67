"""An httpx transport on the standard library's ``http.client``: the client's requests and
answers stay httpx objects, but each exchange costs about half the CPU of httpx's own transport
(httpcore and h11 parse every response in Python; ``http.client`` reads a body with a few C
calls). On a sync's read-ahead thread that CPU is time the other threads wait for the GIL.

Kept-alive connections are pooled per origin (at most ``MAX_IDLE`` each) and taken by one
request at a time. One idle for longer than ``KEEPALIVE_EXPIRY`` seconds (as httpcore's
default), or readable while idle (the server closed it, or sent what no request asked for), is
dropped before reuse. An answer ``http.client`` cannot keep in step with (an informational 1xx
other than 100, two different ``Content-Length``s) fails and its connection is closed.

Failures surface as httpx's exceptions of the same meaning: ``ConnectError``/``ConnectTimeout``
before anything was sent, ``LocalProtocolError`` for a request that cannot be sent as given,
``WriteError``/``WriteTimeout`` while sending, ``ReadTimeout``, ``ReadError`` and
``RemoteProtocolError`` while reading. No message carries a header value or the URL.
"""

from __future__ import annotations

import http.client
import select
import ssl
import threading
import time

import httpx

Origin = tuple[str, str, int]
_DEFAULT_PORTS = {"http": 80, "https": 443}
#: seconds an idle connection is kept for reuse (httpx's default keep-alive expiry)
KEEPALIVE_EXPIRY = 5.0
#: idle connections kept per origin
MAX_IDLE = 20
_Answer = tuple[int, bytes, list[tuple[bytes, bytes]], bytes, bool]


class StdlibTransport(httpx.BaseTransport):
    """HTTP/1.1 over ``http.client`` with a pool of kept-alive connections per origin."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self._ssl_context = ssl_context
        self._idle: dict[Origin, list[tuple[http.client.HTTPConnection, float]]] = {}
        self._lock = threading.Lock()
        self._closed = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` and read its whole answer."""
        url = request.url
        if url.scheme not in _DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {url.scheme!r}")
        # the host as sent (IDNA-encoded): http.client would encode a Unicode name again by
        # IDNA 2003 rules, which can name another host than the URL's
        host = url.raw_host.decode("ascii")
        origin: Origin = (url.scheme, host, url.port or _DEFAULT_PORTS[url.scheme])
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        body = request.read()
        chunked = "transfer-encoding" in request.headers
        conn = self._checkout(origin, timeouts.get("connect"))
        try:
            _send(conn, request, body, chunked, timeouts.get("write"))
            status, reason, headers, content, reusable = _receive(conn, timeouts.get("read"))
        except BaseException:
            conn.close()
            raise
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
        """Close every pooled connection; connections in use close when their request ends."""
        with self._lock:
            self._closed = True
            pools, self._idle = self._idle, {}
        for connections in pools.values():
            for conn, _since in connections:
                conn.close()

    # -- connections ----------------------------------------------------------------------

    def _checkout(self, origin: Origin, connect: float | None) -> http.client.HTTPConnection:
        while True:
            with self._lock:
                pool = self._idle.get(origin)
                conn, since = pool.pop() if pool else (None, 0.0)
            if conn is None:
                return self._connect(origin, connect)
            if time.monotonic() - since <= KEEPALIVE_EXPIRY and not _closed_by_peer(conn):
                return conn
            conn.close()

    def _checkin(self, origin: Origin, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            pool = self._idle.setdefault(origin, [])
            if not self._closed and len(pool) < MAX_IDLE:
                pool.append((conn, time.monotonic()))
                return
        conn.close()

    def _connect(self, origin: Origin, timeout: float | None) -> http.client.HTTPConnection:
        scheme, host, port = origin
        conn: http.client.HTTPConnection
        if scheme == "https":
            if self._ssl_context is None:
                self._ssl_context = httpx.create_ssl_context()  # as httpx's own transport
            conn = http.client.HTTPSConnection(
                host, port, timeout=timeout, context=self._ssl_context
            )
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


def _send(
    conn: http.client.HTTPConnection,
    request: httpx.Request,
    body: bytes,
    chunked: bool,
    timeout: float | None,
) -> None:
    target = request.url.raw_path.decode("ascii")
    try:
        conn.putrequest(request.method, target, skip_host=True, skip_accept_encoding=True)
        for name, value in request.headers.raw:
            conn.putheader(name.decode("latin-1"), value.decode("latin-1"))
    except (ValueError, http.client.HTTPException) as exc:  # a control character, say
        raise httpx.LocalProtocolError(
            f"the request cannot be sent as given ({type(exc).__name__}); a header name or "
            "value holds a character HTTP does not allow"
        ) from None  # the message would hold the value: perhaps a token
    try:
        _settimeout(conn, timeout)
        conn.endheaders(body or None, encode_chunked=chunked)
    except TimeoutError as exc:
        raise httpx.WriteTimeout(str(exc) or "timed out sending") from exc
    except OSError as exc:
        raise httpx.WriteError(str(exc) or type(exc).__name__) from exc


def _receive(conn: http.client.HTTPConnection, timeout: float | None) -> _Answer:
    response: http.client.HTTPResponse | None = None
    try:
        _settimeout(conn, timeout)
        response = conn.getresponse()
        if response.status < 200:
            raise httpx.RemoteProtocolError(
                f"informational answer {response.status} that this transport does not follow"
            )
        lengths = set(response.msg.get_all("content-length") or ())
        if len(lengths) > 1:
            raise httpx.RemoteProtocolError("the answer gives two different Content-Lengths")
        content = response.read()
    except TimeoutError as exc:
        _close(response)
        raise httpx.ReadTimeout(str(exc) or "timed out reading") from exc
    except (http.client.IncompleteRead, http.client.RemoteDisconnected) as exc:
        _close(response)
        raise httpx.RemoteProtocolError(
            f"the server closed the connection before a complete answer ({type(exc).__name__})"
        ) from exc
    except (http.client.HTTPException, ValueError, OverflowError, MemoryError) as exc:
        _close(response)  # a malformed status line, header or length
        raise httpx.RemoteProtocolError(f"malformed answer ({type(exc).__name__})") from exc
    except OSError as exc:  # reset
        _close(response)
        raise httpx.ReadError(str(exc) or type(exc).__name__) from exc
    except BaseException:
        _close(response)
        raise
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.getheaders()]
    reason = response.reason.encode("latin-1", "replace")
    return response.status, reason, headers, content, not response.will_close


def _close(response: http.client.HTTPResponse | None) -> None:
    # a response that will close owns the socket: closing the connection alone leaves it open
    if response is not None:
        response.close()


def _settimeout(conn: http.client.HTTPConnection, timeout: float | None) -> None:
    if conn.sock is not None:
        conn.sock.settimeout(timeout)


def _closed_by_peer(conn: http.client.HTTPConnection) -> bool:
    """Whether an idle connection is unusable: its socket is gone, or readable (the server
    closed it, or sent something no request asked for)."""
    if conn.sock is None:
        return True
    poller = select.poll()  # not select(): it fails for descriptors past 1023
    try:
        poller.register(conn.sock, select.POLLIN | select.POLLPRI)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True
