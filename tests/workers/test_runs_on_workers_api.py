"""The REST API and the CLI with runs on a worker: progress from the control plane, 409 while
queued or running, cancel of a waiting and of a running run reaching the worker, a second
``serve`` starting without failing the worker's run, ``datasets run`` handed to the worker."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cluster import EXE, Proc, api, cluster_env, poll, start_serve, start_worker

from backlog_connector.emulator import Emulator, EmulatorConfig
from pgtools import scratch_database


@pytest.fixture
def space() -> Iterator[Emulator]:
    with Emulator(EmulatorConfig(seed=9, projects=2, issues=1500, plan="paid")) as emu:
        yield emu


def _run(client: Any, run_id: int) -> dict[str, Any]:
    data: dict[str, Any] = client.get(f"/api/runs/{run_id}").json()
    return data


@pytest.mark.slow
def test_progress_conflicts_and_cancels_reach_the_worker(space: Emulator, tmp_path: Path) -> None:
    procs: list[Proc] = []
    with scratch_database("api") as control, scratch_database("apidest") as dest:
        env = cluster_env(tmp_path / "home",
                          control.replace("postgresql://", "postgresql+psycopg://", 1))  # fmt: skip
        logs = tmp_path / "logs"
        try:
            serve, base = start_serve(env, logs)
            procs.append(serve)
            procs.append(start_worker(env, logs, "worker"))
            with api(base) as client:
                body = {"name": "admin", "base_url": space.base_url,
                        "api_key": space.api_keys["admin"]}  # fmt: skip
                assert client.post("/api/accounts", json=body).status_code == 201
                assert client.post("/api/destinations",
                                   json={"name": "pg", "url": dest}).status_code == 201  # fmt: skip
                for name, report in (("Issues", "issues"), ("Projects", "projects")):
                    body = {"name": name, "account": "admin", "report": report,
                            "destination": "pg"}  # fmt: skip
                    assert client.post("/api/datasets", json=body).status_code == 201

                space.set_faults(slow=1.0, slow_seconds=0.8)  # outlasts a serve start when busy
                answer = client.post("/api/datasets/Issues/runs")
                assert answer.status_code == 202, answer.text
                long_run = answer.json()["id"]
                assert answer.headers["Location"] == f"/api/runs/{long_run}"
                seen = poll(lambda: _run(client, long_run),
                            lambda r: r["status"] == "running" and r["progress"]
                            and r["progress"]["done"] >= 1, timeout=60)  # fmt: skip
                assert seen["progress"]["rows"] > 0
                assert seen["progress"]["unit"] == "issues"  # a total from issues/count
                again = client.post("/api/datasets/Issues/runs")
                assert again.status_code == 409, again.text

                waiting = client.post("/api/datasets/Projects/runs").json()["id"]
                assert _run(client, waiting)["status"] == "queued"  # the one worker is busy

                # a second replica starts while the worker's run is under way: it must not
                # take that run for an orphan
                second, _ = start_serve(env, logs, "serve-2")
                procs.append(second)
                assert _run(client, long_run)["status"] == "running"

                assert client.post(f"/api/runs/{waiting}/cancel").status_code == 202
                cancelled = _run(client, waiting)
                assert cancelled["status"] == "cancelled", cancelled
                assert cancelled["error"] == "cancelled before it started"
                assert client.post(f"/api/runs/{long_run}/cancel").status_code == 202
                stopped = poll(lambda: _run(client, long_run),
                               lambda r: r["status"] not in ("queued", "running"),
                               timeout=30)  # fmt: skip
                assert stopped["status"] == "cancelled", stopped
                assert client.post(f"/api/runs/{long_run}/cancel").status_code == 409
                space.set_faults(slow=0.0)

                # the CLI queues the run for the worker too, and follows it to its end
                out = subprocess.run([EXE, "datasets", "run", "Projects", "--json"], env=env,
                                     capture_output=True, text=True, timeout=120)  # fmt: skip
                assert out.returncode == 0, out.stderr
                (done,) = json.loads(out.stdout)
                assert done["status"] == "succeeded"
                assert done["queue_job_id"] is not None
                assert done["rows_written"] == len(space.state.projects)
            assert "Projects" in procs[1].stderr()  # the worker ran it
        finally:
            for p in procs:
                p.ensure_stopped()


def test_worker_refuses_the_sqlite_control_plane_naming_the_fix(tmp_path: Path) -> None:
    env = {"BACKLOG_CONNECTOR_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([EXE, "worker"], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "BACKLOG_CONNECTOR_DATABASE_URL" in out.stderr
    assert "postgresql" in out.stderr
