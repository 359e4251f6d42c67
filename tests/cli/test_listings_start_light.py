"""The CLI starts light (issue 16): ``--help`` and the listings (``datasets list``,
``accounts list``, ``destinations list``, ``datasets history``) import none of SQLAlchemy,
Alembic, pydantic, rich, pyarrow, DuckDB, httpx, psycopg or cryptography (checked in
``sys.modules`` of a real CLI process, not timed), and what they print is what the full control
plane answers, whose ``get_*`` methods build the same objects from SQLAlchemy's ORM rows, on
SQLite and on PostgreSQL. When a plain read would not tell the truth (a run of a dead process
to settle, a database to migrate, settings to validate), the CLI takes the full control plane."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest

from backlog_connector.cli import COMMANDS, LazyGroup, _summary, main
from backlog_connector.datasets.quick import QuickPlane
from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator
from backlog_connector.settings import Settings
from backlog_connector.settings_files import BASIC_SETTINGS, OTHER_SETTINGS
from pgtools import scratch_database

from .helpers import Cli, as_json

#: socket and pickle come with logging.handlers, which the log file's lazy handler leaves out
HEAVY = ("sqlalchemy", "alembic", "pydantic", "pydantic_settings", "rich", "pyarrow", "duckdb",
         "httpx", "psycopg", "cryptography", "socket", "pickle")  # fmt: skip
#: runs the CLI like its console script, then writes the heavy modules it loaded to a file
PROBE = """
import atexit, json, sys
heavy, out = sys.argv[1].split(","), sys.argv[2]
def report():
    with open(out, "w") as f:
        json.dump(sorted({m.split(".")[0] for m in sys.modules} & set(heavy)), f)
atexit.register(report)
from backlog_connector.cli import main
sys.argv = ["backlog-connector", *sys.argv[3:]]
main()
"""


def probe(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> tuple[Any, list[str]]:
    """Run the CLI in a fresh process: (its stdout as JSON or text, the heavy modules)."""
    out = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(HEAVY), str(out), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout) if "--json" in args else done.stdout
    return printed, json.loads(out.read_text())


@pytest.fixture
def populated(cli: Cli, account: str, home: Path) -> Path:
    """Two datasets of 'acme' (one with a sealed webhook), one of them run once."""
    for name, report in (("people", "users"), ("tracker", "issues")):
        hook = f"https://hooks.example.com/{name}?token=s3cret"
        created = cli("datasets", "create", name, "--account", account, "--report", report,
                      "--webhook-url", hook)  # fmt: skip
        assert created.exit_code == 0, created.output
    ran = cli("datasets", "run", "people", "--json")
    assert ran.exit_code == 0, ran.output
    return home


def test_help_and_listings_import_no_heavy_module(populated: Path, tmp_path: Path) -> None:
    help_text, loaded = probe(tmp_path, "--help")
    assert "datasets" in help_text
    assert "Named datasets" in help_text
    assert loaded == []
    printed: dict[str, Any] = {}
    for args in (("datasets", "list"), ("accounts", "list"), ("destinations", "list"),
                 ("datasets", "history", "people")):  # fmt: skip
        printed[args[0] + args[1]], loaded = probe(tmp_path, *args, "--json")
        # only the list shows the webhook URLs, sealed with Fernet
        assert loaded == (["cryptography"] if args == ("datasets", "list") else []), args
    with ControlPlane.open(populated) as plane:
        # get_dataset / get_account build the objects from the ORM's rows
        assert printed["datasetslist"] == [
            plane.get_dataset(n).to_dict() for n in ("people", "tracker")
        ]
        assert printed["datasetslist"][0]["webhook_url"] == "https://hooks.example.com/…"
        assert printed["datasetslist"][0]["last_run"]["status"] == "succeeded"
        assert printed["accountslist"] == [plane.get_account("acme").to_dict()]
        assert printed["destinationslist"] == [plane.get_destination("warehouse").to_dict()]
        assert printed["datasetshistory"] == [plane.get_run(r["id"]).to_dict()
                                              for r in printed["datasetshistory"]]  # fmt: skip
        assert len(printed["datasetshistory"]) == 1


def test_a_run_of_a_dead_process_is_settled_by_the_listing(populated: Path, tmp_path: Path) -> None:
    with sqlite3.connect(populated / "control.sqlite") as db:
        dataset_id = db.execute("SELECT id FROM datasets WHERE name = 'tracker'").fetchone()[0]
        db.execute(
            'INSERT INTO runs (dataset_id, "trigger", attempt, status, created_at, started_at,'
            " rows_read, rows_written, rows_deleted, rate_limited, retries, wait_seconds,"
            " warnings, owner_host, owner_pid, owner_started) VALUES (?, 'manual', 1, 'running',"
            " '2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000', 0, 0, 0, 0, 0, 0, 0,"
            " ?, ?, 'gone:1')",
            (dataset_id, os.uname().nodename, 2**22 + 12345),  # no such pid
        )
    history, loaded = probe(tmp_path, "datasets", "history", "tracker", "--json")
    assert [r["status"] for r in history] == ["failed"]
    assert "stopped before the run finished" in history[0]["error"]
    assert "sqlalchemy" in loaded  # the full control plane settled it
    again, loaded = probe(tmp_path, "datasets", "history", "tracker", "--json")
    assert again == history
    assert loaded == []


def test_a_new_home_or_other_settings_take_the_full_control_plane(
    home: Path, tmp_path: Path
) -> None:
    listed, loaded = probe(tmp_path, "datasets", "list", "--json")
    assert listed == []
    assert "alembic" in loaded
    assert (home / "control.sqlite").is_file()
    listed, loaded = probe(tmp_path, "datasets", "list", "--json")
    assert listed == []
    assert loaded == []
    setting = {"BACKLOG_CONNECTOR_RUNS__STALE_SECONDS": "30"}
    listed, loaded = probe(tmp_path, "datasets", "list", "--json", env=setting)
    assert listed == []
    assert "pydantic" in loaded
    bad = subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(HEAVY), str(tmp_path / "m"), "datasets", "list"],
        capture_output=True,
        text=True,
        env={**os.environ, "BACKLOG_CONNECTOR_RUNS__STALE_SECONDS": "soon"},
    )
    assert bad.returncode == 2
    assert "runs.stale_seconds" in bad.stderr


def test_the_basic_settings_know_every_setting() -> None:
    assert set(BASIC_SETTINGS) | set(OTHER_SETTINGS) == set(Settings.model_fields)
    assert not set(BASIC_SETTINGS) & set(OTHER_SETTINGS)


def test_help_lists_each_command_as_the_command_itself_would() -> None:
    group = main
    assert isinstance(group, LazyGroup)
    context = click.Context(group)
    for name, (_, summary) in COMMANDS.items():
        command = group.get_command(context, name)
        assert command is not None
        for limit in range(20, 200, 7):
            assert _summary(summary, limit) == command.get_short_help_str(limit), name


def test_listings_on_postgresql_read_what_the_orm_reads(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("BACKLOG_CONNECTOR_") and "TEST" not in name:
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    monkeypatch.setenv("BACKLOG_CONNECTOR_HOME", str(home))
    with scratch_database("quick") as url:
        sa_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        monkeypatch.setenv("BACKLOG_CONNECTOR_DATABASE_URL", sa_url)
        with ControlPlane.open() as plane:
            plane.add_account("acme", base_url=emulator.base_url,
                              api_key=emulator.api_keys["admin"])  # fmt: skip
            hook = "https://hooks.example.com/p?token=s3cret"
            plane.create_dataset("people", account="acme", report="users", webhook_url=hook)
            plane.create_dataset("teams", account="acme", report="teams")
            run = plane.queue_run("people")
            plane.execute_runs([run.id])
            expected = (
                [plane.get_dataset(n) for n in ("people", "teams")],
                [plane.get_account("acme")],
                [plane.get_destination("warehouse")],
                [plane.get_run(run.id)],
            )
            assert plane.list_datasets() == expected[0]  # the same listing, through SQLAlchemy
        with QuickPlane() as quick:
            got = (
                quick.list_datasets(),
                quick.list_accounts(),
                quick.list_destinations(),
                quick.history("people"),
            )
            assert not quick.opened_full
        assert got == expected
        assert got[0][0].last_run is not None
        assert got[0][0].last_run.status == "succeeded"
        assert got[0][0].created_at.tzinfo is not None


def test_listing_output_is_the_same_through_the_in_process_cli(populated: Path, cli: Cli) -> None:
    listed = as_json(cli("datasets", "list", "--json"))
    assert [d["name"] for d in listed] == ["people", "tracker"]
    unknown = cli("datasets", "history", "nope")
    assert unknown.exit_code == 2
    assert "no dataset named 'nope'" in unknown.output


def test_reports_reads_the_cached_catalog_without_the_reports(tmp_path: Path) -> None:
    from backlog_connector.datasets import catalog_cache
    from backlog_connector.datasets.views import report_catalog

    built = report_catalog()
    assert catalog_cache.report_catalog() == built  # built now, or read from the cache
    assert catalog_cache.report_catalog() == built  # read from the cache
    printed, loaded = probe(tmp_path, "reports", "--json")
    assert printed == [i.to_dict() for i in built]
    assert loaded == []


def test_the_catalog_cache_is_renamed_by_any_change_of_the_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backlog_connector.datasets import catalog_cache

    source = tmp_path / "pkg" / "reports" / "issues.py"
    source.parent.mkdir(parents=True)
    source.write_text("A = 1\n")
    monkeypatch.setattr(catalog_cache, "PACKAGE", tmp_path / "pkg")
    first = catalog_cache._sources_digest()
    assert catalog_cache._sources_digest() == first
    os.utime(source, ns=(1, 10**18))
    assert catalog_cache._sources_digest() != first
    catalog = catalog_cache.report_catalog()  # built into the (fake) package's __pycache__
    assert [p.name for p in (tmp_path / "pkg" / "__pycache__").iterdir()] == [
        f"report-catalog-{catalog_cache._sources_digest()}.json"
    ]
    assert catalog_cache.report_catalog() == catalog
