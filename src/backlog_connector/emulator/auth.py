"""API keys and the emulator's own OAuth 2.0 authorisation server (backlog-api.md §1)."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from .errors import BearerError, OAuthError, auth_failure
from .params import Params
from .space import Space

_CODE_SECONDS = 600


@dataclass
class _Grant:
    user_id: int
    expires: float
    redirect_uri: str = ""


class Auth:
    """Who is calling. Keys come from the space; tokens are issued here and live in memory."""

    def __init__(
        self, space: Space, token_seconds: int, clock: Callable[[], float] = time.time
    ) -> None:
        self.space = space
        self.token_seconds = token_seconds
        self.clock = clock
        self._revoked: set[str] = set()
        self._codes: dict[str, _Grant] = {}
        self._access: dict[str, _Grant] = {}
        self._refresh: dict[str, _Grant] = {}
        self._lock = threading.Lock()

    # ---- identifying a request -----------------------------------------------------------

    def user_for_key(self, key: str) -> int:
        user_id = self.space.api_keys.get(key)
        if user_id is None or key in self._revoked:
            raise auth_failure()
        return user_id

    def user_for_bearer(self, token: str) -> int:
        with self._lock:
            grant = self._access.get(token)
        if grant is None or token in self._revoked:
            raise BearerError("The access token is invalid")
        if self.clock() >= grant.expires:
            raise BearerError("The access token expired")
        return grant.user_id

    def revoke(self, secret: str) -> bool:
        """Refuse an API key, access token or refresh token from now on."""
        known = secret in self.space.api_keys or secret in self._access or secret in self._refresh
        if known:
            self._revoked.add(secret)
        return known

    # ---- OAuth endpoints -----------------------------------------------------------------

    def authorize(self, params: Params) -> str:
        """``GET /OAuth2AccessRequest.action``: approve at once; returns the redirect target."""
        if params.get("response_type") != "code":
            raise OAuthError("unsupported_response_type", "response_type must be code.")
        if params.get("client_id") != self.space.oauth_client["client_id"]:
            raise OAuthError("invalid_client", "Unknown client_id.", 401)
        redirect_uri = params.get("redirect_uri") or ""
        if urlsplit(redirect_uri).scheme not in ("http", "https"):
            raise OAuthError("invalid_request", "redirect_uri must be an http(s) URL.")
        login = params.get("user") or "admin"
        user = next((u for u in self.space.users.values() if u.user_id == login), None)
        if user is None:
            raise OAuthError("access_denied", f"No emulated user {login!r} to approve.")
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = _Grant(user.id, self.clock() + _CODE_SECONDS, redirect_uri)
        query = {"code": code}
        state = params.get("state")
        if state is not None:
            query["state"] = state
        separator = "&" if "?" in redirect_uri else "?"
        return f"{redirect_uri}{separator}{urlencode(query)}"

    def token(self, form: Params) -> dict[str, object]:
        """``POST /api/v2/oauth2/token``: authorization_code and refresh_token grants."""
        client = self.space.oauth_client
        if (
            form.get("client_id") != client["client_id"]
            or form.get("client_secret") != client["client_secret"]
        ):
            raise OAuthError("invalid_client", "Client authentication failed.", 401)
        grant_type = form.get("grant_type")
        with self._lock:
            if grant_type == "authorization_code":
                grant = self._codes.pop(form.get("code") or "", None)
                if grant is None or self.clock() >= grant.expires:
                    raise OAuthError("invalid_grant", "Grant is invalid.")
                if form.get(
                    "redirect_uri",
                ) not in (None, grant.redirect_uri):
                    raise OAuthError("invalid_grant", "redirect_uri does not match.")
            elif grant_type == "refresh_token":
                refresh = form.get("refresh_token") or ""
                grant = self._refresh.pop(refresh, None)
                if grant is None or refresh in self._revoked:
                    raise OAuthError("invalid_grant", "Grant is invalid.")
            else:
                raise OAuthError(
                    "unsupported_grant_type",
                    "grant_type must be authorization_code or refresh_token.",
                )
            access = secrets.token_urlsafe(48)
            refresh_token = secrets.token_urlsafe(48)
            self._access[access] = _Grant(grant.user_id, self.clock() + self.token_seconds)
            self._refresh[refresh_token] = _Grant(grant.user_id, float("inf"))
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.token_seconds,
            "refresh_token": refresh_token,
        }
