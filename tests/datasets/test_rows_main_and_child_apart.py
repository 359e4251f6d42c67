"""A run records the rows it wrote to the main table and to the child tables apart
(``rows_main``, ``rows_child``; ``rows_written`` stays their sum), and the CLI's history, its
``--json`` and the REST API show them: "370,459 rows written" for 50,000 issues confused."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from click.testing import CliRunner
from pydantic import SecretStr

from backlog_connector.cli import main
from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator
from backlog_connector.settings import SchedulerSettings, Settings
from backlog_connector.web.app import create_app

TOKEN = "rows-apart-test-token"


def _tables(warehouse: Path, base: str) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = [
            r[0]
            for r in con.execute("select table_name from information_schema.tables").fetchall()
            if r[0] == base or r[0].startswith(base + "__")
        ]
        return {n: con.execute(f'select count(*) from "{n}"').fetchone()[0] for n in names}


def test_a_run_records_main_and_child_rows_apart(
    plane: ControlPlane, acme: str, emulator: Emulator
) -> None:
    plane.create_dataset("Issues", account=acme, report="issues")
    (run,) = plane.run_datasets(["Issues"])
    assert run.status == "succeeded", run.error
    counts = _tables(plane.warehouse_path, "issues")
    assert len(counts) > 1  # the issues report has child tables
    assert run.rows_main == counts["issues"] == len(emulator.state.issues)
    assert run.rows_child == sum(n for t, n in counts.items() if t != "issues") > 0
    assert run.rows_written == run.rows_main + run.rows_child
    data = plane.history("Issues")[0].to_dict()
    assert (data["rows_main"], data["rows_child"]) == (run.rows_main, run.rows_child)


def test_cli_history_shows_main_and_child_rows(tmp_path: Path, emulator: Emulator) -> None:
    home = tmp_path / "home"
    env = {"BACKLOG_CONNECTOR_HOME": str(home)}
    runner = CliRunner()

    def cli(*args: str) -> str:
        result = runner.invoke(main, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.stdout

    cli("accounts", "add", "acme", "--base-url", emulator.base_url,
        "--api-key", emulator.api_keys["admin"])  # fmt: skip
    cli("datasets", "create", "Issues", "--account", "acme", "--report", "issues")
    cli("datasets", "run", "Issues")
    with ControlPlane.open(home) as plane:
        run = plane.history("Issues")[0]
    assert run.rows_main
    assert run.rows_child
    (shown,) = json.loads(cli("datasets", "history", "Issues", "--json"))
    assert shown["rows_main"] == run.rows_main
    assert shown["rows_child"] == run.rows_child
    assert shown["rows_written"] == run.rows_main + run.rows_child
    text = cli("datasets", "history", "Issues")
    assert "main rows" in text
    assert "child rows" in text
    line = next(x for x in text.splitlines() if f" {run.id} " in x)
    assert str(run.rows_main) in line
    assert str(run.rows_child) in line
    assert str(run.rows_written) not in line  # the confusing sum is no longer the figure


def test_rest_api_gives_main_and_child_rows_and_the_progress(
    tmp_path: Path, emulator: Emulator
) -> None:
    from fastapi.testclient import TestClient

    settings = Settings(
        home=tmp_path / "home",
        api_token=SecretStr(TOKEN),
        admin_password=SecretStr("correct horse battery"),
        scheduler=SchedulerSettings(min_interval_seconds=1),
    )
    with ControlPlane.open(settings=settings) as plane:
        plane.add_account("acme", base_url=emulator.base_url, api_key=emulator.api_keys["admin"])
        plane.create_dataset("Issues", account="acme", report="issues")
        (run,) = plane.run_datasets(["Issues"])
        app = create_app(plane, run_scheduler=False)
        with TestClient(app, base_url="http://localhost") as client:
            headers = {"Authorization": f"Bearer {TOKEN}"}
            one = client.get(f"/api/runs/{run.id}", headers=headers).json()
            (listed,) = client.get("/api/datasets/Issues/runs", headers=headers).json()
    for data in (one, listed):
        assert data["rows_main"] == run.rows_main == len(emulator.state.issues)
        assert data["rows_child"] == run.rows_child
        assert data["rows_written"] == run.rows_main + run.rows_child
        progress = data["progress"]
        assert list(progress) == ["done", "total", "unit", "rows", "rows_per_second",
                                  "eta_seconds", "waiting", "message"]  # fmt: skip
        assert progress["total"] == progress["done"] == len(emulator.state.issues)
