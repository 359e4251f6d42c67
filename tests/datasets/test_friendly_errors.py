"""Low-level failure texts become messages a user can act on; unknown texts pass unchanged."""

from __future__ import annotations

import pytest

from backlog_connector.backlog.errors import NetworkError
from backlog_connector.datasets.friendly_errors import detail, friendly, friendly_message


def _network(detail_text: str, host: str = "acme.backlog.com") -> NetworkError:
    return NetworkError(
        f"GET /users/myself failed for account 'acme': network error ({detail_text}); check"
        f" that {host} is reachable, a later run should succeed."
    )


@pytest.mark.parametrize(
    ("low", "high"),
    [
        ("ConnectError: [Errno 111] Connection refused", "connection refused"),
        ("ConnectError: [Errno -2] Name or service not known", "the name does not resolve"),
        ("ConnectTimeout: timed out", "the connection timed out"),
        ("ConnectError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate", "its TLS certificate"),
        ("RemoteProtocolError: Server disconnected", "the connection was cut"),
    ],
)
def test_network_failures_are_translated(low: str, high: str) -> None:
    exc = _network(low)
    message = friendly(exc)
    assert message.startswith(f"cannot reach acme.backlog.com: {high}")
    assert "check the FQDN / --base-url, or your network" in message
    assert "Errno" not in message
    assert "GET /users/myself" not in message
    assert low in detail(exc)  # the log keeps it


def test_unknown_text_is_kept_and_secrets_masked() -> None:
    assert friendly_message("the dataset 'x' has no table") == "the dataset 'x' has no table"
    masked = friendly_message("failed: https://a.backlog.com/api/v2/space?apiKey=SECRET123")
    assert "SECRET123" not in masked
