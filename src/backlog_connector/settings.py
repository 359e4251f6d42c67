"""Settings: environment variables, a settings file in the data home, then defaults.

Precedence, highest first: values passed to ``Settings(...)``; environment variables
(``BACKLOG_CONNECTOR_...``, nested with ``__``, e.g.
``BACKLOG_CONNECTOR_SCHEDULER__MIN_INTERVAL_SECONDS=5``); the settings file of the data home
(``settings.toml`` or ``settings.json``, same names: ``[scheduler] min_interval_seconds = 5``);
the defaults.

The data home is ``$BACKLOG_CONNECTOR_HOME`` (default ``~/.local/share/backlog-connector``); it
holds the control-plane database, ``warehouse.duckdb`` and the secret key file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from backlog_connector.backlog.errors import ConfigurationError
from backlog_connector.settings_files import (
    CONTROL_DB_FILE,
    DEFAULT_STALE_SECONDS,
    ENV_PREFIX,
    KEY_FILE,
    SECRET_SETTINGS,
    SETTINGS_FILES,
    WAREHOUSE_FILE,
    HomeFiles,
    default_home,
    settings_file_data,
)

__all__ = [
    "CONTROL_DB_FILE",
    "ENV_PREFIX",
    "KEY_FILE",
    "SECRET_SETTINGS",
    "SETTINGS_FILES",
    "WAREHOUSE_FILE",
    "Settings",
    "default_home",
    "load_settings",
]


class SchedulerSettings(BaseModel):
    """How the ``serve`` scheduler behaves."""

    model_config = ConfigDict(extra="forbid")

    #: the shortest interval a schedule may use; lower it (e.g. to 5) for demos and tests
    min_interval_seconds: int = Field(default=60, ge=1)


class RunsSettings(BaseModel):
    """How runs prove they are alive, and when a silent one is given up for dead."""

    model_config = ConfigDict(extra="forbid")

    #: how often a process refreshes the heartbeat of the runs it owns
    heartbeat_seconds: float = Field(default=10.0, gt=0, le=3600)
    #: a run owned by a process on another host whose heartbeat is older than this is settled
    #: as failed (on the owner's own host a dead pid is seen at once)
    stale_seconds: float = Field(default=DEFAULT_STALE_SECONDS, gt=0, le=7 * 86400)


class WebSettings(BaseModel):
    """The ``serve`` web server: which Host headers it answers, which proxies it believes."""

    model_config = ConfigDict(extra="forbid")

    #: Host header names (no port) accepted besides the loopback names, the address serve
    #: listens on and the host of its public URL; "*" accepts any (not recommended)
    allowed_hosts: list[str] = Field(default_factory=list)
    #: addresses of reverse proxies whose X-Forwarded-Proto / X-Forwarded-For are believed
    #: (the session cookie is then marked Secure for https, sign-in throttling counts the
    #: real client); none by default
    trusted_proxies: list[str] = Field(default_factory=list)
    #: failed sign-ins of one client before it must wait (1 s, doubling up to 15 minutes)
    sign_in_attempts: int = Field(default=5, ge=1, le=1000)
    #: the language of the web pages: "auto" follows the browser's Accept-Language, "ja" or
    #: "en" fixes it; the pages' language switch (a cookie) still wins in that browser
    language: Literal["auto", "ja", "en"] = "auto"


class NetworkSettings(BaseModel):
    """Which addresses the connector may send requests to."""

    model_config = ConfigDict(extra="forbid")

    #: allow Backlog base URLs and webhook URLs that point at private, link-local or other
    #: non-public addresses (10/8, 172.16/12, 192.168/16, 169.254/16, fc00::/7, fe80::/10);
    #: loopback http stays allowed regardless
    allow_private_addresses: bool = False


class WarehouseSettings(BaseModel):
    """The DuckDB warehouse of the process that runs syncs."""

    model_config = ConfigDict(extra="forbid")

    #: DuckDB's buffer pool of each connection a run opens (its staging file, the warehouse at
    #: commit; e.g. "128MB", "2GB"); beyond it DuckDB evicts to the file or spills to a
    #: temporary directory. None: DuckDB's default (80 % of the machine's memory). 128MB keeps
    #: a CLI sync of 100,000 issues under 400 MB with a commit of about a second
    memory_limit: str | None = Field(
        default="128MB", pattern=r"(?i)^\s*\d+(\.\d+)?\s*[KMGT]?i?B\s*$"
    )
    #: how long a run's commit waits for readers of the destination to let go (another process
    #: with warehouse.duckdb open, a PostgreSQL session holding the tables) before it fails
    commit_wait_seconds: float = Field(default=600.0, ge=0, le=86_400)


class WorkersSettings(BaseModel):
    """Runs on ``worker`` processes (only with ``database_url`` in PostgreSQL)."""

    model_config = ConfigDict(extra="forbid")

    #: how often a worker tells the database it is alive
    heartbeat_seconds: float = Field(default=5.0, gt=0)
    #: a worker silent this long is taken for dead: its run is failed and its job retried
    stalled_seconds: float = Field(default=30.0, gt=0)
    #: how often ``serve`` looks for runs of dead workers
    sweep_seconds: int = Field(default=5, ge=1, le=59)
    #: the queue of the datasets in the embedded DuckDB warehouse, consumed only by workers on
    #: the host that has the file; default ``warehouse-<this host's name>``
    warehouse_queue: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.:@-]{1,100}$")


class Settings(HomeFiles, BaseSettings):
    """Everything configurable. ``home`` is resolved to an absolute path."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    home: Path = Field(default_factory=default_home)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    warehouse: WarehouseSettings = Field(default_factory=WarehouseSettings)
    workers: WorkersSettings = Field(default_factory=WorkersSettings)
    runs: RunsSettings = Field(default_factory=RunsSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    network: NetworkSettings = Field(default_factory=NetworkSettings)
    #: fixes the REST API token (otherwise generated at the first start of ``serve``)
    api_token: SecretStr | None = None
    #: fixes the web sign-in password (otherwise generated at the first start of ``serve``)
    admin_password: SecretStr | None = None
    #: SQLAlchemy URL of the control plane; default: a SQLite file in the data home
    database_url: SecretStr | None = None
    #: Fernet key for saved credentials; default: the 0600 key file in the data home
    secret_key: SecretStr | None = None

    def control_db_url(self) -> str:
        """The control plane's SQLAlchemy URL (may hold a password: never print it)."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return self.home_control_db_url()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, HomeFileSource(settings_cls, init_settings)


class HomeFileSource(PydanticBaseSettingsSource):
    """``settings.toml`` or ``settings.json`` in the data home (the home named by the caller,
    by ``$BACKLOG_CONNECTOR_HOME``, or the default)."""

    def __init__(self, settings_cls: type[BaseSettings], init: PydanticBaseSettingsSource) -> None:
        super().__init__(settings_cls)
        init_kwargs = init.init_kwargs if isinstance(init, InitSettingsSource) else {}
        home = init_kwargs.get("home")
        self.home = Path(home).expanduser() if home is not None else default_home()

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ reads the whole file at once

    def __call__(self) -> dict[str, Any]:
        return settings_file_data(self.home)


def load_settings(home: Path | None = None) -> Settings:
    """Settings for ``home`` (default: ``$BACKLOG_CONNECTOR_HOME`` or the default home).

    Raises ``ConfigurationError`` naming the bad setting instead of pydantic's traceback.
    """
    try:
        settings = Settings(home=home) if home is not None else Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigurationError(
            f"invalid settings ({problems}); fix the BACKLOG_CONNECTOR_* environment variables"
            " or the settings file in the data home"
        ) from None
    settings.home = settings.home.expanduser().resolve()
    return settings
