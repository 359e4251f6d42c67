"""Every error Backlog Connector raises, grouped by what the caller should do.

::

    BacklogConnectorError            base of everything below; str() never holds a secret
    ├── ConfigurationError           fix the configuration, then run again; retrying is useless
    │   ├── InvalidAddressError      malformed or foreign host / base URL (no request was made)
    │   ├── InvalidOptionError       a report option, update mode or schedule that is not valid
    │   ├── AuthenticationError      bad or revoked API key / token (HTTP 401, Backlog code 11)
    │   ├── PermissionDeniedError    the Backlog user may not do this (403, codes 2-5, 12)
    │   ├── NotFoundError            no such project, issue, ... (404, code 6)
    │   └── InvalidRequestError      Backlog refused the parameters (400, code 7)
    ├── RetryLaterError              transient: the same call may succeed later
    │   ├── RateLimitedError         429, code 13 (carries the reset time)
    │   ├── ServerError              5xx
    │   ├── NetworkError             connection refused/reset, timeouts
    │   └── BadResponseError         truncated or non-JSON body
    ├── GiveUpError                  neither: an answer the connector does not understand
    │   └── UnexpectedShapeError     valid JSON, but not the documented shape (names path)
    └── CancelledError               the caller asked the work to stop (a run cancelled)

When retries run out on a transient error, the last ``RetryLaterError`` is raised with
``attempts`` set: the run failed, and a later run (the scheduler's retry) may well succeed.

Every exception pickles (runs cross process boundaries): the constructor arguments are kept in
``args`` and all extra attributes are keyword-only with defaults.
"""

from __future__ import annotations

from typing import Any


class BacklogConnectorError(Exception):
    """Base class. ``message`` names the problem and the fix; never a key or token."""

    #: one of "configuration", "retry_later", "give_up"
    action: str = "give_up"

    def __init__(
        self,
        message: str,
        *,
        account: str | None = None,
        status: int | None = None,
        code: int | None = None,
        backlog_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.account = account
        self.status = status
        self.code = code
        self.backlog_message = backlog_message

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.message, self.__dict__.copy()))

    def __str__(self) -> str:
        parts = [self.message]
        if self.backlog_message and self.backlog_message not in self.message:
            parts.append(f"(Backlog said: {self.backlog_message})")
        return " ".join(parts)


def _rebuild(cls: type[BacklogConnectorError], message: str, state: dict[str, Any]) -> Any:
    obj = cls.__new__(cls)
    Exception.__init__(obj, message)
    obj.__dict__.update(state)
    return obj


class ConfigurationError(BacklogConnectorError):
    """The configuration is wrong: fix it; retrying will not help."""

    action = "configuration"


class InvalidAddressError(ConfigurationError):
    """A space address (FQDN or base URL) that is malformed or not allowed."""


class InvalidOptionError(ConfigurationError):
    """A report option, update mode, schedule or other user input that is not valid."""


class AuthenticationError(ConfigurationError):
    """Backlog refused the API key or OAuth token."""


class PermissionDeniedError(ConfigurationError):
    """The Backlog user behind the credentials lacks the permission."""


class NotFoundError(ConfigurationError):
    """The project, issue or other resource does not exist (or is not visible)."""


class InvalidRequestError(ConfigurationError):
    """Backlog refused the request's parameters."""


class RetryLaterError(BacklogConnectorError):
    """A transient failure: the same request may succeed later."""

    action = "retry_later"

    def __init__(
        self, message: str, *, retry_after: float | None = None, attempts: int = 1, **kw: Any
    ) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after
        self.attempts = attempts

    def __str__(self) -> str:
        text = super().__str__()
        if self.attempts > 1:
            text += f" [gave up after {self.attempts} attempts]"
        return text


class RateLimitedError(RetryLaterError):
    """Backlog's per-user rate limit is spent (HTTP 429, code 13)."""


class ServerError(RetryLaterError):
    """Backlog answered with a 5xx status."""


class NetworkError(RetryLaterError):
    """The connection failed, was reset, or timed out.

    ``request_sent`` is False when the connection was never made, so the server cannot have
    acted on the request (a write may then be retried safely).
    """

    def __init__(self, message: str, *, request_sent: bool = True, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.request_sent = request_sent


class BadResponseError(RetryLaterError):
    """The body was truncated, empty or not JSON."""


class GiveUpError(BacklogConnectorError):
    """Neither a configuration problem nor transient: stop and report."""


class UnexpectedShapeError(GiveUpError):
    """A well-formed JSON answer that is not the documented shape (an object where a list
    belongs, a list wrapped in an object, ...). ``path`` names the endpoint."""

    def __init__(self, message: str, *, path: str = "", **kw: Any) -> None:
        super().__init__(message, **kw)
        self.path = path


class CancelledError(BacklogConnectorError):
    """The caller's cancel event was set: no further request is sent and no wait goes on."""

    action = "cancelled"
