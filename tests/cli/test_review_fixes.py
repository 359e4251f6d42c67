"""CLI details: preview --json, accounts update (key placement, BACKLOG_API_KEY), the report
catalog without a data home, and 'datasets show' while another process holds the warehouse."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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


def test_reports_needs_no_data_home(cli: Cli, home: Path) -> None:
    names = [r["name"] for r in as_json(cli("reports", "--json"))]
    assert "issues" in names
    assert not home.exists()  # no database, key file or warehouse just to list the catalog


def test_show_while_another_process_holds_the_warehouse(cli: Cli, account: str, home: Path) -> None:
    created = cli("datasets", "create", "Space", "--account", account, "--report", "space")
    assert created.exit_code == 0, created.output
    assert cli("datasets", "run", "Space").exit_code == 0
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('held', flush=True);"
         " sys.stdin.read()", str(home / "warehouse.duckdb")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        shown = cli("datasets", "show", "Space")
        assert shown.exit_code == 0, shown.output
        assert "columns unavailable" in shown.output
        data = as_json(cli("datasets", "show", "Space", "--json"))
        assert data["columns"] is None
        assert data["name"] == "Space"
        json.dumps(data)
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
