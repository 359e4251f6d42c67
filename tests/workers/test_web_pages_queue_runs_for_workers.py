"""The web UI of a ``serve`` replica with runs on a worker: "Run now" queues the run for the
worker, the page's progress box reads what the worker stored, and "Cancel" reaches it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cluster import Proc, api, cluster_env, poll, start_serve, start_worker

from backlog_connector.emulator import Emulator, EmulatorConfig
from pgtools import scratch_database

PASSWORD = "cluster-admin-password-1"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def space() -> Iterator[Emulator]:
    with Emulator(EmulatorConfig(seed=4, projects=2, issues=1200, plan="paid")) as emu:
        yield emu


def _csrf(page: httpx.Response) -> str:
    match = CSRF.search(page.text)
    assert match, page.text[:500]
    return match.group(1)


@pytest.mark.slow
def test_run_now_and_cancel_from_the_page_reach_the_worker(space: Emulator, tmp_path: Path) -> None:
    procs: list[Proc] = []
    with scratch_database("web") as control, scratch_database("webdest") as dest:
        env = cluster_env(tmp_path / "home",
                          control.replace("postgresql://", "postgresql+psycopg://", 1),
                          BACKLOG_CONNECTOR_ADMIN_PASSWORD=PASSWORD)  # fmt: skip
        try:
            serve, base = start_serve(env, tmp_path / "logs")
            procs += [serve, start_worker(env, tmp_path / "logs", "worker")]
            with api(base) as client:
                body = {"name": "admin", "base_url": space.base_url,
                        "api_key": space.api_keys["admin"]}  # fmt: skip
                assert client.post("/api/accounts", json=body).status_code == 201
                assert client.post("/api/destinations",
                                   json={"name": "pg", "url": dest}).status_code == 201  # fmt: skip
                body = {"name": "Issues", "account": "admin", "report": "issues",
                        "destination": "pg"}  # fmt: skip
                assert client.post("/api/datasets", json=body).status_code == 201
            with httpx.Client(base_url=base, timeout=30) as web:
                login = web.get("/login")
                signed = web.post("/login", data={"password": PASSWORD, "csrf_token": _csrf(login)})
                assert signed.status_code == 303
                page = web.get("/datasets/Issues")
                assert page.status_code == 200
                ran = web.post("/datasets/Issues/run", data={"csrf_token": _csrf(page)})
                assert ran.status_code == 303
                run_id = int(ran.headers["location"].rsplit("run=", 1)[1])
                done = poll(lambda: web.get(f"/datasets/Issues/runs/{run_id}.json").json(),
                            lambda r: r["status"] == "succeeded", timeout=60)  # fmt: skip
                assert done["rows_read"] == len(space.state.issues)

                # 12 pages at 1 s each: the cancel lands before the run ends, even under load
                space.set_faults(slow=1.0, slow_seconds=1.0)
                page = web.get("/datasets/Issues")
                ran = web.post("/datasets/Issues/run", data={"csrf_token": _csrf(page)})
                run_id = int(ran.headers["location"].rsplit("run=", 1)[1])
                live: dict[str, Any] = poll(
                    lambda: web.get(f"/datasets/Issues/runs/{run_id}.json").json(),
                    lambda r: r["status"] == "running" and r["rows_read"] > 0, timeout=60,
                )  # fmt: skip
                assert live["rows_read"] < len(space.state.issues)
                page = web.get(f"/datasets/Issues?run={run_id}")
                cancel = web.post(f"/datasets/Issues/runs/{run_id}/cancel",
                                  data={"csrf_token": _csrf(page)})  # fmt: skip
                assert cancel.status_code == 303
                end = poll(lambda: web.get(f"/datasets/Issues/runs/{run_id}.json").json(),
                           lambda r: r["status"] not in ("queued", "running"),
                           timeout=30)  # fmt: skip
                assert end["status"] == "cancelled", end
                space.set_faults(slow=0.0)
        finally:
            for p in procs:
                p.ensure_stopped()
