"""The REST API's request bodies (pydantic models): what each write route accepts.

Every string must be valid Unicode: a lone surrogate (JSON ``"\\ud800"``) is a 422 naming the
field, never a server error where the database driver cannot encode it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

OptionValue = str | int | float | bool


def _check_text(value: Any) -> Any:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(
                "holds a lone surrogate (such as \\ud800), not valid Unicode text"
            ) from None
    elif isinstance(value, SecretStr):
        _check_text(value.get_secret_value())
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_text(item)
    return value


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    @field_validator("*")
    @classmethod
    def _valid_text(cls, value: Any) -> Any:
        return _check_text(value)


class AccountCreate(_Body):
    """A new account: a name, the space (``fqdn`` or ``base_url``) and an API key."""

    name: str
    fqdn: str | None = Field(None, description="SPACE.backlog.com, .jp or .backlogtool.com")
    base_url: str | None = Field(None, description="explicit base URL (Enterprise, emulator)")
    api_key: SecretStr = Field(description="write-only; never returned")
    api_key_in_query: bool = False


class AccountUpdate(_Body):
    """Changes to an account (verified against the space before saving)."""

    api_key: SecretStr | None = None
    fqdn: str | None = None
    base_url: str | None = None
    api_key_in_query: bool | None = None


class DestinationCreate(_Body):
    """A new PostgreSQL destination, checked (connect, create a probe table) before saving."""

    name: str
    url: SecretStr = Field(
        description="postgresql://user[:password]@host[:port]/database[?sslmode=...];"
        " write-only: shown back without the password"
    )
    schema_: str = Field("public", alias="schema", description="the schema of the tables")
    password: SecretStr | None = Field(None, description="write-only; for a URL without a password")


class DatasetCreate(_Body):
    """A new dataset (see ``reports`` for each report's options and update modes)."""

    name: str
    account: str
    report: str
    options: dict[str, OptionValue] = Field(default_factory=dict)
    update_mode: str | None = Field(None, description="replace | append | merge")
    schedule: str = Field("manual", description="manual, every 15m, daily 09:00, ...")
    timezone: str | None = Field(None, description="IANA zone; default: the space's")
    retries: int = 0
    retry_interval: str = "5m"
    description: str = ""
    table: str | None = None
    webhook_url: str | None = None
    enabled: bool = True
    destination: str | None = Field(
        None, description="a saved destination; default: warehouse (the DuckDB file)"
    )
    publish: str | None = Field(
        None, description="'parquet': each successful run also writes published/<table>.parquet"
    )
    check_options: bool = Field(
        True, description="check option names (statuses, projects, ...) against the space first"
    )


class DatasetUpdate(_Body):
    """Changes to a dataset; fields left out stay as they are."""

    description: str | None = None
    account: str | None = None
    options: dict[str, OptionValue | None] | None = Field(
        None, description="Options to set; null removes one; options not named stay"
    )
    update_mode: str | None = None
    schedule: str | None = None
    timezone: str | None = None
    retries: int | None = None
    retry_interval: str | None = None
    webhook_url: str | None = None
    enabled: bool | None = None
    destination: str | None = Field(
        None, description="move the table to this destination (the next run is full)"
    )
    publish: str | None = Field(None, description="'parquet' or 'none'")
    check_options: bool = Field(
        True, description="check changed option names against the space first"
    )


class RunRequest(_Body):
    """Run now; ``full`` ignores the saved cursor and reads everything."""

    full: bool = False


def option_strings(raw: dict[str, OptionValue]) -> dict[str, str]:
    """Option values as the control plane takes them (booleans as true/false)."""
    return {k: (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in raw.items()}
