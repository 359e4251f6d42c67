"""The CLI of DESIGN.md end to end against the emulator: create, run, look, export, delete."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from backlog_connector.emulator import Emulator

from .helpers import Cli, as_json


def test_dataset_lifecycle(cli: Cli, account: str, emulator: Emulator, tmp_path: Path) -> None:
    created = as_json(
        cli(
            "datasets", "create", "Backlog Projects", "--account", account,
            "--report", "projects", "--option", "archived=all", "--schedule", "daily 09:00",
            "--retries", "2", "--retry-interval", "10m", "--description", "all projects",
            "--json",
        )
    )  # fmt: skip
    assert created["table"] == "backlog_projects"
    assert created["update_mode"] == "replace"  # the report's default
    assert created["timezone"] == "Asia/Tokyo"  # the space's zone
    assert created["retry_interval_seconds"] == 600

    ran = cli("datasets", "run", "Backlog Projects", "--json")
    assert ran.exit_code == 0, ran.output
    (run,) = as_json(ran)
    truth = len(emulator.state.projects)
    assert run["status"] == "succeeded"
    assert run["table_rows"] == truth
    assert run["requests"]["read"] >= 1
    assert run["duration_seconds"] >= 0

    listed = as_json(cli("datasets", "list", "--json"))
    assert [(d["name"], d["rows"], d["last_run"]["status"]) for d in listed] == [
        ("Backlog Projects", truth, "succeeded")
    ]
    shown = as_json(cli("datasets", "show", "Backlog Projects", "--json"))
    assert ("project_key", "VARCHAR") in [(c["name"], c["type"]) for c in shown["columns"]]
    assert "Backlog Projects" in as_json(cli("accounts", "show", account, "--json"))["datasets"]

    rows = as_json(
        cli("datasets", "preview", "Backlog Projects", "--limit", "2", "--format", "json")
    )
    assert len(rows) == 2
    assert {"id", "project_key", "_space"} <= set(rows[0])
    text = cli("datasets", "preview", "Backlog Projects", "--format", "csv").stdout
    assert len(list(csv.DictReader(io.StringIO(text)))) == truth
    table_view = cli("datasets", "preview", "Backlog Projects")
    assert table_view.exit_code == 0
    assert "project_key" in table_view.stdout

    out = tmp_path / "projects.parquet"
    exported = cli(
        "datasets", "export", "Backlog Projects", "--format", "parquet", "--output", str(out)
    )
    assert exported.exit_code == 0, exported.output
    assert pq.read_table(out).num_rows == truth

    history = as_json(cli("datasets", "history", "Backlog Projects", "--json"))
    assert [h["status"] for h in history] == ["succeeded"]
    human = cli("datasets", "history", "Backlog Projects")
    assert "succeeded" in human.stdout

    updated = as_json(
        cli(
            "datasets",
            "update",
            "Backlog Projects",
            "--schedule",
            "every 2h",
            "--disable",
            "--json",
        )
    )
    assert (updated["schedule"], updated["enabled"]) == ("every 2h", False)

    assert cli("datasets", "delete", "Backlog Projects").exit_code == 0
    assert as_json(cli("datasets", "list", "--json")) == []
    con = duckdb.connect(str(cli_home_warehouse(cli)), read_only=True)
    tables = {
        r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()
    }
    con.close()
    assert "backlog_projects" not in tables
    assert cli("accounts", "remove", account).exit_code == 0
    assert as_json(cli("accounts", "list", "--json")) == []


def cli_home_warehouse(cli: Cli) -> Path:
    import os

    return Path(os.environ["BACKLOG_CONNECTOR_HOME"]) / "warehouse.duckdb"


def test_failed_run_is_recorded_and_listed(cli: Cli, make_emulator: object) -> None:
    emu = make_emulator(issues=20)  # type: ignore[operator]
    key = emu.api_keys["member"]
    assert cli("accounts", "add", "m", "--base-url", emu.base_url, "--api-key", key).exit_code == 0
    assert (
        cli("datasets", "create", "Issues", "--account", "m", "--report", "issues").exit_code == 0
    )
    emu.revoke_key(key)

    ran = cli("datasets", "run", "Issues", "--json")
    assert ran.exit_code == 1
    (run,) = as_json_any(ran)
    assert run["status"] == "failed"
    assert run["error_action"] == "configuration"
    assert "m" in run["error"]

    history = as_json(cli("datasets", "history", "Issues", "--json"))
    assert [(h["id"], h["status"]) for h in history] == [(run["id"], "failed")]
    assert history[0]["error"] == run["error"]
    assert history[0]["finished_at"] is not None
    human = cli("datasets", "history", "Issues")
    assert "failed" in human.stdout
    assert key not in human.output
    listed = as_json(cli("datasets", "list", "--json"))
    assert listed[0]["last_run"]["status"] == "failed"


def test_several_datasets_run_together(cli: Cli, make_emulator: Callable[..., Emulator]) -> None:
    # Every answer takes 0.3 s and one user's requests go one at a time, so runs that really
    # run together overlap for certain; runs one after another could not.
    emu = make_emulator(faults={"slow": 1.0}, slow_seconds=0.3)
    added = cli(
        "accounts", "add", "slow", "--base-url", emu.base_url, "--api-key", emu.api_keys["admin"]
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    for name, report in (("Users", "users"), ("Space", "space"), ("Limits", "rate_limit")):
        created = cli("datasets", "create", name, "--account", "slow", "--report", report)
        assert created.exit_code == 0, created.output
    ran = cli("datasets", "run", "Users", "Space", "Limits")
    assert ran.exit_code == 0, ran.output
    for name in ("Users", "Space", "Limits"):
        assert name in ran.stdout
    runs = {d["name"]: d["last_run"] for d in as_json(cli("datasets", "list", "--json"))}
    assert {r["status"] for r in runs.values()} == {"succeeded"}
    starts = sorted(r["started_at"] for r in runs.values())
    ends = sorted(r["finished_at"] for r in runs.values())
    assert starts[-1] < ends[0]  # all three were under way at the same time


def as_json_any(result: object) -> list[dict[str, object]]:
    import json

    return json.loads(result.stdout)  # type: ignore[attr-defined,no-any-return]
