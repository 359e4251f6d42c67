"""``backlog-connector demo``: emulator -> account -> one dataset per seed report -> DuckDB.

Running it again reuses the saved account and the datasets, and starts the emulator on the
port it had before when that port is free: the space (every table's ``_space``) stays the same,
so the runs stay incremental. On another port the account moves and the runs are full again.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from backlog_connector.backlog.errors import ConfigurationError, GiveUpError
from backlog_connector.commands.common import (
    EXIT_FAILED,
    control_plane,
    errors_to_exit_codes,
    stderr,
    table,
)
from backlog_connector.commands.progress import run_with_progress

ACCOUNT = "demo"
#: the nine reports of the original connector, and the update mode the demo uses for each
SEED_REPORTS: dict[str, str | None] = {
    "space": None,
    "projects": None,
    "users": None,
    "teams": None,
    "issue_types": None,
    "categories": None,
    "issues": "merge",
    "recent_updates": None,
    "rate_limit": None,
}
START_TIMEOUT = 60.0


@click.command()
@click.option("--issues", default=2000, show_default=True, type=click.IntRange(1, 200_000))
@click.option("--projects", default=3, show_default=True, type=click.IntRange(1, 50))
@click.option("--seed", default=1, show_default=True, type=int)
@click.option(
    "--plan",
    type=click.Choice(["paid", "free", "unlimited"]),
    default="paid",
    show_default=True,
    help="The emulated space's rate limits.",
)
@errors_to_exit_codes
def demo(issues: int, projects: int, seed: int, plan: str) -> None:
    """Start the emulator, save an account, create one dataset per seed report, run them all,
    and show where the data is."""
    err = stderr()
    args = ["--seed", str(seed), "--projects", str(projects), "--issues", str(issues)]
    err.print(f"Starting the Backlog emulator ({issues} issues, {plan} plan)...")
    with (
        control_plane() as plane,
        emulator_at(_previous_port(plane), ["--plan", plan, *args]) as hello,
    ):
        base_url, api_key = hello["base_url"], hello["api_keys"]["admin"]
        err.print(f"Emulator at {base_url}")
        _save_account(plane, base_url, api_key)
        names = _ensure_datasets(plane)
        started = time.monotonic()
        runs = run_with_progress(plane, names, err)
        elapsed = time.monotonic() - started
        warehouse = plane.warehouse_path
        home = plane.home
    table(
        ["dataset", "status", "rows", "written", "requests", "seconds"],
        [
            [
                r.dataset,
                r.status,
                r.table_rows,
                r.rows_written,
                r.requests_total,
                f"{r.duration_seconds or 0:.1f}",
            ]
            for r in runs
        ],
        title=f"Demo: {len(runs)} datasets in {elapsed:.1f} s",
    )
    for r in runs:
        if r.error:
            click.echo(f"{r.dataset}: {r.status}: {r.error}", err=True)
    query = "select status_name, count(*) from issues group by 1 order by 2 desc"
    # the command as the user can type it, even when the venv is not activated
    command = Path(sys.executable).with_name("backlog-connector")
    cli = str(command) if command.exists() else "backlog-connector"
    click.echo(
        f"\nThe data is in {warehouse} (control plane and key in {home}). Query it:\n"
        f"  {sys.executable} -c \"import duckdb; print(duckdb.connect('{warehouse}',"
        f" read_only=True).sql('{query}'))\"\n"
        "Browse it in the web UI:\n"
        f"  {cli} serve    # then open http://127.0.0.1:8080\n"
        f"More: {cli} datasets list | datasets preview issues | datasets history issues"
    )
    if any(r.status != "succeeded" for r in runs):
        raise SystemExit(EXIT_FAILED)


def _previous_port(plane: Any) -> int | None:
    """The port of the emulator the saved demo account pointed at, if any."""
    if ACCOUNT not in {a.name for a in plane.list_accounts()}:
        return None
    try:
        base_url: str = plane.get_account(ACCOUNT).base_url
        return urlsplit(base_url).port
    except ValueError:
        return None


def _save_account(plane: Any, base_url: str, api_key: str) -> None:
    """Add the demo account, or point the saved one at this emulator's port."""
    existing = {a.name for a in plane.list_accounts()}
    if ACCOUNT in existing:
        plane.update_account(ACCOUNT, api_key=api_key, base_url=base_url)
        stderr().print(f"Updated account {ACCOUNT!r} to {base_url}")
    else:
        plane.add_account(ACCOUNT, base_url=base_url, api_key=api_key)
        stderr().print(f"Saved account {ACCOUNT!r}")


def _ensure_datasets(plane: Any) -> list[str]:
    """One dataset per seed report, named after it; existing demo datasets are reused."""
    existing = {d.name: d for d in plane.list_datasets()}
    for report, mode in SEED_REPORTS.items():
        found = existing.get(report)
        if found is None:
            plane.create_dataset(
                report,
                account=ACCOUNT,
                report=report,
                update_mode=mode,
                description=f"Demo: the {report} report of the emulated space",
            )
        elif (found.account, found.report) != (ACCOUNT, report):
            raise ConfigurationError(
                f"a dataset named {report!r} exists and is not the demo's (account"
                f" {found.account!r}, report {found.report!r}); run the demo with another data"
                " home (BACKLOG_CONNECTOR_HOME=/tmp/demo) or delete that dataset"
            )
    return list(SEED_REPORTS)


@contextmanager
def emulator(args: Sequence[str]) -> Iterator[dict[str, Any]]:
    """Run ``backlog-connector emulator ARGS`` in the background; yield its first JSON line;
    stop it afterwards."""
    process, hello = _start(args)
    try:
        yield hello
    finally:
        _stop(process)


@contextmanager
def emulator_at(port: int | None, args: Sequence[str]) -> Iterator[dict[str, Any]]:
    """``emulator`` on ``port`` if it is free, else on any free port."""
    started = None
    if port:
        try:
            started = _start(["--port", str(port), *args])
        except GiveUpError:  # the port is taken now
            started = None
    process, hello = started or _start(["--port", "0", *args])
    try:
        yield hello
    finally:
        _stop(process)


def _start(args: Sequence[str]) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    command = [sys.executable, "-c", "from backlog_connector.cli import main; main()", "emulator"]
    process = subprocess.Popen(
        [*command, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        return process, _first_line(process)
    except BaseException:
        _stop(process)
        raise


def _first_line(process: subprocess.Popen[bytes]) -> dict[str, Any]:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], START_TIMEOUT)
    line = process.stdout.readline() if ready else b""
    try:
        hello: dict[str, Any] = json.loads(line)
        hello["api_keys"]["admin"]
        str(hello["base_url"])
    except (ValueError, KeyError, TypeError):
        raise GiveUpError(
            f"the emulator did not start within {START_TIMEOUT:.0f} s (exit code"
            f" {process.poll()}); try 'backlog-connector emulator --port 0' to see why"
        ) from None
    return hello


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()
