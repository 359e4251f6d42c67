"""CLI details: preview --json, accounts update (key placement, BACKLOG_API_KEY)."""

from __future__ import annotations

from backlog_connector.emulator import Emulator

from .helpers import Cli, as_json


def test_preview_takes_json(cli: Cli, account: str) -> None:
    created = cli("datasets", "create", "Space", "--account", account, "--report", "space")
    assert created.exit_code == 0, created.output
    assert cli("datasets", "run", "Space").exit_code == 0
    rows = as_json(cli("datasets", "preview", "Space", "--json"))
    assert len(rows) == 1
    assert "space_key" in rows[0]


def test_accounts_update_key_placement_and_key_from_the_environment(
    cli: Cli, account: str, emulator: Emulator
) -> None:
    info = as_json(cli("accounts", "update", account, "--api-key-in-query", "--json"))
    assert info["api_key_in_query"] is True
    info = as_json(cli("accounts", "update", account, "--no-api-key-in-query", "--json"))
    assert info["api_key_in_query"] is False
    info = as_json(
        cli("accounts", "update", account, "--json",
            env={"BACKLOG_API_KEY": emulator.api_keys["member"]})
    )  # fmt: skip
    assert info["user_login"] == "member"
    refused = cli("accounts", "update", account, env={"BACKLOG_API_KEY": "wrong-key"})
    assert refused.exit_code == 2
    assert "wrong-key" not in refused.output
    assert as_json(cli("accounts", "show", account, "--json"))["user_login"] == "member"

