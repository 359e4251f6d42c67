"""A code exchange that cannot even connect (refused, or no answer to the connection within the
timeout) was never sent: it is a retryable network error marked unsent, like the client's."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from backlog_connector.backlog.address import SpaceAddress
from backlog_connector.backlog.errors import NetworkError
from backlog_connector.backlog.oauth import exchange_code


@pytest.fixture
def unanswered_port() -> Iterator[int]:
    """A port whose accept queue is full: a further connection gets no answer."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    waiting = []
    for _ in range(3):  # fill the queue (never accepted)
        client = socket.socket()
        client.setblocking(False)
        client.connect_ex(("127.0.0.1", port))
        waiting.append(client)
    try:
        yield port
    finally:
        for client in waiting:
            client.close()
        listener.close()


def _exchange(port: int) -> None:
    exchange_code(
        SpaceAddress.parse_base_url(f"http://127.0.0.1:{port}"),
        "code",
        client_id="id",
        client_secret="secret",
        redirect_uri="http://127.0.0.1/cb",
        timeout=0.5,
    )


def test_a_connect_timeout_is_unsent(unanswered_port: int) -> None:
    with pytest.raises(NetworkError) as failed:
        _exchange(unanswered_port)
    assert "ConnectTimeout" in str(failed.value)
    assert failed.value.request_sent is False


def test_a_refused_connection_is_unsent() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(NetworkError) as failed:
        _exchange(port)
    assert failed.value.request_sent is False
