"""The API key appears nowhere: not in output, not in --json, not in logs, not in the files."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from backlog_connector.emulator import Emulator

from .helpers import Cli


@pytest.mark.parametrize("how", ["option", "stdin", "env", "in_query"])
def test_api_key_never_shown_logged_or_stored_in_clear(
    cli: Cli,
    home: Path,
    emulator: Emulator,
    caplog: pytest.LogCaptureFixture,
    how: str,
) -> None:
    key = emulator.api_keys["admin"]
    caplog.set_level(logging.DEBUG)
    add = ["accounts", "add", "acme", "--base-url", emulator.base_url]
    if how == "option":
        added = cli(*add, "--api-key", key, "--json")
    elif how == "stdin":
        added = cli(*add, "--json", input=key + "\n")
    elif how == "env":
        added = cli(*add, "--json", env={"BACKLOG_API_KEY": key})
    else:
        added = cli(*add, "--api-key", key, "--api-key-in-query", "--json")
    assert added.exit_code == 0, added.output
    outputs = [added]
    outputs += [
        cli("accounts", "show", "acme"),
        cli("accounts", "show", "acme", "--json"),
        cli("accounts", "list"),
        cli("accounts", "list", "--json"),
        cli("accounts", "verify", "acme", "--json"),
        cli("datasets", "create", "Users", "--account", "acme", "--report", "users", "--json"),
        cli("datasets", "run", "Users", "--json"),
        cli("datasets", "list", "--json"),
        cli("datasets", "show", "Users", "--json"),
        cli("datasets", "history", "Users", "--json"),
        cli("reports", "--json"),
    ]
    for result in outputs:
        assert result.exit_code == 0, result.output
        assert key not in result.output
        assert key not in result.stderr
    assert '"user_name"' in outputs[2].stdout  # the show --json output is really there
    # a run happened, so the client logged requests (at DEBUG); none carries the key
    client_records = [r for r in caplog.records if not r.name.startswith("backlog_connector.emu")]
    assert client_records, "expected log records from the run"
    for record in client_records:
        assert key not in record.getMessage()
        assert key not in (record.exc_text or "")
    files = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.name.startswith("control.sqlite") for p in files)
    for path in files:
        assert key.encode() not in path.read_bytes(), path


def test_a_revoked_key_message_does_not_echo_it(cli: Cli, make_emulator: object) -> None:
    emu = make_emulator(issues=10)  # type: ignore[operator]
    key = emu.api_keys["admin"]
    assert cli("accounts", "add", "a", "--base-url", emu.base_url, "--api-key", key).exit_code == 0
    emu.revoke_key(key)
    result = cli("accounts", "verify", "a")
    assert result.exit_code == 2
    assert "authentication" in result.stderr.lower() or "key" in result.stderr.lower()
    assert key not in result.output
    assert key not in result.stderr


def test_a_key_on_the_command_line_works_but_warns_and_stdin_does_not(
    cli: Cli, emulator: Emulator
) -> None:
    key = emulator.api_keys["admin"]
    add = ["accounts", "add", "acme", "--base-url", emulator.base_url]
    warned = cli(*add, "--api-key", key)
    assert warned.exit_code == 0, warned.output
    assert "warning: a key given with --api-key is visible" in warned.stderr
    assert "BACKLOG_API_KEY" in warned.stderr
    assert key not in warned.stderr + warned.stdout
    piped = cli("accounts", "add", "other", "--base-url", emulator.base_url, "--api-key", "-",
                input=key + "\n")  # fmt: skip
    assert piped.exit_code == 0, piped.output
    assert "warning" not in piped.stderr
    quiet = cli("accounts", "add", "third", "--base-url", emulator.base_url, input=key + "\n")
    assert quiet.exit_code == 0, quiet.output
    assert "warning" not in quiet.stderr
    help_text = cli("accounts", "add", "--help").stdout
    assert "visible in ps" in help_text
