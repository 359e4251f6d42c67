"""The Backlog client: the one place that sends requests to a space.

It paces itself on the per-user rate limits (see :mod:`.budget`), retries transient failures
(:mod:`.retry`), maps error answers onto the error tree (:mod:`.error_map`), pages through lists
(:mod:`.paging`), counts everything (:class:`.stats.RequestStats`) and never shows a secret.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, NoReturn
from urllib.parse import urlencode, urlsplit

import httpx
import orjson

from backlog_connector.backlog.address import SpaceAddress
from backlog_connector.backlog.budget import (
    BudgetRegistry,
    RateLimitHeaders,
    category_for,
    shared,
)
from backlog_connector.backlog.credentials import ApiKey, Credentials, OAuthToken
from backlog_connector.backlog.error_map import BacklogErrorBody, error_for_response
from backlog_connector.backlog.errors import (
    AuthenticationError,
    BadResponseError,
    CancelledError,
    InvalidAddressError,
    InvalidOptionError,
    NetworkError,
    RateLimitedError,
    RetryLaterError,
)
from backlog_connector.backlog.paging import IdCursorPaginator, OffsetPaginator, Paginator, Row
from backlog_connector.backlog.params import Params, encode_params, without
from backlog_connector.backlog.redact import Redactor, redact_url
from backlog_connector.backlog.responses import (
    TokenRejected,
    parse_json,
    raise_for_error,
    retry_after,
)
from backlog_connector.backlog.retry import RetryBudget, RetryPolicy
from backlog_connector.backlog.stats import (
    Event,
    Listener,
    RequestDone,
    RequestStats,
    Retrying,
    WaitingForBudget,
)
from backlog_connector.backlog.transport import http_client

logger = logging.getLogger("backlog_connector.backlog")

#: category under which token-endpoint calls are counted (Backlog does not rate-limit them)
OAUTH = "oauth"
_WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})


def user_key_for(address: SpaceAddress, myself: dict[str, Any]) -> str:
    """The budget key of a Backlog user: ``"<fqdn>:<numeric user id>"`` (from ``/users/myself``)."""
    return f"{address.fqdn}:{myself['id']}"


class _CallState:
    """Book-keeping of one logical call across its attempts."""

    __slots__ = ("budget_wait", "refreshed", "started")

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.budget_wait = 0.0
        self.refreshed = False

    def elapsed(self) -> float:
        return time.monotonic() - self.started - self.budget_wait


class BacklogClient:
    """A client of one Backlog space, for one account (address + credentials).

    ``budgets`` defaults to the process-global registry, so every client of the same Backlog
    user shares one rate budget and one request lock. ``user_key`` names that user
    (:func:`user_key_for`); when None it is resolved with one ``GET /users/myself`` on first
    use. ``listener`` receives :mod:`.stats` events for progress displays. ``cancel``, when
    set, stops the client between requests and cuts budget and backoff waits short
    (``CancelledError``). ``transport`` is an httpx transport (tests). The client is thread-safe.
    """

    def __init__(
        self,
        address: SpaceAddress,
        credentials: Credentials,
        *,
        account_name: str = "",
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        budgets: BudgetRegistry | None = None,
        user_key: str | None = None,
        timeout: float = 30.0,
        listener: Listener | None = None,
        cancel: threading.Event | None = None,
        retry_budget: RetryBudget | None = None,
    ) -> None:
        if not isinstance(address, SpaceAddress):
            raise InvalidAddressError(
                "BacklogClient needs a SpaceAddress; build it with SpaceAddress.parse_fqdn(...) "
                "or SpaceAddress.parse_base_url(...)."
            )
        if not isinstance(credentials, ApiKey | OAuthToken):
            raise InvalidOptionError(
                "BacklogClient needs ApiKey(...) or OAuthToken(...) credentials."
            )
        if timeout <= 0:
            raise InvalidOptionError(f"timeout is {timeout}; use a positive number of seconds.")
        self.address = address
        self.credentials = credentials
        self.account_name = account_name
        self.retry = retry or RetryPolicy()
        self.retry_budget = retry_budget
        self.budgets = budgets or shared()
        self.listener = listener
        self.cancel = cancel
        self.stats = RequestStats()
        self._user_key = user_key
        self._user_key_lock = threading.Lock()
        self._unpaced_headers: tuple[RateLimitHeaders, float, float] | None = None
        self._redact = Redactor(credentials.secrets())
        self._token_url = self._check_token_url(credentials)
        self._http = http_client(credentials, transport, timeout)

    # -- public surface -------------------------------------------------------------------

    @property
    def user_key(self) -> str:
        """The budget key of the Backlog user behind the credentials (resolved on first use)."""
        return self._resolve_user_key()

    def get(self, path: str, params: Params | None = None) -> Any:
        """``GET /api/v2{path}``; returns the parsed JSON."""
        return self._call("GET", path, params, None)

    def post(self, path: str, data: Params | None = None) -> Any:
        """``POST /api/v2{path}`` with a form body; returns the parsed JSON."""
        return self._call("POST", path, None, data)

    def patch(self, path: str, data: Params | None = None) -> Any:
        """``PATCH /api/v2{path}`` with a form body; returns the parsed JSON."""
        return self._call("PATCH", path, None, data)

    def delete(self, path: str, data: Params | None = None) -> Any:
        """``DELETE /api/v2{path}``; returns the parsed JSON."""
        return self._call("DELETE", path, None, data)

    def paginate(
        self, path: str, params: Params | None, paginator: Paginator
    ) -> Iterator[list[Row]]:
        """Yield the pages of a list endpoint as lists of rows, as ``paginator`` walks it."""
        base = without(encode_params(params), paginator.owned)
        self._align_walk(path)
        while paginator.has_next:
            page = self.get(path, base + paginator.page_params())
            if not isinstance(page, list):
                raise BadResponseError(
                    f"GET {path} answered with a {type(page).__name__} where a list was "
                    "expected; try again later, or report it if it persists.",
                    account=self.account_name or None,
                )
            rows = paginator.take(page)
            if rows:
                yield rows

    def iter_offset(
        self, path: str, params: Params | None = None, *, page_size: int = 100
    ) -> Iterator[list[Row]]:
        """Pages of an ``offset``/``count`` list (issues, teams) until a short page."""
        return self.paginate(path, params, OffsetPaginator(page_size))

    def iter_ids(
        self,
        path: str,
        params: Params | None = None,
        *,
        order: str = "desc",
        min_id: int | None = None,
        max_id: int | None = None,
        page_size: int = 100,
    ) -> Iterator[list[Row]]:
        """Pages of an id-cursor list (activities, comments), each id once.

        ``min_id``/``max_id`` are exclusive bounds.
        """
        return self.paginate(path, params, IdCursorPaginator(order, min_id, max_id, page_size))

    def myself(self) -> dict[str, Any]:
        """``GET /users/myself``: the Backlog user behind the credentials."""
        me = self.get("/users/myself")
        if not isinstance(me, dict) or not isinstance(me.get("id"), int):
            raise BadResponseError(
                "GET /users/myself answered without a user id; try again later.",
                account=self.account_name or None,
            )
        if self._user_key is None:
            self._user_key = user_key_for(self.address, me)
            self._adopt_unpaced_headers()
        return me

    def rate_limit(self) -> dict[str, Any]:
        """``GET /rateLimit``: ``{category: {"limit", "remaining", "reset"}}``."""
        data = self.get("/rateLimit")
        inner = data.get("rateLimit") if isinstance(data, dict) else None
        if not isinstance(inner, dict):
            raise BadResponseError(
                "GET /rateLimit answered without a rateLimit object; try again later.",
                account=self.account_name or None,
            )
        return inner

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    def __enter__(self) -> BacklogClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"BacklogClient(account={self.account_name!r}, base_url={self.address.base_url!r}, "
            f"credentials={self.credentials!r})"
        )

    # -- one logical call: attempts, refresh, retries ---------------------------------------

    def _call(self, method: str, path: str, params: Params | None, data: Params | None) -> Any:
        self._check_path(path)
        query = encode_params(params)
        form = encode_params(data) if data is not None else None
        state = _CallState()
        failures = 0
        while True:
            self._check_cancel()
            try:
                self._refresh_if_due(state)
                return self._attempt(method, path, query, form, state)
            except TokenRejected as rejected:
                if state.refreshed:
                    raise rejected.error from None
                self._refresh(state, force=True)
            except RetryLaterError as err:
                failures += 1
                delay = self._retry_delay(method, err, failures, state)
                if delay is None:
                    err.attempts = failures
                    logger.warning("%s", self._redact(str(err)))
                    raise
                self.stats.add_retry(delay)
                self._emit(Retrying(failures, delay, self._redact(str(err))))
                logger.info(
                    "attempt %d of %s %s failed (%s); retrying in %.2f s",
                    failures,
                    method,
                    path,
                    type(err).__name__,
                    delay,
                )
                if delay > 0:
                    self._pause(delay, time.sleep)

    def _retry_delay(
        self, method: str, err: RetryLaterError, failures: int, state: _CallState
    ) -> float | None:
        if method in _WRITE_METHODS and not self.retry.retry_writes:
            unsent = isinstance(err, NetworkError) and not err.request_sent
            if not (unsent or isinstance(err, RateLimitedError)):
                return None
        return self.retry.decide(err, failures, state.elapsed(), self.retry_budget)

    def _attempt(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        form: list[tuple[str, str]] | None,
        state: _CallState,
    ) -> Any:
        category = category_for(method, path)
        if path == "/users/myself" and self._user_key is None:
            sent_at = self.budgets.clock()
            response, seconds = self._send_counted(method, path, query, form, category)
            headers = RateLimitHeaders.parse(response.headers)
            if headers is not None and response.status_code == 200:
                self._unpaced_headers = (headers, sent_at, self.budgets.clock())
            self._account(method, path, query, category, response, seconds)
            return self._interpret(method, path, response)
        user = self._resolve_user_key()
        host = self.address.fqdn
        lock = self.budgets.user_lock(host, user)
        budget = self.budgets.budget(host, user, category)
        while True:
            with lock:
                wait = budget.delay(self.budgets.clock())
                if wait <= 0:
                    budget.note_sent()
                    sent_at = self.budgets.clock()
                    response, seconds = self._send_counted(method, path, query, form, category)
                    headers = RateLimitHeaders.parse(response.headers)
                    if headers is not None and response.status_code != 429:
                        budget.observe(headers, sent_at, self.budgets.clock())
                    break
            state.budget_wait += wait
            self.stats.add_wait(wait)
            self._emit(WaitingForBudget(category, wait))
            logger.debug("waiting %.2f s for the %s budget of %s", wait, category, host)
            self._pause(wait, self.budgets.sleep)
        self._account(method, path, query, category, response, seconds)
        return self._interpret(method, path, response)

    # -- the wire ---------------------------------------------------------------------------

    def _send_counted(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        form: list[tuple[str, str]] | None,
        category: str,
    ) -> tuple[httpx.Response, float]:
        """:meth:`_send`, counting a request that failed on the wire as well."""
        try:
            return self._send(method, path, query, form)
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
            )
        except httpx.TransportError as exc:
            raise self._network_error(method, path, exc) from None
        return response, time.monotonic() - started

    def _network_error(self, method: str, path: str, exc: httpx.TransportError) -> NetworkError:
        detail = self._redact(str(exc)) or type(exc).__name__
        unsent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
        return NetworkError(
            f"{method} {path} failed for {self._who()}: network error "
            f"({type(exc).__name__}: {detail}); check that {self.address.fqdn} is reachable, "
            "a later run should succeed.",
            account=self.account_name or None,
            request_sent=not unsent,
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

    def _interpret(self, method: str, path: str, response: httpx.Response) -> Any:
        what = f"{method} {path}"
        if 200 <= response.status_code < 300:
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

    # -- OAuth --------------------------------------------------------------------------------

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

    def _refresh_if_due(self, state: _CallState) -> None:
        token = self.credentials
        if isinstance(token, OAuthToken) and token.needs_refresh():
            self._refresh(state, force=False)

    def _refresh(self, state: _CallState, *, force: bool) -> None:
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

    # -- pacing helpers -----------------------------------------------------------------------

    def _adopt_unpaced_headers(self) -> None:
        """Feed the rate headers of the ``/users/myself`` call that named the user to its budget."""
        if self._unpaced_headers is None or self._user_key is None:
            return
        headers, sent_at, received_at = self._unpaced_headers
        self._unpaced_headers = None
        host = self.address.fqdn
        with self.budgets.user_lock(host, self._user_key):
            budget = self.budgets.budget(host, self._user_key, category_for("GET", "/users/myself"))
            budget.observe(headers, sent_at, received_at)

    def _align_walk(self, path: str) -> None:
        user = self._resolve_user_key()
        host = self.address.fqdn
        if not self.budgets.limited(host, user):
            return
        with self.budgets.user_lock(host, user):
            self.budgets.budget(host, user, category_for("GET", path)).align_opening(
                self.budgets.clock()
            )

    # -- helpers ------------------------------------------------------------------------------

    def _resolve_user_key(self) -> str:
        if self._user_key is None:
            with self._user_key_lock:
                if self._user_key is None:
                    self.myself()
        assert self._user_key is not None
        return self._user_key

    def _check_path(self, path: str) -> None:
        if (
            not isinstance(path, str)
            or not path.startswith("/")
            or path.startswith("//")
            or any(ch in path for ch in "?#\\ ")
            or "://" in path
            or any(segment in (".", "..") for segment in path.split("/"))
        ):
            raise InvalidOptionError(
                f"{path!r} is not an API path; pass the path below /api/v2, e.g. '/issues', "
                "and the query as params."
            )

    def _check_cancel(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise CancelledError(f"{self._who()}: cancelled; no further request was sent.")

    def _pause(self, seconds: float, sleep: Callable[[float], None]) -> None:
        """Wait ``seconds`` (a backoff or the rate budget), ending early on cancel."""
        if self.cancel is None:
            sleep(seconds)
        else:
            self.cancel.wait(seconds)
        self._check_cancel()

    def _who(self) -> str:
        return f"account {self.account_name!r}" if self.account_name else self.address.fqdn

    def _emit(self, event: Event) -> None:
        if self.listener is None:
            return
        try:
            self.listener(event)
        except Exception:
            logger.exception("the progress listener failed; continuing")
