"""Backlog-shaped error answers: ``{"errors":[{"message","code","moreInfo"}]}``."""

from __future__ import annotations


class ApiError(Exception):
    """An error answer. Raised anywhere in a handler; the server turns it into the response."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        more_info: str = "",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.more_info = more_info
        self.headers = headers or {}

    def body(self) -> dict[str, object]:
        """The JSON body Backlog sends."""
        return {
            "errors": [{"message": self.message, "code": self.code, "moreInfo": self.more_info}]
        }


def invalid(message: str, more_info: str = "") -> ApiError:
    """400, code 7 (InvalidRequestError)."""
    return ApiError(400, 7, message, more_info)


def not_found(message: str, more_info: str = "") -> ApiError:
    """404, code 6 (NoResourceError)."""
    return ApiError(404, 6, message, more_info)


def forbidden(message: str = "You do not have permission for this operation.") -> ApiError:
    """403, code 5 (UnauthorizedOperationError)."""
    return ApiError(403, 5, message)


def auth_failure() -> ApiError:
    """401, code 11, with the body seen from real Backlog."""
    return ApiError(401, 11, "Authentication failure.")


class OAuthError(Exception):
    """An OAuth-style error of the token or authorisation endpoints."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


class BearerError(Exception):
    """A bad or expired bearer token: 401 with the detail in ``WWW-Authenticate``."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description

    def www_authenticate(self) -> str:
        return f'Bearer error="invalid_token", error_description="{self.description}"'
