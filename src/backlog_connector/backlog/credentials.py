"""How a client proves who it is: an API key, or OAuth 2.0 tokens that refresh themselves.

Neither class ever shows its secrets in ``repr``/``str``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from backlog_connector.backlog.errors import AuthenticationError, InvalidOptionError

#: refresh an access token this many seconds before it expires
REFRESH_AHEAD_SECONDS = 60.0


class ApiKey:
    """A Backlog API key, sent in the ``Backlog-API-Key`` header.

    ``in_query=True`` sends it as the ``apiKey`` query parameter instead (older Backlog
    Enterprise); URLs are redacted wherever they are shown either way.
    """

    __slots__ = ("_key", "in_query")

    def __init__(self, key: str, in_query: bool = False) -> None:
        if not isinstance(key, str) or not key.strip():
            raise InvalidOptionError(
                "The API key is empty; create one in Backlog under Personal Settings > API."
            )
        if any(ch.isspace() or ord(ch) < 32 for ch in key.strip()):
            raise InvalidOptionError(
                "The API key contains white space or control characters; paste it again."
            )
        self._key = key.strip()
        self.in_query = in_query

    @property
    def key(self) -> str:
        """The secret itself."""
        return self._key

    def headers(self) -> dict[str, str]:
        """Headers that authenticate a request."""
        return {} if self.in_query else {"Backlog-API-Key": self._key}

    def query(self) -> list[tuple[str, str]]:
        """Query parameters that authenticate a request."""
        return [("apiKey", self._key)] if self.in_query else []

    def secrets(self) -> tuple[str, ...]:
        """Every secret value, for redaction."""
        return (self._key,)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ApiKey) and (other._key, other.in_query) == (
            self._key,
            self.in_query,
        )

    def __hash__(self) -> int:
        return hash((ApiKey, self._key, self.in_query))

    def __repr__(self) -> str:
        return f"ApiKey(key='***', in_query={self.in_query})"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        # pickles (for worker processes) but never through repr; callers encrypt at rest
        return (ApiKey, (self._key, self.in_query))


class OAuthToken:
    """OAuth 2.0 tokens of one Backlog user, refreshed ahead of expiry and once on a 401.

    ``expires_at`` is epoch seconds. ``token_url`` defaults to the space's
    ``/api/v2/oauth2/token`` and must be on the space's own host. ``on_refresh`` is called with
    this object after every refresh, so the caller can persist the new tokens (encrypted).
    """

    def __init__(
        self,
        access_token: str,
        refresh_token: str,
        expires_at: float,
        client_id: str,
        client_secret: str,
        token_url: str | None = None,
        *,
        on_refresh: Callable[[OAuthToken], None] | None = None,
        refresh_ahead: float = REFRESH_AHEAD_SECONDS,
    ) -> None:
        for name, value in (
            ("access_token", access_token),
            ("refresh_token", refresh_token),
            ("client_id", client_id),
            ("client_secret", client_secret),
        ):
            if not isinstance(value, str) or not value:
                raise InvalidOptionError(
                    f"OAuth {name} is empty; authorise the application again to get new tokens."
                )
        self._access_token = access_token
        self._refresh_token = refresh_token
        self.expires_at = float(expires_at)
        self.client_id = client_id
        self._client_secret = client_secret
        self.token_url = token_url
        self.on_refresh = on_refresh
        self.refresh_ahead = refresh_ahead
        self.lock = threading.Lock()
        self.refreshes = 0

    @property
    def access_token(self) -> str:
        """The current access token (secret)."""
        return self._access_token

    @property
    def refresh_token(self) -> str:
        """The current refresh token (secret)."""
        return self._refresh_token

    @property
    def client_secret(self) -> str:
        """The application's client secret (secret)."""
        return self._client_secret

    def needs_refresh(self, now: float | None = None) -> bool:
        """True when the access token expires within ``refresh_ahead`` seconds."""
        current = time.time() if now is None else now
        return current >= self.expires_at - self.refresh_ahead

    def headers(self) -> dict[str, str]:
        """Headers that authenticate a request."""
        return {"Authorization": f"Bearer {self._access_token}"}

    def query(self) -> list[tuple[str, str]]:
        """Query parameters that authenticate a request (none for OAuth)."""
        return []

    def secrets(self) -> tuple[str, ...]:
        """Every secret value, for redaction."""
        return (self._access_token, self._refresh_token, self._client_secret)

    def refresh_form(self) -> dict[str, str]:
        """The form of a ``grant_type=refresh_token`` request."""
        return {
            "grant_type": "refresh_token",
            "client_id": self.client_id,
            "client_secret": self._client_secret,
            "refresh_token": self._refresh_token,
        }

    def apply_token_response(self, data: Mapping[str, Any], now: float | None = None) -> None:
        """Take the token endpoint's answer, then tell ``on_refresh``."""
        access = data.get("access_token")
        expires_in = data.get("expires_in")
        if not isinstance(access, str) or not access or not isinstance(expires_in, int | float):
            raise AuthenticationError(
                "The OAuth token endpoint answered without an access token; "
                "authorise the application again."
            )
        refresh = data.get("refresh_token")
        self._access_token = access
        if isinstance(refresh, str) and refresh:
            self._refresh_token = refresh
        self.expires_at = (time.time() if now is None else now) + float(expires_in)
        self.refreshes += 1
        if self.on_refresh is not None:
            self.on_refresh(self)

    @classmethod
    def from_token_response(
        cls,
        data: Mapping[str, Any],
        *,
        client_id: str,
        client_secret: str,
        token_url: str | None = None,
        on_refresh: Callable[[OAuthToken], None] | None = None,
        now: float | None = None,
    ) -> OAuthToken:
        """Build tokens from an ``authorization_code`` exchange answer."""
        access, refresh, expires_in = (
            data.get("access_token"),
            data.get("refresh_token"),
            data.get("expires_in"),
        )
        if (
            not isinstance(access, str)
            or not isinstance(refresh, str)
            or not isinstance(expires_in, int | float)
        ):
            raise AuthenticationError(
                "The OAuth token endpoint answered without access token, refresh token and "
                "expiry; authorise the application again."
            )
        start = time.time() if now is None else now
        return cls(
            access,
            refresh,
            start + float(expires_in),
            client_id,
            client_secret,
            token_url,
            on_refresh=on_refresh,
        )

    def __repr__(self) -> str:
        return (
            "OAuthToken(access_token='***', refresh_token='***', "
            f"expires_at={self.expires_at:.0f}, client_id={self.client_id!r}, client_secret='***')"
        )

    __str__ = __repr__

    def __getstate__(self) -> dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items() if k not in ("lock", "on_refresh")}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.lock = threading.Lock()
        self.on_refresh = None


Credentials = ApiKey | OAuthToken
