"""The real CLI (click's CliRunner, in-process) with a fresh data home per test."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from backlog_connector.cli import main
from backlog_connector.emulator import Emulator

from .helpers import Cli


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh data home; BACKLOG_CONNECTOR_* and BACKLOG_API_KEY from outside are ignored."""
    import os

    for name in list(os.environ):
        if name.startswith("BACKLOG_CONNECTOR_") or name == "BACKLOG_API_KEY":
            monkeypatch.delenv(name)
    path = tmp_path / "home"
    monkeypatch.setenv("BACKLOG_CONNECTOR_HOME", str(path))
    return path


@pytest.fixture
def cli(home: Path) -> Cli:
    """``cli("accounts", "list", input=None, env=None)`` runs the CLI and returns the result."""

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(main, list(args), input=input, env=env, catch_exceptions=False)

    return run


@pytest.fixture
def account(cli: Cli, emulator: Emulator) -> str:
    """An account 'acme' on the shared emulator (admin key)."""
    result = cli(
        "accounts", "add", "acme", "--base-url", emulator.base_url,
        "--api-key", emulator.api_keys["admin"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return "acme"
