"""``accounts projects NAME`` lists the space's projects (table and --json)."""

from __future__ import annotations

from backlog_connector.emulator import Emulator

from .helpers import Cli, as_json


def test_projects_of_an_account(cli: Cli, account: str, emulator: Emulator) -> None:
    listed = as_json(cli("accounts", "projects", account, "--json"))
    keys = {p["key"] for p in listed}
    assert keys == {p.key for p in emulator.state.projects.values()}
    assert all({"id", "key", "name", "archived"} <= set(p) for p in listed)
    human = cli("accounts", "projects", account)
    assert human.exit_code == 0
    assert all(key in human.stdout for key in keys)


def test_projects_of_an_unknown_account(cli: Cli) -> None:
    result = cli("accounts", "projects", "nobody")
    assert result.exit_code == 2
    assert "nobody" in result.stderr
