"""From an HTTP response to parsed JSON, or to the exception of the tree that it means."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Sized
from typing import Any, NoReturn

import httpx
import orjson

from backlog_connector.backlog.budget import RateLimitHeaders
from backlog_connector.backlog.error_map import error_for_response
from backlog_connector.backlog.errors import BacklogConnectorError, BadResponseError
from backlog_connector.backlog.retry import DEFAULT_RATE_LIMIT_WAIT

#: turns the body of a 2xx answer into something else than its parsed JSON (a natively parsed
#: page, say); None leaves the body to the JSON parser
Decode = Callable[[bytes], Sized | None]


class TokenRejected(Exception):
    """A 401 ``invalid_token`` answer to a bearer token: refresh once, then try again."""

    def __init__(self, error: BacklogConnectorError) -> None:
        super().__init__(str(error))
        self.error = error


def parse_json(response: httpx.Response, *, what: str, who: str, account: str | None) -> Any:
    """The JSON of a 2xx response (None for an empty body); :class:`BadResponseError` when the
    body is truncated or not JSON."""
    if response.status_code == 204 or not response.content:
        return None
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        raise BadResponseError(
            f"{what} answered with a truncated or non-JSON body ({len(response.content)} bytes) "
            f"for {who}; a later attempt should succeed.",
            account=account,
            status=response.status_code,
        ) from None


def retry_after(response: httpx.Response, *, margin: float) -> float | None:
    """The server's hint of when to try again, in seconds from now.

    ``Retry-After`` (seconds or an HTTP date) wins; a 429 otherwise waits for
    ``X-RateLimit-Reset`` (+ ``margin``) when the window is spent, a minute when the headers are
    missing, and a plain backoff (None) when the window is not spent (a spurious 429).
    """
    hint = response.headers.get("Retry-After")
    if hint:
        try:
            return max(float(hint), 0.0)
        except ValueError:
            try:
                return max(email.utils.parsedate_to_datetime(hint).timestamp() - time.time(), 0.0)
            except (TypeError, ValueError):
                pass
    if response.status_code != 429:
        return None
    headers = RateLimitHeaders.parse(response.headers)
    if headers is None:
        return DEFAULT_RATE_LIMIT_WAIT
    if headers.remaining > 0:
        return None
    return max(headers.reset - time.time(), 0.0) + margin


def raise_for_error(
    response: httpx.Response,
    *,
    what: str,
    account: str,
    redact: Callable[[str], str],
    margin: float,
    bearer: bool,
) -> NoReturn:
    """Raise the exception an error response means (:class:`TokenRejected` for an expired or
    invalid bearer token, which the caller may cure by refreshing)."""
    error = error_for_response(
        response.status_code,
        response.content,
        account=account,
        what=what,
        retry_after=retry_after(response, margin=margin),
        redact=redact,
    )
    challenge = response.headers.get("WWW-Authenticate", "")
    if bearer and response.status_code == 401 and "invalid_token" in challenge:
        raise TokenRejected(error)
    raise error
