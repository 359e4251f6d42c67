"""The client's transport on ``http.client`` against a real server on loopback: kept-alive
connections reused, one the server closed while idle replaced, bodies and headers both ways,
gzip decoded, and each failure raised as the httpx exception of the same meaning (which the
client maps to its retryable network errors)."""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import pytest

from backlog_connector.backlog import stdlib_transport
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


def get_once(
    answer: Handler,
    *,
    headers: dict[str, str] | None = None,
    timeout: httpx.Timeout | float = 5.0,
) -> httpx.Response:
    """``GET /`` through a new transport from a server that answers with ``answer``."""
    with (
        server(answer) as (base, _),
        httpx.Client(transport=StdlibTransport(), timeout=timeout) as client,
    ):
        return client.get(f"{base}/", headers=headers)


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


def test_the_request_head_is_httpx_s_own_with_nothing_added() -> None:
    with server(echo) as (base, _), httpx.Client(transport=StdlibTransport()) as client:
        head = client.get(f"{base}/x?a=1").content.decode("latin-1")
    lines = head.split("\r\n")
    assert lines[0] == "GET /x?a=1 HTTP/1.1"
    names = [line.split(":", 1)[0].lower() for line in lines[1:] if line]
    assert names.count("host") == 1
    assert names.count("accept-encoding") == 1
    assert "identity" not in head.lower()  # http.client's own Accept-Encoding is not sent


def test_answers_stay_with_their_requests_across_threads() -> None:
    with server(echo) as (base, _), httpx.Client(transport=StdlibTransport()) as client:

        def ask(n: int) -> bool:
            return client.get(f"{base}/n/{n}").content.startswith(f"GET /n/{n} ".encode())

        with ThreadPoolExecutor(4) as pool:
            assert all(pool.map(ask, range(200)))


def test_an_informational_answer_fails_and_does_not_shift_later_answers() -> None:
    def early_hints(conn: socket.socket, request: bytes) -> bool:
        if request.startswith(b"GET /hint "):
            conn.sendall(b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n")
            time.sleep(0.05)
        conn.sendall(ok(request.split(b"\r\n", 1)[0]))
        return True

    with server(early_hints) as (base, _), httpx.Client(transport=StdlibTransport()) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.get(f"{base}/hint")
        assert client.get(f"{base}/next").text == "GET /next HTTP/1.1"


def test_idle_connections_expire(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stdlib_transport, "KEEPALIVE_EXPIRY", 0.1)
    with server(echo) as (base, accepted), httpx.Client(transport=StdlibTransport()) as client:
        client.get(f"{base}/a")
        client.get(f"{base}/b")
        time.sleep(0.3)
        client.get(f"{base}/c")
        assert len(accepted) == 2


def test_two_content_lengths_are_a_protocol_error() -> None:
    def twice(conn: socket.socket, request: bytes) -> bool:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 4\r\n\r\nokok")
        return True

    with pytest.raises(httpx.RemoteProtocolError):
        get_once(twice)


def test_a_header_value_http_does_not_allow_is_refused_without_showing_it() -> None:
    with pytest.raises(httpx.LocalProtocolError) as refused:
        get_once(echo, headers={"Authorization": "Bearer s3cret\nX: y"})
    assert "s3cret" not in str(refused.value)


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

    assert get_once(gz).content == payload


def test_a_truncated_body_is_a_protocol_error() -> None:
    def short(conn: socket.socket, request: bytes) -> bool:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part")
        return False

    with pytest.raises(httpx.RemoteProtocolError):
        get_once(short)


def test_a_silent_server_is_a_read_timeout_of_the_read_phase() -> None:
    def silent(conn: socket.socket, request: bytes) -> bool:
        threading.Event().wait(3)
        return False

    timeout = httpx.Timeout(5.0, read=0.3)  # the connect and write timeouts are longer
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        get_once(silent, timeout=timeout)
    assert time.monotonic() - started < 2


def test_a_refused_connection_is_a_connect_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    with httpx.Client(transport=StdlibTransport()) as client, pytest.raises(httpx.ConnectError):
        client.get(f"http://127.0.0.1:{port}/")


def test_other_schemes_are_refused() -> None:
    with pytest.raises(httpx.UnsupportedProtocol):
        StdlibTransport().handle_request(httpx.Request("GET", "ftp://127.0.0.1/"))
