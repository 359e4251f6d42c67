"""Honest history without ``serve``: a CLI run killed (SIGKILL), terminated (SIGTERM) or
interrupted (SIGINT) mid-run, and a process killed between its commit and its run record, are
told truthfully by the next CLI command that reads the history, with no other process around.

Real parts: ``backlog-connector datasets run`` as a subprocess, the emulator on loopback
(slowed so the run is caught mid-way), the real control plane and DuckDB file.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from backlog_connector.emulator import Emulator
from pgtools import scratch_database

HERE = Path(__file__).parent
CLI = str(Path(sys.executable).parent / "backlog-connector")


class Home:
    """A data home and the CLI over it, as a user would run it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("BACKLOG_CONNECTOR_") and k != "BACKLOG_API_KEY"
        }
        self.env["BACKLOG_CONNECTOR_HOME"] = str(path)  # fmt: skip

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([CLI, *args], env=self.env, input=stdin, capture_output=True,
                              text=True, timeout=120)  # fmt: skip

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([CLI, *args], env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)  # fmt: skip

    def history(self, dataset: str) -> list[dict[str, Any]]:
        done = self.cli("datasets", "history", dataset, "--json")
        assert done.returncode == 0, done.stderr
        runs: list[dict[str, Any]] = json.loads(done.stdout)
        return runs

    def raw_status(self, run_id: int | None = None) -> str | None:
        """The newest (or given) run's status as stored, read without settling anything."""
        with sqlite3.connect(self.path / "control.sqlite") as db:
            if run_id is None:
                row = db.execute("SELECT status FROM runs ORDER BY id DESC LIMIT 1").fetchone()
            else:
                row = db.execute("SELECT status FROM runs WHERE id = ?", [run_id]).fetchone()
        return row[0] if row else None

    def staging_tables(self) -> list[str]:
        """The runs' staging files left beside the warehouse (a run stages in its own file)."""
        from backlog_connector.sinks.duckdb_staging import staging_files

        return [p.name for p in staging_files(self.path / "warehouse.duckdb")]


@pytest.fixture
def slow_space(make_emulator: Callable[..., Emulator]) -> Emulator:
    return make_emulator(seed=5, projects=2, issues=400)


@pytest.fixture
def home(tmp_path: Path, slow_space: Emulator) -> Home:
    home = Home(tmp_path / "home")
    added = home.cli("accounts", "add", "acme", "--base-url", slow_space.base_url,
                     stdin=slow_space.api_keys["admin"] + "\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    made = home.cli("datasets", "create", "Issues", "--account", "acme", "--report", "issues")
    assert made.returncode == 0, made.stderr
    return home


def _run_until_mid_way(home: Home, emu: Emulator) -> subprocess.Popen[str]:
    emu.set_faults(slow=1.0, slow_seconds=0.4)  # every request slow: the run lasts seconds
    proc = home.start("datasets", "run", "Issues")
    deadline = time.monotonic() + 30
    while home.raw_status() != "running":
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the run never started"
        time.sleep(0.05)
    time.sleep(1.0)  # a page or two in: staging tables exist
    return proc


def test_sigkill_mid_run_is_settled_failed_by_the_next_history(
    home: Home, slow_space: Emulator
) -> None:
    proc = _run_until_mid_way(home, slow_space)
    pid = proc.pid
    proc.kill()
    proc.wait(10)
    assert home.raw_status() == "running"  # nothing recorded it: the history must settle it
    run = home.history("Issues")[0]
    assert run["status"] == "failed"
    assert "stopped before the run finished" in run["error"]
    assert f"pid {pid}" in run["error"]
    assert run["finished_at"] is not None
    assert run["error_action"] == "retry_later"
    listed = json.loads(home.cli("datasets", "list", "--json").stdout)
    assert listed[0]["last_run"]["status"] == "failed"
    slow_space.set_faults(slow=0.0)
    again = home.cli("datasets", "run", "Issues")  # the next run recovers
    assert again.returncode == 0, again.stderr
    assert home.history("Issues")[0]["status"] == "succeeded"
    assert home.staging_tables() == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_sigint_cancel_the_cli_run_and_drop_its_staging(
    home: Home, slow_space: Emulator, signum: int
) -> None:
    proc = _run_until_mid_way(home, slow_space)
    proc.send_signal(signum)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1, err  # the run did not succeed
    run = home.history("Issues")[0]
    assert home.raw_status(run["id"]) == "cancelled"  # recorded by the CLI itself
    assert "cancelled" in run["error"]
    assert home.staging_tables() == []
    # the first run was cancelled: no table was made (a run writes the warehouse only at commit)
    assert not (home.path / "warehouse.duckdb").exists()


@pytest.mark.parametrize("destination", ["warehouse", "postgresql"])
def test_a_kill_after_the_commit_is_reconciled_with_the_commit_marker(
    home: Home, destination: str
) -> None:
    with contextlib.ExitStack() as stack:
        if destination == "postgresql":  # the marker is written in the destination's commit
            url = stack.enter_context(scratch_database("history"))
            added = home.cli("destinations", "add", "pg", "--url", url)
            assert added.returncode == 0, added.stderr
            moved = home.cli("datasets", "update", "Issues", "--destination", "pg")
            assert moved.returncode == 0, moved.stderr
        _kill_after_the_commit_then_read_the_history(home)


def _kill_after_the_commit_then_read_the_history(home: Home) -> None:
    died = subprocess.run(
        [sys.executable, str(HERE / "commit_then_die.py"), str(home.path), "Issues"],
        env=home.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert died.returncode == -signal.SIGKILL, died.stderr  # fmt: skip
    run_id = int(died.stdout.split()[0])
    assert home.raw_status(run_id) == "running"
    run = home.history("Issues")[0]
    assert run["id"] == run_id
    assert run["status"] == "succeeded", run
    assert run["rows_written"] == 3
    assert run["table_rows"] == 3
    assert "commit record" in run["note"]
    assert run["error"] is None


def test_serve_start_leaves_a_live_cli_run_alone(home: Home, slow_space: Emulator) -> None:
    from backlog_connector.datasets.service import ControlPlane

    proc = _run_until_mid_way(home, slow_space)
    with ControlPlane.open(home.path) as plane:  # what serve does at its start
        assert plane.fail_orphaned_runs() == 0
    assert home.raw_status() == "running"
    slow_space.set_faults(slow=0.0)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert home.history("Issues")[0]["status"] == "succeeded"


def test_the_losing_run_of_two_concurrent_cli_runs_is_skipped(
    home: Home, slow_space: Emulator
) -> None:
    first = _run_until_mid_way(home, slow_space)
    second = home.cli("datasets", "run", "Issues", "--json")
    assert second.returncode == 1, second.stderr
    lost = json.loads(second.stdout)[0]
    assert lost["status"] == "skipped", lost
    assert f"pid {first.pid}" in lost["error"]
    slow_space.set_faults(slow=0.0)
    _out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    assert [r["status"] for r in home.history("Issues")] == ["skipped", "succeeded"]


def test_a_killed_run_is_never_settled_from_another_datasets_run_of_the_same_id(
    home: Home, slow_space: Emulator
) -> None:
    made = home.cli("datasets", "create", "Users", "--account", "acme", "--report", "users")
    assert made.returncode == 0, made.stderr
    assert home.cli("datasets", "run", "Users").returncode == 0
    first = home.history("Users")[0]["id"]
    assert home.cli("datasets", "delete", "Users").returncode == 0
    proc = _run_until_mid_way(home, slow_space)  # run ids are never handed out again (0008)
    proc.kill()
    proc.wait(10)
    run = home.history("Issues")[0]
    assert run["id"] > first
    assert run["status"] == "failed", run  # not "succeeded" with the deleted run's counts
    assert run["rows_written"] == 0
