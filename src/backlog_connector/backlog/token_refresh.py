"""OAuth access-token refresh: the token half of :class:`.BacklogClient`.

A token due to expire is refreshed before a call; a 401 ``invalid_token`` answer refreshes it
once (forced) and the call is tried again. One refresh at a time per token (its lock).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlsplit

import httpx
import orjson

from backlog_connector.backlog.address import SpaceAddress
from backlog_connector.backlog.budget import BudgetRegistry
from backlog_connector.backlog.credentials import Credentials, OAuthToken
from backlog_connector.backlog.error_map import BacklogErrorBody, error_for_response
from backlog_connector.backlog.errors import (
    AuthenticationError,
    BadResponseError,
    InvalidAddressError,
)
from backlog_connector.backlog.redact import Redactor
from backlog_connector.backlog.responses import retry_after

logger = logging.getLogger("backlog_connector.backlog")

#: category under which token-endpoint calls are counted (Backlog does not rate-limit them)
OAUTH = "oauth"


class CallState:
    """Book-keeping of one logical call across its attempts."""

    __slots__ = ("budget_wait", "cuts", "refreshed", "started")

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.budget_wait = 0.0
        self.refreshed = False
        #: attempts given up at their learnt deadline (see :mod:`.deadlines`)
        self.cuts = 0

    def elapsed(self) -> float:
        return time.monotonic() - self.started - self.budget_wait


class TokenRefresh:
    """Refreshing the client's :class:`.OAuthToken` through the space's token endpoint."""

    address: SpaceAddress
    credentials: Credentials
    account_name: str
    budgets: BudgetRegistry
    _redact: Redactor
    _token_url: str | None

    if TYPE_CHECKING:

        def _send(
            self,
            method: str,
            path: str,
            query: list[tuple[str, str]],
            form: list[tuple[str, str]] | None,
            *,
            url: str | None = None,
            auth: bool = True,
            timeout: httpx.Timeout | None = None,
        ) -> tuple[httpx.Response, float]: ...

        def _account(
            self,
            method: str,
            path: str,
            query: list[tuple[str, str]],
            category: str,
            response: httpx.Response,
            seconds: float,
        ) -> Any: ...

        def _who(self) -> str: ...

    def _check_token_url(self, credentials: Credentials) -> str | None:
        if not isinstance(credentials, OAuthToken):
            return None
        url = credentials.token_url or self.address.api_url + "/oauth2/token"
        own = urlsplit(self.address.base_url)
        parts = urlsplit(url)
        if (parts.scheme, parts.netloc) != (own.scheme, own.netloc):
            raise InvalidAddressError(
                f"The OAuth token URL is not on the space's host {self.address.fqdn}; "
                "leave token_url unset or point it at the same host."
            )
        return url

    def _refresh_if_due(self, state: CallState) -> None:
        token = self.credentials
        if isinstance(token, OAuthToken) and token.needs_refresh():
            self._refresh(state, force=False)

    def _refresh(self, state: CallState, *, force: bool) -> None:
        token = self.credentials
        if not isinstance(token, OAuthToken) or self._token_url is None:
            return
        before = token.access_token
        with token.lock:
            if token.access_token != before or (not force and not token.needs_refresh()):
                return  # another thread refreshed meanwhile
            response, seconds = self._send(
                "POST",
                "/oauth2/token",
                [],
                list(token.refresh_form().items()),
                url=self._token_url,
                auth=False,
            )
            self._account("POST", "/oauth2/token", [], OAUTH, response, seconds)
            if response.status_code != 200:
                self._token_refresh_failed(response)
            try:
                data = orjson.loads(response.content)
            except orjson.JSONDecodeError:
                raise BadResponseError(
                    f"The OAuth token endpoint answered with a non-JSON body for {self._who()}; "
                    "a later attempt should succeed.",
                    account=self.account_name or None,
                ) from None
            token.apply_token_response(data)
            state.refreshed = True
            self._redact.add(*token.secrets())
            logger.info("refreshed the OAuth access token of %s", self._who())

    def _token_refresh_failed(self, response: httpx.Response) -> NoReturn:
        if response.status_code >= 500 or response.status_code == 429:
            raise error_for_response(
                response.status_code,
                response.content,
                account=self.account_name,
                what="POST /oauth2/token",
                retry_after=retry_after(response, margin=self.budgets.margin),
                redact=self._redact,
            )
        parsed = BacklogErrorBody.parse(response.content)
        raise AuthenticationError(
            f"Refreshing the OAuth token of {self._who()} failed (HTTP {response.status_code}); "
            "authorise the application again to get new tokens.",
            account=self.account_name or None,
            status=response.status_code,
            backlog_message=self._redact(parsed.message) if parsed.message else None,
        )
