"""OAuth 2.0 authorisation-code flow against a space: the consent URL and the code exchange.

Refreshing is the client's job (:class:`~backlog_connector.backlog.client.BacklogClient` refreshes
ahead of expiry and once on a 401 ``invalid_token``).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

import httpx
import orjson

from backlog_connector.backlog.address import SpaceAddress
from backlog_connector.backlog.credentials import OAuthToken
from backlog_connector.backlog.error_map import BacklogErrorBody
from backlog_connector.backlog.errors import (
    AuthenticationError,
    BadResponseError,
    NetworkError,
    ServerError,
)
from backlog_connector.backlog.redact import Redactor
from backlog_connector.backlog.transport import may_have_been_sent


def token_url(address: SpaceAddress) -> str:
    """The space's token endpoint."""
    return address.api_url + "/oauth2/token"


def authorization_url(
    address: SpaceAddress, client_id: str, redirect_uri: str, state: str | None = None
) -> str:
    """Where to send the user's browser to approve the application."""
    query = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri}
    if state is not None:
        query["state"] = state
    return f"{address.base_url}/OAuth2AccessRequest.action?{urlencode(query)}"


def exchange_code(
    address: SpaceAddress,
    code: str,
    *,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    on_refresh: Callable[[OAuthToken], None] | None = None,
    transport: httpx.BaseTransport | None = None,
    timeout: float = 30.0,
) -> OAuthToken:
    """Trade an authorisation code for tokens (``grant_type=authorization_code``).

    Raises :class:`AuthenticationError` when the space refuses the code or the client, and a
    :class:`RetryLaterError` subclass for transient failures.
    """
    redact = Redactor([code, client_secret])
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": client_id,
        "client_secret": client_secret,
    }
    with httpx.Client(
        transport=transport, timeout=timeout, follow_redirects=False, trust_env=False
    ) as http:
        try:
            response = http.post(token_url(address), data=form)
        except httpx.TransportError as exc:
            raise NetworkError(
                f"The OAuth code exchange with {address.fqdn} failed: {type(exc).__name__} "
                f"({redact(str(exc))}); try again.",
                request_sent=may_have_been_sent(exc),
            ) from None
    if response.status_code >= 500:
        raise ServerError(
            f"{address.fqdn} answered the OAuth code exchange with HTTP {response.status_code}; "
            "try again later.",
            status=response.status_code,
        )
    if response.status_code != 200:
        parsed = BacklogErrorBody.parse(response.content)
        raise AuthenticationError(
            f"{address.fqdn} refused the OAuth code exchange (HTTP {response.status_code}); "
            "check client id, client secret and redirect URI, then authorise again.",
            status=response.status_code,
            backlog_message=redact(parsed.message) if parsed.message else None,
        )
    try:
        data = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        raise BadResponseError(
            f"{address.fqdn} answered the OAuth code exchange with a non-JSON body; try again."
        ) from None
    if not isinstance(data, dict):
        raise BadResponseError(
            f"{address.fqdn} answered the OAuth code exchange with an unexpected body; try again."
        )
    return OAuthToken.from_token_response(
        data, client_id=client_id, client_secret=client_secret, on_refresh=on_refresh
    )
