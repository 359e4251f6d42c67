"""Control-plane errors. All are ``ConfigurationError``s: fix the input, then try again.

::

    ConfigurationError (backlog.errors)
    ├── NotFoundError (backlog.errors)
    │   └── UnknownNameError         no account / dataset / destination / run of that name or id
    ├── NameTakenError               an account, dataset or destination of that name (or a table)
    │                                exists, or the reserved destination name ``warehouse``
    ├── AccountInUseError            removing an account that datasets still use
    ├── DestinationInUseError        removing a destination that datasets still use
    └── SecretKeyError               the saved credentials cannot be decrypted with this key
"""

from __future__ import annotations

from backlog_connector.backlog.errors import ConfigurationError, NotFoundError


class UnknownNameError(NotFoundError):
    """No account, dataset, destination or run with that name or id."""


class NameTakenError(ConfigurationError):
    """The name (or the table name) is already used by another account or dataset."""


class AccountInUseError(ConfigurationError):
    """The account is still used by datasets; ``datasets`` names them."""

    def __init__(
        self, message: str, *, datasets: tuple[str, ...] = (), account: str | None = None
    ) -> None:
        super().__init__(message, account=account)
        self.datasets = datasets


class DestinationInUseError(ConfigurationError):
    """The destination is still used by datasets; ``datasets`` names them."""

    def __init__(self, message: str, *, datasets: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.datasets = datasets


class SecretKeyError(ConfigurationError):
    """The secret key is malformed or is not the one the credentials were saved with."""
