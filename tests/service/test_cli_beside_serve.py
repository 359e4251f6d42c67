"""The CLI beside a running ``serve`` of the same data home, and outside readers of the
warehouse while it works: real processes, the emulator on loopback, the real DuckDB file."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest
from serve_process import ServeProcess
from service_helpers import add_accounts, create, finished_runs, poll

from backlog_connector.emulator import Emulator, EmulatorConfig
from backlog_connector.web.handoff import SERVICE_FILE, TOKEN_FILE


@pytest.fixture
def space() -> Iterator[Emulator]:
    # paid plan: a full issues run takes a few seconds of rate-limited reading
    with Emulator(EmulatorConfig(seed=21, projects=2, issues=1500, plan="paid")) as emu:
        yield emu


def _cli(serve: ServeProcess, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "backlog-connector"
    return subprocess.run(
        [str(script), *args], env=serve.env, capture_output=True, text=True, timeout=timeout
    )


def _statuses(client: httpx.Client, name: str) -> list[str]:
    return [r["status"] for r in finished_runs(client, name)]


def test_cli_runs_and_deletes_through_serve_and_never_records_a_false_failure(
    serve: ServeProcess, space: Emulator
) -> None:
    serve.start()
    for name in (SERVICE_FILE, TOKEN_FILE):
        assert (serve.home / name).stat().st_mode & 0o777 == 0o600
    with serve.client() as client:
        add_accounts(client, space)
        create(client, "Issues", account="admin", report="issues")
        create(client, "Users", account="admin", report="users")

        done = _cli(serve, "datasets", "run", "Issues", "Users")
        assert done.returncode == 0, done.stderr
        assert f"serve (PID {serve.proc.pid if serve.proc else 0})" in done.stderr
        assert _statuses(client, "Issues") == ["succeeded"]
        assert _statuses(client, "Users") == ["succeeded"]
        # serve ran it: its job saw the run (the CLI process did not open the warehouse)
        assert "Issues" in done.stdout

        # a second run while serve runs the dataset: recorded skipped, never failed
        space.set_faults(slow=1.0, slow_seconds=0.3)  # every request slow: a run of seconds
        started = client.post("/api/datasets/Issues/runs", json={"full": True})
        assert started.status_code == 202
        beside = _cli(serve, "datasets", "run", "Issues")
        space.set_faults(slow=0.0)
        assert beside.returncode == 1
        assert "skipped" in beside.stdout + beside.stderr
        poll(lambda: _statuses(client, "Issues"), lambda s: len(s) == 3, timeout=60)
        assert sorted(_statuses(client, "Issues")) == ["skipped", "succeeded", "succeeded"]
        assert "failed" not in _statuses(client, "Issues")

        gone = _cli(serve, "datasets", "delete", "Users")
        assert gone.returncode == 0, gone.stderr
        assert [d["name"] for d in client.get("/api/datasets").json()] == ["Issues"]
        # read commands work beside serve too
        shown = _cli(serve, "datasets", "show", "Issues", "--json")
        assert shown.returncode == 0, shown.stderr
        assert '"columns": null' not in shown.stdout

    serve.terminate()
    assert not (serve.home / SERVICE_FILE).exists()
    assert not (serve.home / TOKEN_FILE).exists()
    # without serve, the CLI runs the dataset itself
    alone = _cli(serve, "datasets", "run", "Issues")
    assert alone.returncode == 0, alone.stderr
    assert "serve (PID" not in alone.stderr


def test_outside_readers_get_in_during_a_run_and_a_held_file_delays_the_commit(
    serve: ServeProcess, space: Emulator
) -> None:
    serve.start()
    warehouse = serve.home / "warehouse.duckdb"
    with serve.client() as client:
        add_accounts(client, space)
        create(client, "Issues", account="admin", report="issues")
        first = client.post("/api/datasets/Issues/runs", json={})
        assert first.status_code == 202
        poll(lambda: _statuses(client, "Issues"), lambda s: s == ["succeeded"], timeout=120)

        # an outside reader polls the file while a full run reads from the emulator
        tries: list[Any] = []
        stop = threading.Event()

        def read() -> None:
            while not stop.is_set():
                try:
                    con = duckdb.connect(str(warehouse), read_only=True)
                    tries.append(con.execute("SELECT count(*) FROM issues").fetchone()[0])
                    con.close()
                except duckdb.Error as exc:
                    tries.append(exc)
                time.sleep(0.05)

        space.set_faults(slow=1.0, slow_seconds=0.3)  # a run of seconds, mostly reading
        reader = threading.Thread(target=read)
        reader.start()
        try:
            run = client.post("/api/datasets/Issues/runs", json={"full": True}).json()
            poll(
                lambda: client.get(f"/api/runs/{run['id']}").json()["status"],
                lambda s: s == "succeeded",
                timeout=120,
            )
        finally:
            stop.set()
            reader.join(timeout=30)
            space.set_faults(slow=0.0)
        counts = [t for t in tries if isinstance(t, int)]
        refused = [t for t in tries if not isinstance(t, int)]
        assert len(counts) >= 10
        assert set(counts) == {len(space.state.issues)}  # never a half-written table
        # the file is held only while the run commits (bench_warehouse_hold.py measures the
        # share on a long run); before, serve held it from its start and every read failed
        assert len(counts) / len(tries) >= 0.5, refused[:3]
        assert all("lock" in str(e).lower() for e in refused), refused[:3]

        # a reader that keeps the file open across the commit: the run waits, then succeeds
        held = duckdb.connect(str(warehouse), read_only=True)
        try:
            run = client.post("/api/datasets/Issues/runs", json={"full": True}).json()
            seen = poll(
                lambda: client.get(f"/api/runs/{run['id']}").json(),
                lambda r: "waiting for readers" in str((r.get("progress") or {}).get("message")),
                timeout=120,
            )
            assert seen["status"] == "running"
        finally:
            held.close()
        end = poll(
            lambda: client.get(f"/api/runs/{run['id']}").json()["status"],
            lambda s: s in ("succeeded", "failed"),
            timeout=60,
        )
        assert end == "succeeded"


def test_a_stale_service_file_never_gets_the_token_and_the_cli_runs_itself(
    tmp_path: Path, space: Emulator
) -> None:
    import http.server
    import json

    from backlog_connector.web.handoff import announce

    seen: list[str] = []

    class Impostor(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            seen.append(self.headers.get("Authorization", ""))
            body = b"{}"
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Impostor)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    home = tmp_path / "home"
    env = {**os.environ, "BACKLOG_CONNECTOR_HOME": str(home)}
    script = Path(sys.executable).parent / "backlog-connector"
    try:
        for args, stdin in (
            (["accounts", "add", "acme", "--base-url", space.base_url], space.api_keys["admin"]),
            (["datasets", "create", "Users", "--account", "acme", "--report", "users"], None),
        ):
            done = subprocess.run([str(script), *args], env=env, input=stdin, text=True,
                                  capture_output=True, timeout=60)  # fmt: skip
            assert done.returncode == 0, done.stderr
        # what a serve that died leaves, with its port (and a live pid) now someone else's
        service = announce(home, f"http://127.0.0.1:{server.server_address[1]}")
        document = json.loads((home / SERVICE_FILE).read_text())
        assert document["pid"] == os.getpid()  # alive: this test process
        ran = subprocess.run([str(script), "datasets", "run", "Users"], env=env, text=True,
                             capture_output=True, timeout=120)  # fmt: skip
    finally:
        server.shutdown()
    assert ran.returncode == 0, ran.stderr
    assert "serve (PID" not in ran.stderr  # it ran the dataset itself
    assert seen  # the impostor was asked for its proof ...
    assert not any(service.token in header for header in seen)  # ... and never got the token
