"""Accounts: verified before they are saved, credentials encrypted, shown without them."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from backlog_connector.backlog.errors import InvalidOptionError
from backlog_connector.datasets import validate
from backlog_connector.datasets.connect import (
    Identity,
    open_client,
    parse_address,
    secret_document,
)
from backlog_connector.datasets.errors import AccountInUseError, NameTakenError
from backlog_connector.datasets.info import (
    AccountInfo,
)
from backlog_connector.datasets.models import Account, Run, utcnow
from backlog_connector.datasets.plane import PlaneCore, address_of
from backlog_connector.datasets.views import account_info

if TYPE_CHECKING:
    from backlog_connector.datasets.connect import Credentials


log = logging.getLogger("backlog_connector.datasets")


class AccountsMixin(PlaneCore):
    """Saved Backlog accounts (see ``ControlPlane``)."""

    def add_account(
        self,
        name: str,
        *,
        fqdn: str | None = None,
        base_url: str | None = None,
        api_key: str,
        api_key_in_query: bool = False,
    ) -> AccountInfo:
        """Verify an API key against the space, then save the account (key encrypted).

        Nothing is saved when the address is malformed (``InvalidAddressError``), the key is
        refused (``AuthenticationError``) or the name is taken (``NameTakenError``).
        """
        from backlog_connector.backlog.credentials import ApiKey

        validate.name(name, "account")
        if not api_key or not api_key.strip():
            raise InvalidOptionError(
                "no API key given: pass --api-key, pipe it on stdin or set BACKLOG_API_KEY"
            )
        self._require_free_account_name(name)
        address = parse_address(fqdn, base_url, allow_private=self._allow_private)
        creds = ApiKey(api_key.strip(), in_query=api_key_in_query)
        return self._save_new_account(name, address, fqdn, creds, api_key_in_query)

    def add_oauth_account(
        self,
        name: str,
        *,
        fqdn: str | None = None,
        base_url: str | None = None,
        client_id: str,
        client_secret: str,
        access_token: str,
        refresh_token: str,
        expires_at: Any,
    ) -> AccountInfo:
        """Verify OAuth 2.0 tokens against the space, then save the account (tokens encrypted).

        ``expires_at`` is the access token's expiry (epoch seconds or an aware datetime).
        Refreshed tokens are saved back automatically whenever the client refreshes them.
        """
        from backlog_connector.backlog.credentials import OAuthToken

        validate.name(name, "account")
        self._require_free_account_name(name)
        address = parse_address(fqdn, base_url, allow_private=self._allow_private)
        creds = OAuthToken(
            access_token=access_token,
            refresh_token=refresh_token,
            expires_at=_epoch(expires_at),
            client_id=client_id,
            client_secret=client_secret,
        )
        return self._save_new_account(name, address, fqdn, creds, False)

    def oauth_authorization_url(
        self,
        *,
        fqdn: str | None = None,
        base_url: str | None = None,
        client_id: str,
        redirect_uri: str,
        state: str | None = None,
    ) -> str:
        """Where the user approves this application for the space (OAuth 2.0 code grant)."""
        from backlog_connector.backlog.oauth import authorization_url

        _require_oauth_field("client id", client_id, "--client-id")
        _require_oauth_field("redirect URI", redirect_uri, "--redirect-uri")
        address = parse_address(fqdn, base_url, allow_private=self._allow_private)
        return authorization_url(address, client_id, redirect_uri, state)

    def add_oauth_account_with_code(
        self,
        name: str,
        *,
        fqdn: str | None = None,
        base_url: str | None = None,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        code: str,
    ) -> AccountInfo:
        """Trade the authorisation ``code`` for tokens, verify them, save the account.

        The name and address are checked before the (single-use) code is spent; nothing is
        saved when the space refuses the code (``AuthenticationError``).
        """
        from backlog_connector.backlog.oauth import exchange_code

        validate.name(name, "account")
        for label, value, flag in (
            ("client id", client_id, "--client-id"),
            ("client secret", client_secret, "--client-secret or BACKLOG_OAUTH_CLIENT_SECRET"),
            ("redirect URI", redirect_uri, "--redirect-uri"),
            ("authorisation code", code, "the code (or the whole redirect URL) on stdin"),
        ):
            _require_oauth_field(label, value, flag)
        self._require_free_account_name(name)
        address = parse_address(fqdn, base_url, allow_private=self._allow_private)
        creds = exchange_code(
            address,
            code.strip(),
            client_id=client_id,
            client_secret=client_secret,
            redirect_uri=redirect_uri,
        )
        return self._save_new_account(name, address, fqdn, creds, False)

    def list_accounts(self) -> list[AccountInfo]:
        """Every saved account, by name, with the datasets that use it."""
        with self._listing() as listing:
            return listing.accounts()

    def get_account(self, name: str) -> AccountInfo:
        """One account; ``UnknownNameError`` if there is none of that name."""
        with self._sessions() as s:
            return account_info(self._account(s, name))

    def verify_account(self, name: str) -> AccountInfo:
        """Ask the space again who the credentials belong to; records when (and the budget).

        Raises ``AuthenticationError`` if the key was revoked (the account is kept).
        """
        with self._sessions() as s:
            account = self._account(s, name)
            address = address_of(account)
            creds = self._credentials(account)
        identity = self._identify(name, address, creds)
        with self._sessions.begin() as s:
            account = self._account(s, name)
            _apply_identity(account, identity)
            self._share_budget(s, account, identity.rate_budget)
            return account_info(account)

    def update_account(
        self,
        name: str,
        *,
        api_key: str | None = None,
        fqdn: str | None = None,
        base_url: str | None = None,
        api_key_in_query: bool | None = None,
    ) -> AccountInfo:
        """Change the key and/or the address; verified before anything is saved."""
        from backlog_connector.backlog.credentials import ApiKey

        with self._sessions() as s:
            account = self._account(s, name)
            if fqdn or base_url:
                address = parse_address(fqdn, base_url, allow_private=self._allow_private)
                address_kind = "fqdn" if fqdn else "base_url"
            else:
                address = address_of(account)
                address_kind = account.address_kind
            in_query = account.api_key_in_query if api_key_in_query is None else api_key_in_query
            if api_key is not None:
                if not api_key.strip():
                    raise InvalidOptionError("the new API key is empty; give the key to save")
                creds: Credentials = ApiKey(api_key.strip(), in_query=in_query)
            else:
                creds = self._credentials(account, in_query=in_query)
            old_user = account.user_id
        identity = self._identify(name, address, creds)
        with self._sessions.begin() as s:
            account = self._account(s, name)
            moved = address.fqdn != account.space or identity.user_id != old_user
            if account.datasets and moved:
                # the saved cursors (and _space values) belong to the old space or user
                log.info(
                    "account %s now reads %s as Backlog user %s: its datasets' next runs are"
                    " full runs",
                    name,
                    address.fqdn,
                    identity.user_id,
                )
                for dataset in account.datasets:
                    dataset.require_full_run()
            account.base_url = address.base_url
            account.space = address.fqdn
            account.address_kind = address_kind
            account.api_key_in_query = in_query
            if api_key is not None:
                account.auth_kind = "api_key"  # a key replaces OAuth tokens too
            account.secret = self._box.seal(secret_document(creds))
            self._adopt_sealed(account.id, creds, account.secret)
            _apply_identity(account, identity)
            account.updated_at = utcnow()
            self._share_budget(s, account, identity.rate_budget)
            return account_info(account)

    def remove_account(self, name: str, *, force: bool = False) -> None:
        """Forget an account. Refuses while datasets use it (``AccountInUseError`` naming
        them) unless ``force``, which deletes those datasets too (their tables are kept)."""
        with self._sessions.begin() as s:
            account = self._account(s, name)
            users = sorted(d.name for d in account.datasets)
            if users and not force:
                raise AccountInUseError(
                    f"account {name!r} is used by the datasets {', '.join(users)}; delete them"
                    " first, move them to another account, or remove with --force (which"
                    " deletes those datasets too)",
                    datasets=tuple(users),
                    account=name,
                )
            for dataset in account.datasets:
                s.execute(sa.delete(Run).where(Run.dataset_id == dataset.id))
                s.delete(dataset)
            s.delete(account)
            self._forget_token(account.id)

    def rate_budget(self, name: str) -> dict[str, Any]:
        """The last known rate-limit budget of this account's Backlog user, per category:
        ``{category: {"limit", "remaining", "reset" (ISO), "seen_at" (ISO)}}``; {} if unknown."""
        with self._sessions() as s:
            return dict(self._account(s, name).rate_budget or {})

    def list_projects(self, account: str) -> list[dict[str, Any]]:
        """The projects the account's user can see (for pickers): id, key, name, archived."""
        with self._sessions() as s:
            row = self._account(s, account)
            address = address_of(row)
            creds = self._credentials(row)
            user_id = row.user_id
        with open_client(address, creds, account_name=account, user_id=user_id) as client:
            projects = client.get("/projects", {"all": "true"})
        return [
            {
                "id": p.get("id"),
                "key": p.get("projectKey"),
                "name": p.get("name"),
                "archived": bool(p.get("archived")),
            }
            for p in projects
        ]

    def _require_free_account_name(self, name: str) -> None:
        with self._sessions() as s:
            if s.scalar(sa.select(Account.id).where(Account.name == name)) is not None:
                raise NameTakenError(
                    f"an account named {name!r} already exists; pick another name, or change"
                    f" it with 'accounts update {name}'"
                )

    def _identify(self, name: str, address: Any, creds: Credentials) -> Identity:
        from backlog_connector.datasets.space_check import identify_space

        return identify_space(address, creds, name)  # fails at once when no space answers

    def _save_new_account(
        self,
        name: str,
        address: Any,
        fqdn: str | None,
        creds: Credentials,
        api_key_in_query: bool,
    ) -> AccountInfo:
        from backlog_connector.backlog.credentials import OAuthToken

        identity = self._identify(name, address, creds)
        now = utcnow()
        with self._sessions.begin() as s:
            if s.scalar(sa.select(Account.id).where(Account.name == name)) is not None:
                raise NameTakenError(f"an account named {name!r} was just added; pick another")
            row = Account(
                name=name,
                base_url=address.base_url,
                space=address.fqdn,
                address_kind="fqdn" if fqdn else "base_url",
                auth_kind="oauth" if isinstance(creds, OAuthToken) else "api_key",
                api_key_in_query=api_key_in_query,
                secret=self._box.seal(secret_document(creds)),
                created_at=now,
                updated_at=now,
            )
            _apply_identity(row, identity)
            s.add(row)
            s.flush()
            self._share_budget(s, row, identity.rate_budget)
            return account_info(row)


def _apply_identity(account: Account, identity: Identity) -> None:
    account.user_id = identity.user_id
    account.user_login = identity.user_login
    account.user_name = identity.user_name
    account.user_role = identity.user_role
    account.space_key = identity.space_key
    account.space_name = identity.space_name
    account.space_timezone = identity.space_timezone
    account.verified_at = utcnow()


def _epoch(value: Any) -> float:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InvalidOptionError("expires_at must carry a time zone (e.g. UTC)")
        return value.timestamp()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise InvalidOptionError(
        f"invalid expires_at {value!r}: give epoch seconds or an ISO 8601 time with a zone"
    )


def _require_oauth_field(label: str, value: str, how: str) -> None:
    if not value or not value.strip():
        raise InvalidOptionError(f"no OAuth {label} given: pass {how}")
