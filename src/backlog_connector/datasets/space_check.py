"""Asking a space who the credentials are, when a user adds, updates or verifies an account.

Unlike a run, this fails at once, once: a name that does not resolve, a refused connection or an
address where no Backlog space answers (HTTP 404) is a configuration error (exit 2 / 422) naming
the fix, not a transient one to retry for a minute. Rate-limit and server answers are still
retried a little (they are transient even here).
"""

from __future__ import annotations

from dataclasses import dataclass

from backlog_connector.backlog.address import SpaceAddress
from backlog_connector.backlog.credentials import Credentials
from backlog_connector.backlog.errors import (
    InvalidAddressError,
    NetworkError,
    NotFoundError,
    RetryLaterError,
)
from backlog_connector.backlog.retry import RetryBudget, RetryPolicy
from backlog_connector.datasets.connect import Identity, fetch_identity
from backlog_connector.datasets.friendly_errors import ADDRESS_FIX, network_reason, unreachable


@dataclass(frozen=True)
class FailFastPolicy(RetryPolicy):
    """Retries 429s and 5xx a few times within half a minute; a network failure never."""

    max_attempts: int = 3
    max_seconds: float = 30.0

    def decide(
        self,
        error: RetryLaterError,
        failures: int,
        elapsed: float,
        budget: RetryBudget | None = None,
    ) -> float | None:
        """None (give up) for a network error; else the usual decision, without a budget."""
        if isinstance(error, NetworkError):
            return None
        return super().decide(error, failures, elapsed, None)


def identify_space(address: SpaceAddress, creds: Credentials, account: str) -> Identity:
    """Who ``creds`` belong to on the space at ``address``; ``InvalidAddressError`` when no
    space answers there, ``NetworkError`` (with a message a user can act on) when it cannot be
    reached for another reason."""
    from backlog_connector.backlog.client import BacklogClient

    host = address.fqdn
    try:
        with BacklogClient(address, creds, account_name=account, retry=FailFastPolicy()) as client:
            return fetch_identity(client)
    except NetworkError as exc:
        reason = network_reason(str(exc))
        if reason is None:
            raise NetworkError(
                f"cannot reach {host} ({exc}); {ADDRESS_FIX}", account=account
            ) from None
        if reason.address_wrong:
            raise InvalidAddressError(unreachable(host, reason), account=account) from None
        raise NetworkError(unreachable(host, reason), account=account) from None
    except NotFoundError as exc:
        raise InvalidAddressError(
            f"no Backlog space answers at {address.base_url} (HTTP 404); {ADDRESS_FIX}"
            " (a cloud space is SPACE.backlog.com, SPACE.backlog.jp or SPACE.backlogtool.com)",
            account=account,
            status=exc.status,
        ) from None
