"""One HTTP exchange of :class:`.BacklogClient`: send it, count it, read its answer.

Sending maps transport failures to :class:`.NetworkError`; accounting feeds the request
statistics, the rate headers and the listener (URLs redacted); interpreting turns a 2xx body
into JSON and anything else into the exception of the error tree that it means.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx

from backlog_connector.backlog.address import SpaceAddress
from backlog_connector.backlog.budget import BudgetRegistry, RateLimitHeaders
from backlog_connector.backlog.credentials import Credentials, OAuthToken
from backlog_connector.backlog.errors import NetworkError
from backlog_connector.backlog.redact import Redactor, redact_url
from backlog_connector.backlog.responses import Decode, parse_json, raise_for_error
from backlog_connector.backlog.stats import Event, RequestDone, RequestStats
from backlog_connector.backlog.transport import may_have_been_sent

logger = logging.getLogger("backlog_connector.backlog")


class Wire:
    """Sending, accounting and interpreting one request (mixed into the client)."""

    address: SpaceAddress
    credentials: Credentials
    account_name: str
    budgets: BudgetRegistry
    stats: RequestStats
    _http: httpx.Client
    _redact: Redactor

    if TYPE_CHECKING:

        def _who(self) -> str: ...

        def _emit(self, event: Event) -> None: ...

    def _send_counted(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        form: list[tuple[str, str]] | None,
        category: str,
        timeout: httpx.Timeout | None = None,
    ) -> tuple[httpx.Response, float]:
        """:meth:`_send`, counting a request that failed on the wire as well."""
        try:
            return self._send(method, path, query, form, timeout=timeout)
        except NetworkError:
            self.stats.add_request(category, 0)
            raise

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
    ) -> tuple[httpx.Response, float]:
        target = url or self.address.api_url + path
        headers = self.credentials.headers() if auth else {}
        started = time.monotonic()
        try:
            response = self._http.request(
                method,
                target,
                params=httpx.QueryParams(tuple(query)) if query else None,
                content=urlencode(form).encode() if form is not None else None,
                headers={**headers, "Content-Type": "application/x-www-form-urlencoded"}
                if form is not None
                else headers,
                timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.TransportError as exc:
            raise self._network_error(method, path, exc) from None
        # httpx binds the read stream to its response (response -> stream -> response), a cycle
        # that only a garbage collection frees, with the page's bytes: a stream over the bytes
        # already read breaks it, so a page is freed once its rows are decoded.
        response.stream = httpx.ByteStream(response.content)
        return response, time.monotonic() - started

    def _network_error(self, method: str, path: str, exc: httpx.TransportError) -> NetworkError:
        detail = self._redact(str(exc)) or type(exc).__name__
        return NetworkError(
            f"{method} {path} failed for {self._who()}: network error "
            f"({type(exc).__name__}: {detail}); check that {self.address.fqdn} is reachable, "
            "a later run should succeed.",
            account=self.account_name or None,
            request_sent=may_have_been_sent(exc),
        )

    def _account(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        category: str,
        response: httpx.Response,
        seconds: float,
    ) -> None:
        size = len(response.content)
        self.stats.add_request(category, size)
        headers = RateLimitHeaders.parse(response.headers)
        if headers is not None:
            self.stats.add_rate_headers(category, headers.remaining, headers.reset)
        if response.status_code == 429:
            self.stats.add_rate_limited()
        target = httpx.URL(self.address.api_url + path, params=httpx.QueryParams(tuple(query)))
        shown = redact_url(str(target))
        shown = self._redact(shown)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s -> %d in %.0f ms, %d bytes, %s remaining %s",
                method,
                shown,
                response.status_code,
                seconds * 1000,
                size,
                category,
                headers.remaining if headers is not None else "?",
            )
        self._emit(
            RequestDone(
                method,
                shown,
                category,
                response.status_code,
                seconds,
                size,
                headers.remaining if headers is not None else None,
                headers.reset if headers is not None else None,
            )
        )

    def _interpret(
        self, method: str, path: str, response: httpx.Response, decode: Decode | None = None
    ) -> Any:
        what = f"{method} {path}"
        if 200 <= response.status_code < 300:
            if decode is not None and response.content:
                decoded = decode(response.content)
                if decoded is not None:
                    return decoded
            return parse_json(
                response, what=what, who=self._who(), account=self.account_name or None
            )
        raise_for_error(
            response,
            what=what,
            account=self.account_name,
            redact=self._redact,
            margin=self.budgets.margin,
            bearer=isinstance(self.credentials, OAuthToken),
        )
