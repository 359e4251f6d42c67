"""Settings: env > settings file in the home > defaults; bad values are clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from backlog_connector.backlog.errors import ConfigurationError
from backlog_connector.reports.base import TableSpec, UpdateMode
from backlog_connector.settings import load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("BACKLOG_CONNECTOR_"):
            monkeypatch.delenv(name)


def test_defaults_live_in_the_home(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert settings.home == tmp_path.resolve()
    assert settings.scheduler.min_interval_seconds == 60
    assert settings.warehouse_path == tmp_path.resolve() / "warehouse.duckdb"
    assert settings.control_db_url() == f"sqlite:///{tmp_path.resolve() / 'control.sqlite'}"
    assert settings.api_token is None
    assert settings.admin_password is None


def test_home_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKLOG_CONNECTOR_HOME", str(tmp_path / "h"))
    assert load_settings().home == (tmp_path / "h").resolve()


def test_env_beats_file_beats_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "settings.toml").write_text(
        "[scheduler]\nmin_interval_seconds = 7\n", encoding="utf-8"
    )
    assert load_settings(tmp_path).scheduler.min_interval_seconds == 7
    monkeypatch.setenv("BACKLOG_CONNECTOR_SCHEDULER__MIN_INTERVAL_SECONDS", "5")
    monkeypatch.setenv("BACKLOG_CONNECTOR_API_TOKEN", "tok-123")
    monkeypatch.setenv("BACKLOG_CONNECTOR_ADMIN_PASSWORD", "pw-456")
    settings = load_settings(tmp_path)
    assert settings.scheduler.min_interval_seconds == 5
    assert settings.api_token is not None
    assert settings.api_token.get_secret_value() == "tok-123"
    assert settings.admin_password is not None
    assert "pw-456" not in repr(settings)
    assert "tok-123" not in repr(settings)


def test_json_settings_file(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text(
        json.dumps({"database_url": "sqlite:////tmp/x.db"}), encoding="utf-8"
    )
    assert load_settings(tmp_path).control_db_url() == "sqlite:////tmp/x.db"


@pytest.mark.parametrize(
    ("env", "value", "named"),
    [
        ("BACKLOG_CONNECTOR_SCHEDULER__MIN_INTERVAL_SECONDS", "often", "min_interval_seconds"),
        ("BACKLOG_CONNECTOR_SCHEDULER__MIN_INTERVAL_SECONDS", "0", "min_interval_seconds"),
    ],
)
def test_bad_values_name_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: str, value: str, named: str
) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigurationError, match=named):
        load_settings(tmp_path)


def test_broken_settings_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "settings.toml").write_text("scheduler = [", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"settings\.toml"):
        load_settings(tmp_path)


def test_unknown_setting_in_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "settings.toml").write_text("colour = 'blue'\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="colour"):
        load_settings(tmp_path)


@pytest.mark.parametrize(
    "url",
    [
        "nonsense://admin:hunter2-pw@db.example/x",  # no such dialect
        "postgresql+nodriver://admin:hunter2-pw@db.example/x",  # no such driver
        "sqlite:////nonexistent-dir/sub/control.sqlite",  # cannot be opened
        "not a url at all hunter2-pw",
    ],
)
def test_a_bad_database_url_is_a_configuration_error_without_its_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    from backlog_connector.datasets.service import ControlPlane

    monkeypatch.setenv("BACKLOG_CONNECTOR_DATABASE_URL", url)
    with pytest.raises(ConfigurationError, match="BACKLOG_CONNECTOR_DATABASE_URL") as caught:
        ControlPlane.open(tmp_path / "home")
    assert "hunter2-pw" not in str(caught.value)


@pytest.mark.parametrize("name", ["settings.toml", "settings.json"])
def test_a_settings_file_with_secrets_must_be_private(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    if name.endswith(".toml"):
        path.write_text('api_token = "tok-hunter2"\n[scheduler]\nmin_interval_seconds = 5\n')
    else:
        path.write_text(json.dumps({"api_token": "tok-hunter2"}))
    path.chmod(0o644)
    with pytest.raises(ConfigurationError, match="chmod 600") as caught:
        load_settings(tmp_path)
    assert "api_token" in str(caught.value)
    assert "tok-hunter2" not in str(caught.value)
    path.chmod(0o600)
    assert load_settings(tmp_path).api_token is not None


def test_a_settings_file_without_secrets_may_be_readable(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("[scheduler]\nmin_interval_seconds = 5\n")
    path.chmod(0o644)
    assert load_settings(tmp_path).scheduler.min_interval_seconds == 5


def test_a_database_url_with_a_password_is_a_secret(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"database_url": "postgresql+psycopg://u:pw-hunter2@h/db"}))
    path.chmod(0o640)
    with pytest.raises(ConfigurationError, match="database_url") as caught:
        load_settings(tmp_path)
    assert "pw-hunter2" not in str(caught.value)


def test_the_warehouse_memory_limit_reaches_duckdb(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backlog_connector.datasets.service import ControlPlane

    assert load_settings(tmp_path).warehouse.memory_limit == "128MB"
    monkeypatch.setenv("BACKLOG_CONNECTOR_WAREHOUSE__MEMORY_LIMIT", "300MB")
    with ControlPlane.open(home=tmp_path) as cp:
        run = cp._warehouse().open_run(
            "probe", [TableSpec("", pa.schema([("id", pa.int64())]), key=())],
            UpdateMode.REPLACE, run_id="1",
        )  # fmt: skip
        row = run._cur.execute("SELECT current_setting('memory_limit')").fetchone()  # type: ignore[attr-defined]
        run.abort()
    assert row == ("286.1 MiB",)
    monkeypatch.setenv("BACKLOG_CONNECTOR_WAREHOUSE__MEMORY_LIMIT", "lots")
    with pytest.raises(ConfigurationError, match="memory_limit"):
        load_settings(tmp_path)
