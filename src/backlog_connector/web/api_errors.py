"""The REST API's errors: the tree's errors as JSON ``{"detail", "error", "action"}`` with their
status codes, request validation as 422 in the same shape, and ``ErrorBody``, the schema the
OpenAPI document gives every error answer (so the published schema is what is sent).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from backlog_connector.backlog.errors import (
    BacklogConnectorError,
    ConfigurationError,
    InvalidAddressError,
    InvalidOptionError,
    RetryLaterError,
)
from backlog_connector.datasets.errors import (
    AccountInUseError,
    DestinationInUseError,
    NameTakenError,
    UnknownNameError,
)
from backlog_connector.scheduler.loop import AlreadyRunningError

# --- errors --------------------------------------------------------------------------------


class NotRunningError(ConfigurationError):
    """The run asked to stop is not queued or running."""


_STATUS_BY_ERROR: tuple[tuple[type[BacklogConnectorError], int], ...] = (
    (UnknownNameError, status.HTTP_404_NOT_FOUND),
    (NameTakenError, status.HTTP_409_CONFLICT),
    (AccountInUseError, status.HTTP_409_CONFLICT),
    (DestinationInUseError, status.HTTP_409_CONFLICT),
    (AlreadyRunningError, status.HTTP_409_CONFLICT),
    (NotRunningError, status.HTTP_409_CONFLICT),
    (InvalidOptionError, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (InvalidAddressError, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (ConfigurationError, status.HTTP_400_BAD_REQUEST),
    (RetryLaterError, status.HTTP_503_SERVICE_UNAVAILABLE),
    (BacklogConnectorError, status.HTTP_502_BAD_GATEWAY),
)


def error_response(exc: BacklogConnectorError) -> JSONResponse:
    """The JSON answer for an error of the tree (its message never holds a secret)."""
    code = next(c for kind, c in _STATUS_BY_ERROR if isinstance(exc, kind))
    body: dict[str, Any] = {"detail": str(exc), "error": type(exc).__name__,
                            "action": exc.action}  # fmt: skip
    if isinstance(exc, AccountInUseError | DestinationInUseError):
        body["datasets"] = list(exc.datasets)
    return JSONResponse(body, status_code=code)


_HTTP_ERROR_NAMES = {400: "BadRequestError", 401: "NotAuthenticatedError",
                     403: "ForbiddenError"}  # fmt: skip


def http_error_response(exc: HTTPException) -> JSONResponse:
    """An ``HTTPException`` (authentication, CSRF) as ``ErrorBody``, its headers kept."""
    return JSONResponse(
        {"detail": str(exc.detail), "error": _HTTP_ERROR_NAMES.get(exc.status_code, "HTTPError"),
         "action": "configuration"},
        status_code=exc.status_code, headers=dict(exc.headers or {}),
    )  # fmt: skip


def text_error_response(exc: UnicodeError) -> JSONResponse:
    """422 for text that cannot be stored (a lone surrogate such as "\\ud800")."""
    return JSONResponse(
        {"detail": "invalid request: text holds a character that is not valid Unicode (a lone"
                   " surrogate such as \\ud800); send valid UTF-8 text",
         "error": "InvalidTextError", "action": "configuration"},
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
    )  # fmt: skip


def validation_response(exc: RequestValidationError) -> JSONResponse:
    """422 naming each bad field; the submitted values are left out (they may be keys)."""
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "request"
        problems.append({"field": where, "problem": str(err.get("msg", "invalid"))})
    message = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
    return JSONResponse(
        {"detail": f"invalid request: {message}", "error": "RequestValidationError",
         "action": "configuration", "problems": problems},
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
    )  # fmt: skip


class ApiRoute(APIRoute):
    """A route whose control-plane errors become JSON answers (only under this router)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except BacklogConnectorError as exc:
                return error_response(exc)
            except RequestValidationError as exc:
                return validation_response(exc)
            except UnicodeError as exc:  # a lone surrogate reached the database driver
                return text_error_response(exc)
            except HTTPException as exc:  # 401/403 of the authentication, in the same shape
                return http_error_response(exc)

        return handle


class Problem(BaseModel):
    """One invalid field of a request."""

    field: str
    problem: str


class ErrorBody(BaseModel):
    """Every error answer of the API (4xx, 5xx)."""

    detail: str = Field(description="what went wrong and how to fix it")
    error: str = Field(description="the error's type, e.g. UnknownNameError")
    action: str | None = Field(None, description="configuration | retry_later | give_up")
    problems: list[Problem] | None = Field(None, description="422: each invalid field")
    datasets: list[str] | None = Field(
        None, description="409 (account or destination in use): the datasets"
    )


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


#: the error answers every authenticated route may give, for the OpenAPI document
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _error("a configuration problem (e.g. Backlog refused the key)"),
    401: _error("no valid token or session"),
    403: _error("a session request without the CSRF token or own Origin"),
    404: _error("no such account, dataset, report or run"),
    409: _error("a conflict: name taken, account or destination in use, already running"),
    422: _error("invalid input: the fields named in problems, or a value the checks refuse"),
    502: _error("an unexpected failure talking to Backlog"),
    503: _error("Backlog or the warehouse cannot be reached now; retry later"),
}
