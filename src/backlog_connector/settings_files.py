"""The settings' files and names, without pydantic: where the data home is, reading its
settings file, and the few settings a read-only listing needs (``basic_settings``).

``settings.Settings`` is the one validated view of every setting; this module holds what both
it and the CLI's quick listings share, so that ``datasets list`` need not load pydantic when
nothing beyond the data home, the database URL and the secret key is configured.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backlog_connector.backlog.errors import ConfigurationError

ENV_PREFIX = "BACKLOG_CONNECTOR_"
SETTINGS_FILES = ("settings.toml", "settings.json")
WAREHOUSE_FILE = "warehouse.duckdb"
CONTROL_DB_FILE = "control.sqlite"
KEY_FILE = "secret.key"
#: settings that are secrets: a settings file holding one must not be readable by others
SECRET_SETTINGS = ("secret_key", "api_token", "admin_password", "database_url")
#: the settings ``basic_settings`` understands; any other one needs the validated ``Settings``
BASIC_SETTINGS = ("home", "database_url", "secret_key")
#: every other setting of ``settings.Settings`` (a test keeps the two lists complete)
OTHER_SETTINGS = ("scheduler", "warehouse", "workers", "runs", "web", "network", "api_token",
                  "admin_password")  # fmt: skip
#: ``runs.stale_seconds``'s default (``settings.RunsSettings``)
DEFAULT_STALE_SECONDS = 120.0


def default_home() -> Path:
    """``$BACKLOG_CONNECTOR_HOME``, else ``~/.local/share/backlog-connector``."""
    env = os.environ.get(ENV_PREFIX + "HOME")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".local" / "share" / "backlog-connector"


def settings_file_data(home: Path) -> dict[str, Any]:
    """The settings of the file in ``home`` (``settings.toml`` first), {} when there is none."""
    for name in SETTINGS_FILES:
        path = home / name
        if path.is_file():
            return read_settings_file(path)
    return {}


def read_settings_file(path: Path) -> dict[str, Any]:
    """The settings of one file; ``ConfigurationError`` for bad syntax, or for secrets in a
    file other users may read."""
    import tomllib  # not at import: most homes have no settings file

    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (OSError, ValueError) as exc:
        raise ConfigurationError(
            f"cannot read the settings file {path}: {exc}; fix its syntax or remove it"
        ) from None
    if not isinstance(data, dict):
        raise ConfigurationError(
            f"the settings file {path} must hold a table/object of settings; fix or remove it"
        )
    data.pop("home", None)  # the file lives in the home; it cannot move it
    secrets = sorted(k for k in SECRET_SETTINGS if _holds_secret(k, data.get(k)))
    mode = path.stat().st_mode & 0o777
    if secrets and mode & 0o077:
        raise ConfigurationError(
            f"the settings file {path} holds {', '.join(secrets)} but is readable by other users"
            f" (mode {mode:o}); run 'chmod 600 {path}', or move those settings to"
            " BACKLOG_CONNECTOR_* environment variables"
        )
    return data


def _holds_secret(name: str, value: Any) -> bool:
    if value in (None, ""):
        return False
    if name == "database_url" and isinstance(value, str):
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            return make_url(value).password is not None  # a SQLite path is no secret
        except ArgumentError:
            return True
    return True


class HomeFiles:
    """The files of a data home, for a settings object with a ``home`` (``Settings`` and
    ``BasicSettings`` both)."""

    if TYPE_CHECKING:
        home: Path

    @property
    def warehouse_path(self) -> Path:
        """The DuckDB file of the datasets."""
        return self.home / WAREHOUSE_FILE

    @property
    def key_file(self) -> Path:
        """The 0600 file holding the Fernet key when ``secret_key`` is not set."""
        return self.home / KEY_FILE

    def home_control_db_url(self) -> str:
        """The SQLAlchemy URL of the control plane's SQLite file in the data home."""
        return f"sqlite:///{self.home / CONTROL_DB_FILE}"


@dataclass(frozen=True)
class BasicSettings(HomeFiles):
    """The data home, the control-plane URL and the secret key: all a listing reads."""

    home: Path
    database_url: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)
    stale_seconds: float = DEFAULT_STALE_SECONDS

    def control_db_url(self) -> str:
        """The control plane's SQLAlchemy URL (may hold a password: never print it)."""
        if self.database_url is not None:
            return self.database_url
        return self.home_control_db_url()


def basic_settings() -> BasicSettings | None:
    """The basic settings from the environment and the data home's settings file, or None
    when anything else is set there (or a value is not a plain string, or the secret key is no
    Fernet key): then only the validated ``settings.load_settings`` may answer, with its
    errors. Raises the settings file's ``ConfigurationError`` like ``load_settings``."""
    values: dict[str, Any] = {}
    home = default_home().expanduser()
    for key, value in settings_file_data(home).items():
        if key not in BASIC_SETTINGS:
            return None
        values[key] = value
    for name, value in os.environ.items():
        if name[: len(ENV_PREFIX)].upper() != ENV_PREFIX:
            continue
        key = name[len(ENV_PREFIX) :].lower()
        if key.split("__")[0] in OTHER_SETTINGS:
            return None
        if key in BASIC_SETTINGS and key != "home":  # other names are no settings
            values[key] = value
    if any(not isinstance(v, str) or not v for v in values.values()):
        return None
    secret_key = values.get("secret_key")
    if secret_key is not None and not _fernet_key(secret_key):
        return None
    return BasicSettings(
        home=home.resolve(),
        database_url=values.get("database_url"),
        secret_key=secret_key,
    )


def _fernet_key(value: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(value.encode())) == 32
    except (binascii.Error, ValueError):
        return False
