"""The HTTP connection pool of a client (:mod:`.stdlib_transport`): no redirects, no proxies
from the environment, and the API key placed where the account asks for it."""

from __future__ import annotations

import httpx

from backlog_connector.backlog.credentials import ApiKey, Credentials
from backlog_connector.backlog.stdlib_transport import StdlibTransport

USER_AGENT = "backlog-connector/0.1 (+httpx)"


def may_have_been_sent(exc: httpx.TransportError) -> bool:
    """Whether a request that failed with ``exc`` may have reached the server: only a failure
    to connect (refused, or no connection within the timeout) proves it did not."""
    return not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)


class ApiKeyQueryTransport(httpx.BaseTransport):
    """Adds ``apiKey`` to the query on the way out, so no URL that httpx logs carries the key."""

    def __init__(self, inner: httpx.BaseTransport, key: str) -> None:
        self._inner = inner
        self._key = key

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        signed = httpx.Request(
            request.method,
            request.url.copy_add_param("apiKey", self._key),
            headers=request.headers,
            stream=request.stream,
            extensions=request.extensions,
        )
        return self._inner.handle_request(signed)

    def close(self) -> None:
        self._inner.close()

    def __repr__(self) -> str:
        return "ApiKeyQueryTransport(apiKey='***')"


def http_client(
    credentials: Credentials, transport: httpx.BaseTransport | None, timeout: float
) -> httpx.Client:
    """An httpx client that never follows a redirect (no request to a host the user did not
    name) and ignores proxy settings of the environment."""
    inner: httpx.BaseTransport = transport or StdlibTransport()
    if isinstance(credentials, ApiKey) and credentials.in_query:
        inner = ApiKeyQueryTransport(inner, credentials.key)
    return httpx.Client(
        transport=inner,
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
    )
