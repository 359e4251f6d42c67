"""From a saved account to a working Backlog client, and what verifying an account learns."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from backlog_connector.backlog.address import SpaceAddress
from backlog_connector.backlog.errors import InvalidAddressError
from backlog_connector.backlog.private_hosts import check_public_host

if TYPE_CHECKING:
    from backlog_connector.backlog.client import BacklogClient
    from backlog_connector.backlog.credentials import ApiKey, OAuthToken
    from backlog_connector.backlog.ledger import RateLedger

    Credentials = ApiKey | OAuthToken


def parse_address(fqdn: str | None, base_url: str | None, *, allow_private: bool) -> SpaceAddress:
    """The space address from exactly one of ``fqdn`` and ``base_url``; a base URL on a
    private or link-local address only with ``allow_private`` (``backlog.private_hosts``)."""
    if bool(fqdn) == bool(base_url):
        raise InvalidAddressError(
            "give exactly one of --fqdn (a Backlog cloud host such as SPACE.backlog.com,"
            " SPACE.backlog.jp or SPACE.backlogtool.com) and --base-url (Backlog Enterprise or"
            " the emulator, e.g. http://127.0.0.1:8080)"
        )
    if fqdn:
        return SpaceAddress.parse_fqdn(fqdn)
    assert base_url is not None
    address = SpaceAddress.parse_base_url(base_url)
    check_public_host(address.host, what="base URL", allow_private=allow_private)
    return address


def credentials_from(
    kind: str,
    secret: dict[str, Any],
    *,
    api_key_in_query: bool = False,
    on_refresh: Callable[[OAuthToken], None] | None = None,
) -> Credentials:
    """Rebuild credentials from a decrypted secret document (see ``secret_document``)."""
    from backlog_connector.backlog.credentials import ApiKey, OAuthToken

    if kind == "oauth":
        return OAuthToken(
            access_token=secret["access_token"],
            refresh_token=secret["refresh_token"],
            expires_at=float(secret["expires_at"]),
            client_id=secret["client_id"],
            client_secret=secret["client_secret"],
            on_refresh=on_refresh,
        )
    return ApiKey(secret["api_key"], in_query=api_key_in_query)


def secret_document(credentials: Credentials) -> dict[str, Any]:
    """The JSON document that ``SecretBox.seal`` encrypts for these credentials."""
    from backlog_connector.backlog.credentials import OAuthToken

    if isinstance(credentials, OAuthToken):
        return {
            "access_token": credentials.access_token,
            "refresh_token": credentials.refresh_token,
            "expires_at": credentials.expires_at,
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
        }
    return {"api_key": credentials.key}


def secret_values(document: dict[str, Any]) -> list[str]:
    """The strings of a secret document that must never reach output (for redaction)."""
    keys = ("api_key", "access_token", "refresh_token", "client_secret")
    return [str(document[k]) for k in keys if document.get(k)]


@dataclass(frozen=True)
class Identity:
    """What verifying an account learns: the Backlog user, the space, the rate budget."""

    user_id: int
    user_login: str | None
    user_name: str | None
    user_role: int | None
    space_key: str | None
    space_name: str | None
    space_timezone: str | None
    rate_budget: dict[str, Any]


def open_client(
    address: SpaceAddress,
    credentials: Credentials,
    *,
    account_name: str,
    user_id: int | None = None,
    listener: Callable[[Any], None] | None = None,
    cancel: threading.Event | None = None,
    ledger: RateLedger | None = None,
) -> BacklogClient:
    """A client for the account (one per run: it carries the run's retry budget); ``user_id``
    (when known) saves the lazy ``users/myself``; ``ledger``: the shared rate budget (None:
    the in-process pacing)."""
    from backlog_connector.backlog.client import BacklogClient, user_key_for
    from backlog_connector.backlog.retry import RetryBudget

    user_key = user_key_for(address, {"id": user_id}) if user_id is not None else None
    return BacklogClient(
        address,
        credentials,
        account_name=account_name,
        user_key=user_key,
        listener=listener,
        cancel=cancel,
        retry_budget=RetryBudget(),
        ledger=ledger,
    )


def fetch_identity(client: BacklogClient) -> Identity:
    """Ask the space who the credentials belong to (``users/myself``, ``space``, ``rateLimit``)."""
    me = client.myself()
    space = client.get("/space")
    limits = client.rate_limit()
    return Identity(
        user_id=int(me["id"]),
        user_login=me.get("userId"),
        user_name=me.get("name"),
        user_role=me.get("roleType"),
        space_key=space.get("spaceKey"),
        space_name=space.get("name"),
        space_timezone=space.get("timezone"),
        rate_budget=budget_from_rate_limit(limits),
    )


def budget_from_rate_limit(body: Any) -> dict[str, Any]:
    """``GET /rateLimit``'s body as ``{category: {limit, remaining, reset}}`` (reset in ISO)."""
    limits = body.get("rateLimit", body) if isinstance(body, dict) else {}
    seen_at = datetime.now(UTC).isoformat()
    budget: dict[str, Any] = {}
    for category, values in limits.items():
        if not isinstance(values, dict):
            continue
        reset = values.get("reset")
        budget[category] = {
            "limit": values.get("limit"),
            "remaining": values.get("remaining"),
            "reset": _epoch_iso(reset),
            "seen_at": seen_at,
        }
    return budget


def _epoch_iso(value: Any) -> str | None:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC).isoformat()
    return None
