"""No request goes to a host the user did not name."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from backlog_connector.backlog.address import SpaceAddress
from backlog_connector.backlog.budget import BudgetRegistry
from backlog_connector.backlog.client import BacklogClient
from backlog_connector.backlog.credentials import ApiKey, OAuthToken
from backlog_connector.backlog.errors import InvalidAddressError


class _Server:
    """A loopback HTTP server that records the paths it was asked for."""

    def __init__(self, location: str | None = None) -> None:
        hits: list[str] = []
        self.hits = hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                if location is None:
                    body = b'{"id": 1}'
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                else:
                    body = b""
                    self.send_response(302)
                    self.send_header("Location", location)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers() -> Iterator[tuple[_Server, _Server]]:
    elsewhere = _Server()
    redirecting = _Server(location=elsewhere.url + "/api/v2/space")
    yield redirecting, elsewhere
    redirecting.close()
    elsewhere.close()


def test_redirects_are_not_followed(servers: tuple[_Server, _Server]) -> None:
    redirecting, elsewhere = servers
    client = BacklogClient(
        SpaceAddress.parse_base_url(redirecting.url),
        ApiKey("k" * 40),
        account_name="acme",
        user_key="u",
        budgets=BudgetRegistry(),
    )
    with client, pytest.raises(InvalidAddressError, match="redirect"):
        client.get("/space")
    assert redirecting.hits == ["/api/v2/space"]
    assert elsewhere.hits == []


@pytest.mark.parametrize("text", ["evil.example", "acme.backlog.com.evil.example", "http://x y"])
def test_foreign_and_malformed_hosts_are_refused_before_a_client_exists(text: str) -> None:
    with pytest.raises(InvalidAddressError):
        SpaceAddress.parse_fqdn(text)


def test_an_oauth_token_url_on_another_host_is_refused(servers: tuple[_Server, _Server]) -> None:
    redirecting, elsewhere = servers
    token = OAuthToken("a" * 20, "r" * 20, 0.0, "cid", "csecret", token_url=elsewhere.url + "/t")
    with pytest.raises(InvalidAddressError, match="token URL"):
        BacklogClient(SpaceAddress.parse_base_url(redirecting.url), token)
    assert elsewhere.hits == []
    assert redirecting.hits == []
