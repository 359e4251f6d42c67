"""`backlog-connector demo` from a fresh data home, in a subprocess, twice."""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

NINE = (
    "space", "projects", "users", "teams", "issue_types", "categories", "issues",
    "recent_updates", "rate_limit",
)  # fmt: skip
CLI = str(Path(sys.executable).with_name("backlog-connector"))


def _run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKLOG_")}
    env["BACKLOG_CONNECTOR_HOME"] = str(home)
    return subprocess.run(
        [CLI, *args], env=env, capture_output=True, text=True, timeout=240, check=False
    )


def _emulator_url(stderr: str) -> str:
    match = re.search(r"Emulator at (http://127\.0\.0\.1:(\d+))", stderr)
    assert match, stderr
    return match.group(1)


def _port_closed(url: str) -> bool:
    port = int(url.rsplit(":", 1)[1])
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.slow
def test_demo_from_a_fresh_home_then_again(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = _run(home, "demo")
    assert first.returncode == 0, first.stdout + first.stderr
    for name in NINE:
        assert re.search(rf"\b{name}\b.*succeeded", first.stdout), first.stdout
    first_url = _emulator_url(first.stderr)
    assert _port_closed(first_url), "the demo left its emulator running"

    warehouse = home / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse), read_only=True)
    counts = {name: con.execute(f'select count(*) from "{name}"').fetchone()[0] for name in NINE}
    con.close()
    assert all(n > 0 for n in counts.values()), counts
    assert counts["issues"] == 2000

    # the printed one-liner works as printed
    (line,) = [ln.strip() for ln in first.stdout.splitlines() if "import duckdb" in ln]
    query = subprocess.run(
        shlex.split(line), capture_output=True, text=True, timeout=60, check=False
    )
    assert query.returncode == 0, query.stderr
    assert "status_name" in query.stdout
    assert "backlog-connector serve" in first.stdout

    second = _run(home, "demo")
    assert second.returncode == 0, second.stdout + second.stderr
    second_url = _emulator_url(second.stderr)
    assert "Updated account 'demo'" in second.stderr
    shown = json.loads(_run(home, "accounts", "show", "demo", "--json").stdout)
    assert shown["base_url"] == second_url
    assert second_url == first_url  # the same port again: the same space, incremental runs
    listed = json.loads(_run(home, "datasets", "list", "--json").stdout)
    assert sorted(d["name"] for d in listed) == sorted(NINE)
    assert {d["last_run"]["status"] for d in listed} == {"succeeded"}
    history = json.loads(_run(home, "datasets", "history", "issues", "--json").stdout)
    assert [h["status"] for h in history] == ["succeeded", "succeeded"]
    assert history[0]["rows_written"] < history[1]["rows_written"]  # incremental second run
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("select count(*) from issues").fetchone()[0] == 2000
    con.close()
