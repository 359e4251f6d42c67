"""The Backlog client: the one place that sends requests to a space.

It paces itself on the per-user rate limits (see :mod:`.budget`), retries transient failures
(:mod:`.retry`), maps error answers onto the error tree (:mod:`.error_map`), pages through
lists (:mod:`.walks`, :mod:`.paging`), refreshes OAuth tokens (:mod:`.token_refresh`), counts
everything (:class:`.stats.RequestStats`) and never shows a secret.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import httpx

from backlog_connector.backlog.address import SpaceAddress
from backlog_connector.backlog.budget import (
    BudgetRegistry,
    RateLimitHeaders,
    category_for,
    shared,
)
from backlog_connector.backlog.credentials import ApiKey, Credentials, OAuthToken
from backlog_connector.backlog.deadlines import AnswerDeadlines, shape_of
from backlog_connector.backlog.errors import (
    BadResponseError,
    CancelledError,
    InvalidAddressError,
    InvalidOptionError,
    NetworkError,
    RateLimitedError,
    RetryLaterError,
)
from backlog_connector.backlog.ledger import RateLedger
from backlog_connector.backlog.pacing import Pacer
from backlog_connector.backlog.params import Params, check_api_path, encode_params
from backlog_connector.backlog.redact import Redactor
from backlog_connector.backlog.responses import (
    Decode,
    TokenRejected,
)
from backlog_connector.backlog.retry import RetryBudget, RetryPolicy
from backlog_connector.backlog.stats import (
    Event,
    Listener,
    RequestStats,
    Retrying,
    WaitingForBudget,
)
from backlog_connector.backlog.token_refresh import CallState, TokenRefresh
from backlog_connector.backlog.transport import http_client
from backlog_connector.backlog.walks import ListWalks
from backlog_connector.backlog.wire import Wire

logger = logging.getLogger("backlog_connector.backlog")

_WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})


def user_key_for(address: SpaceAddress, myself: dict[str, Any]) -> str:
    """The budget key of a Backlog user: ``"<fqdn>:<numeric user id>"`` (from ``/users/myself``)."""
    return f"{address.fqdn}:{myself['id']}"


class BacklogClient(ListWalks, TokenRefresh, Wire):
    """A client of one Backlog space, for one account (address + credentials).

    ``budgets`` defaults to the process-global registry, so every client of the same Backlog
    user shares one rate budget and one request lock. ``user_key`` names that user
    (:func:`user_key_for`); when None it is resolved with one ``GET /users/myself`` on first
    use. ``listener`` receives :mod:`.stats` events for progress displays. ``cancel``, when
    set, stops the client between requests and cuts budget and backoff waits short
    (``CancelledError``). ``ledger``, when given, replaces the in-process pacing: every request
    is granted by that shared budget (see :mod:`.ledger`). ``transport`` is an httpx transport
    (tests). The client is thread-safe.
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
        ledger: RateLedger | None = None,
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
        self.ledger = ledger
        self._pacer = Pacer(self.budgets, ledger, address.fqdn)
        self.listener = listener
        self.cancel = cancel
        self.stats = RequestStats()
        self._user_key = user_key
        self._user_key_lock = threading.Lock()
        self._unpaced_headers: tuple[RateLimitHeaders, float, float] | None = None
        self._redact = Redactor(credentials.secrets())
        self._token_url = self._check_token_url(credentials)
        self._timeout = timeout
        self._deadlines = AnswerDeadlines(timeout)
        self._http = http_client(credentials, transport, timeout)

    # -- public surface -------------------------------------------------------------------

    @property
    def user_key(self) -> str:
        """The budget key of the Backlog user behind the credentials (resolved on first use)."""
        return self._resolve_user_key()

    def get(self, path: str, params: Params | None = None, *, decode: Decode | None = None) -> Any:
        """``GET /api/v2{path}``; returns the parsed JSON, or what ``decode`` made of the body
        (when it answers None, the body is parsed as JSON as usual)."""
        return self._call("GET", path, params, None, decode)

    def post(self, path: str, data: Params | None = None) -> Any:
        """``POST /api/v2{path}`` with a form body; returns the parsed JSON."""
        return self._call("POST", path, None, data)

    def patch(self, path: str, data: Params | None = None) -> Any:
        """``PATCH /api/v2{path}`` with a form body; returns the parsed JSON."""
        return self._call("PATCH", path, None, data)

    def delete(self, path: str, data: Params | None = None) -> Any:
        """``DELETE /api/v2{path}``; returns the parsed JSON."""
        return self._call("DELETE", path, None, data)

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

    def _call(
        self,
        method: str,
        path: str,
        params: Params | None,
        data: Params | None,
        decode: Decode | None = None,
    ) -> Any:
        check_api_path(path)
        query = encode_params(params)
        form = encode_params(data) if data is not None else None
        state = CallState()
        failures = 0
        while True:
            self._check_cancel()
            try:
                self._refresh_if_due(state)
                answer = self._attempt(method, path, query, form, state, decode)
                if self.retry_budget is not None:
                    self.retry_budget.earn()
                return answer
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
        self, method: str, err: RetryLaterError, failures: int, state: CallState
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
        state: CallState,
        decode: Decode | None = None,
    ) -> Any:
        category = category_for(method, path)
        if path == "/users/myself" and self._user_key is None:
            sent_at = self.budgets.clock()
            response, seconds = self._send_counted(method, path, query, form, category)
            headers = RateLimitHeaders.parse(response.headers)
            if headers is not None and response.status_code == 200:
                self._unpaced_headers = (headers, sent_at, self.budgets.clock())
            self._account(method, path, query, category, response, seconds)
            return self._interpret(method, path, response, decode)
        user = self._resolve_user_key()

        def wait(seconds: float) -> None:
            state.budget_wait += seconds
            self.stats.add_wait(seconds)
            self._emit(WaitingForBudget(category, seconds))
            logger.debug("waiting %.2f s for the %s budget of %s", seconds, category,
                         self.address.fqdn)  # fmt: skip
            self._pause(seconds, self.budgets.sleep)

        shape = shape_of(category, path)
        cut = self._deadlines.deadline(shape, state.cuts + 1) if method == "GET" else None

        def send() -> tuple[httpx.Response, float]:
            if cut is None:
                return self._send_counted(method, path, query, form, category)
            return self._send_within(method, path, query, form, category, cut, state)

        response, seconds = self._pacer.send(user, category, send, wait)
        self._account(method, path, query, category, response, seconds)
        answer = self._interpret(method, path, response, decode)
        self._deadlines.record(shape, seconds)
        return answer

    def _send_within(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        form: list[tuple[str, str]] | None,
        category: str,
        cut: float,
        state: CallState,
    ) -> tuple[httpx.Response, float]:
        """Send, waiting at most ``cut`` seconds for the answer (see :mod:`.deadlines`)."""
        started = time.monotonic()
        try:
            return self._send_counted(
                method, path, query, form, category, httpx.Timeout(self._timeout, read=cut)
            )
        except NetworkError as err:
            if time.monotonic() - started < cut:
                raise  # failed before the deadline: a reset, a refused connection
            state.cuts += 1
            self.stats.add_cut()
            raise NetworkError(
                f"{method} {path} got no answer within {cut:.2f} s for {self._who()} "
                "(several times as long as the space's recent answers took); sending it again.",
                account=self.account_name or None,
                request_sent=err.request_sent,
            ) from None

    # -- pacing helpers -----------------------------------------------------------------------

    def _adopt_unpaced_headers(self) -> None:
        """Feed the rate headers of the ``/users/myself`` call that named the user to its budget."""
        if self._unpaced_headers is None or self._user_key is None:
            return
        headers, sent_at, received_at = self._unpaced_headers
        self._unpaced_headers = None
        self._pacer.adopt(self._user_key, headers, sent_at, received_at)

    # -- helpers ------------------------------------------------------------------------------

    def _resolve_user_key(self) -> str:
        if self._user_key is None:
            with self._user_key_lock:
                if self._user_key is None:
                    self.myself()
        assert self._user_key is not None
        return self._user_key

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
