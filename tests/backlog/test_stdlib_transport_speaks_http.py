"""The client's transport on ``http.client`` against a real server on loopback: kept-alive
connections reused, one the server closed while idle replaced, bodies and headers both ways,
gzip decoded, and each failure raised as the httpx exception of the same meaning (which the
client maps to its retryable network errors)."""

from __future__ import annotations

import gzip
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest

from backlog_connector.backlog.stdlib_transport import StdlibTransport

Handler = Callable[[socket.socket, bytes], bool]  # (connection, request head+body) -> keep open


@contextmanager
def server(answer: Handler) -> Iterator[tuple[str, list[int]]]:
    """A loopback HTTP/1.1 server: ``answer`` writes each response; yields the base URL and a
    list that grows by one per accepted connection."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[int] = []

    def serve_one(conn: socket.socket) -> None:
        with conn:
            buffer = b""
            while True:
                while b"\r\n\r\n" not in buffer:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                head, _, rest = buffer.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(rest) < length:
                    rest += conn.recv(65536)
                buffer = rest[length:]
                if not answer(conn, head + b"\r\n\r\n" + rest[:length]):
                    return

    def loop() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            accepted.append(1)
            threading.Thread(target=serve_one, args=(conn,), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", accepted
    finally:
        listener.close()


def ok(body: bytes, *extra: str) -> bytes:
    head = ["HTTP/1.1 200 OK", f"Content-Length: {len(body)}", *extra]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def echo(conn: socket.socket, request: bytes) -> bool:
    conn.sendall(ok(request, "Content-Type: text/plain"))
    return True


def test_requests_reuse_one_kept_alive_connection_and_carry_headers_and_bodies() -> None:
    with server(echo) as (base, accepted), httpx.Client(transport=StdlibTransport()) as client:
        for n in range(5):
            answer = client.post(f"{base}/api/v2/x?n={n}", content=b"a=1&b=%E6%97%A5",
                                 headers={"X-Test": "yes"})  # fmt: skip
            assert answer.status_code == 200
            assert answer.content.startswith(f"POST /api/v2/x?n={n} HTTP/1.1".encode())
            assert b"\r\nx-test: yes\r\n" in answer.content.lower()
            assert answer.content.endswith(b"\r\n\r\na=1&b=%E6%97%A5")
        assert len(accepted) == 1


def test_a_connection_the_server_closed_while_idle_is_replaced() -> None:
    def once(conn: socket.socket, request: bytes) -> bool:
        conn.sendall(ok(b"done"))
        return False  # close after each answer, without saying so (no Connection: close)

    with server(once) as (base, accepted), httpx.Client(transport=StdlibTransport()) as client:
        first = client.get(f"{base}/a")
        threading.Event().wait(0.2)  # the server's close reaches the idle connection
        second = client.get(f"{base}/b")
        assert (first.text, second.text) == ("done", "done")
        assert len(accepted) == 2


def test_gzip_answers_are_decoded() -> None:
    payload = b'[{"id": 1, "summary": "\xe6\x97\xa5\xe6\x9c\xac"}]' * 100

    def gz(conn: socket.socket, request: bytes) -> bool:
        conn.sendall(ok(gzip.compress(payload), "Content-Encoding: gzip"))
        return True

    with server(gz) as (base, _), httpx.Client(transport=StdlibTransport()) as client:
        assert client.get(f"{base}/").content == payload


def test_a_truncated_body_is_a_protocol_error() -> None:
    def short(conn: socket.socket, request: bytes) -> bool:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part")
        return False

    with (
        server(short) as (base, _),
        httpx.Client(transport=StdlibTransport()) as client,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        client.get(f"{base}/")


def test_a_silent_server_is_a_read_timeout() -> None:
    def silent(conn: socket.socket, request: bytes) -> bool:
        threading.Event().wait(2)
        return False

    with (
        server(silent) as (base, _),
        httpx.Client(transport=StdlibTransport(), timeout=0.3) as client,
        pytest.raises(httpx.ReadTimeout),
    ):
        client.get(f"{base}/")


def test_a_refused_connection_is_a_connect_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    with httpx.Client(transport=StdlibTransport()) as client, pytest.raises(httpx.ConnectError):
        client.get(f"http://127.0.0.1:{port}/")


def test_other_schemes_are_refused() -> None:
    with pytest.raises(httpx.UnsupportedProtocol):
        StdlibTransport().handle_request(httpx.Request("GET", "ftp://127.0.0.1/"))
