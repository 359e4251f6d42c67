"""From an HTTP status and Backlog's error code to an exception of the tree, by table."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from backlog_connector.backlog.errors import (
    AuthenticationError,
    BacklogConnectorError,
    GiveUpError,
    InvalidAddressError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an error response means: the exception class and the fix to tell the user."""

    error: type[BacklogConnectorError]
    fix: str


_FIX_KEY = "check the API key or OAuth token (Backlog: Personal Settings > API) and save it again"
_AUTH = Outcome(AuthenticationError, _FIX_KEY)
_PERMISSION = Outcome(
    PermissionDeniedError,
    "use the credentials of a Backlog user with this permission, or drop the report/option",
)
_LICENCE = Outcome(PermissionDeniedError, "the space's plan or licence does not allow this")
_NETWORK_POLICY = Outcome(
    PermissionDeniedError, "the space refuses this client (e.g. an IP address restriction)"
)
_MFA = Outcome(PermissionDeniedError, "turn on 2-step verification for this Backlog user")
_NOT_FOUND = Outcome(
    NotFoundError, "check the project key, id or other option names a thing that exists"
)
_INVALID = Outcome(InvalidRequestError, "check the report options")
_RATE = Outcome(RateLimitedError, "wait for the rate-limit window to reset")
_SERVER = Outcome(ServerError, "Backlog had a problem; a later run should succeed")
_CAPACITY = Outcome(GiveUpError, "the space has reached a storage or resource limit")
_REDIRECT = Outcome(
    InvalidAddressError,
    "the address answered with a redirect; use the space's own address (FQDN or base URL)",
)
_UNKNOWN = Outcome(GiveUpError, "an answer the connector does not understand; report it")

#: Backlog error codes (backlog-api.md section 2.2); decisive for 4xx answers
BY_CODE: Mapping[int, Outcome] = {
    1: _SERVER,
    2: _LICENCE,
    3: _LICENCE,
    4: _NETWORK_POLICY,
    5: _PERMISSION,
    6: _NOT_FOUND,
    7: _INVALID,
    8: _CAPACITY,
    9: _CAPACITY,
    10: _CAPACITY,
    11: _AUTH,
    12: _MFA,
    13: _RATE,
}

#: HTTP statuses, used when the body carries no known code (and always for 5xx)
BY_STATUS: Mapping[int, Outcome] = {
    400: _INVALID,
    401: _AUTH,
    403: _PERMISSION,
    404: _NOT_FOUND,
    413: _CAPACITY,
    422: _INVALID,
    429: _RATE,
    500: _SERVER,
    502: _SERVER,
    503: _SERVER,
    504: _SERVER,
}

#: by status class (status // 100) when neither table knows the answer
BY_CLASS: Mapping[int, Outcome] = {3: _REDIRECT, 4: _UNKNOWN, 5: _SERVER}


def outcome_for(status: int, code: int | None) -> Outcome:
    """The outcome for a status and an optional Backlog error code."""
    if status >= 500:
        return BY_STATUS.get(status) or BY_CLASS[5]
    return (
        (BY_CODE.get(code) if code is not None else None)
        or BY_STATUS.get(status)
        or BY_CLASS.get(status // 100, _UNKNOWN)
    )


@dataclass(frozen=True, slots=True)
class BacklogErrorBody:
    """The first entry of Backlog's ``{"errors": [...]}`` body, or the OAuth ``error`` fields."""

    code: int | None
    message: str | None

    @classmethod
    def parse(cls, body: bytes) -> BacklogErrorBody:
        """Parse an error body; anything unexpected yields an empty result, never an error."""
        try:
            data: Any = orjson.loads(body)
        except orjson.JSONDecodeError:
            return cls(None, None)
        if isinstance(data, dict):
            errors = data.get("errors")
            if isinstance(errors, list) and errors and isinstance(errors[0], dict):
                first = errors[0]
                code = first.get("code")
                message = first.get("message")
                return cls(
                    code if isinstance(code, int) else None,
                    message if isinstance(message, str) else None,
                )
            if isinstance(data.get("error"), str):
                description = data.get("error_description")
                text = data["error"] + (f": {description}" if isinstance(description, str) else "")
                return cls(None, text)
        return cls(None, None)


def error_for_response(
    status: int,
    body: bytes,
    *,
    account: str,
    what: str,
    retry_after: float | None = None,
    redact: Callable[[str], str] | None = None,
) -> BacklogConnectorError:
    """Build the exception for an error response.

    ``what`` describes the request (method and redacted path); ``redact`` is a callable applied
    to Backlog's own message before it is kept (defence in depth against echoed secrets).
    """
    parsed = BacklogErrorBody.parse(body)
    outcome = outcome_for(status, parsed.code)
    backlog_message = parsed.message
    if backlog_message is not None and redact is not None:
        backlog_message = redact(backlog_message)
    code_text = f", Backlog code {parsed.code}" if parsed.code is not None else ""
    who = f"account {account!r}" if account else "this account"
    message = f"{what} failed for {who} (HTTP {status}{code_text}): {outcome.fix}."
    kwargs: dict[str, Any] = {
        "account": account or None,
        "status": status,
        "code": parsed.code,
        "backlog_message": backlog_message,
    }
    if issubclass(outcome.error, RateLimitedError | ServerError):
        return outcome.error(message, retry_after=retry_after, **kwargs)
    return outcome.error(message, **kwargs)
