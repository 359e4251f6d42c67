"""``backlog-connector serve`` as a real subprocess: schedules over minutes, SIGTERM, kill -9.

The emulator runs in the test process on a loopback socket; the service is configured only
through its REST API, the way a user would.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from serve_process import TOKEN, ServeProcess
from service_helpers import add_accounts, create, finished_runs, poll

from backlog_connector.emulator import Emulator, EmulatorConfig
from backlog_connector.web.auth import PASSWORD_FILE, TOKEN_FILE

#: dataset -> (account, report, interval in seconds)
PLAN: dict[str, tuple[str, str, int]] = {
    "Projects A": ("admin", "projects", 10),
    "Users A": ("admin", "users", 15),
    "Issues A": ("admin", "issues", 20),
    "Projects M": ("member", "projects", 30),
    "Issue types M": ("member", "issue_types", 12),
}
RUN_FOR_SECONDS = 100
#: how late a scheduled run may start after its due time (tick of ~1 s plus queueing), with
#: slack for a loaded machine; still well under the shortest interval, so a missed or doubled
#: due time shows
LATENESS = 5.0
#: how long SIGTERM may take: uvicorn's 3 s graceful shutdown plus the runs' 5 s to record
#: themselves cancelled, with slack for a loaded machine
SIGTERM_SECONDS = 12.0


@pytest.fixture
def paid_space() -> Iterator[Emulator]:
    with Emulator(EmulatorConfig(seed=11, projects=3, issues=60, plan="paid")) as emu:
        yield emu


def at(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()


def executed_runs(client: httpx.Client, name: str) -> list[dict[str, Any]]:
    """Finished runs that executed, oldest first: a due time that came while a run was still
    going is recorded ``skipped`` (on a loaded machine a run may outlast the interval), and
    such records say nothing of how the runs themselves went."""
    return [r for r in finished_runs(client, name) if r["status"] != "skipped"]


@pytest.mark.slow
def test_five_datasets_two_users_every_due_run_once_no_429(
    serve: ServeProcess, paid_space: Emulator
) -> None:
    serve.start()
    first_output = serve.stdout()
    assert "Admin password for the web UI (shown once)" in first_output
    assert "API token" not in first_output  # fixed by BACKLOG_CONNECTOR_API_TOKEN
    assert (serve.home / PASSWORD_FILE).stat().st_mode & 0o777 == 0o600
    assert TOKEN not in (serve.home / TOKEN_FILE).read_text()

    with serve.client() as client:
        add_accounts(client, paid_space)
        for name, (account, report, interval) in PLAN.items():
            create(client, name, account=account, report=report, schedule=f"every {interval}s")
        time.sleep(RUN_FOR_SECONDS)
        now = time.time()
        history = {name: client.get(f"/api/datasets/{name}/runs").json() for name in PLAN}
        shown = client.get("/api/datasets").json()

    seconds = serve.terminate()
    assert seconds < SIGTERM_SECONDS, f"SIGTERM took {seconds:.1f} s"
    assert serve.proc is not None
    assert serve.proc.returncode == 0, serve.stderr()[-2000:]

    for name, (_account, _report, interval) in PLAN.items():
        runs = list(reversed(history[name]))
        assert runs, name
        assert all(r["trigger"] == "schedule" and r["attempt"] == 1 for r in runs), name
        done = [r for r in runs if r["status"] not in ("queued", "running")]
        assert [r["status"] for r in done] == ["succeeded"] * len(done), (name, done[-1])
        assert all(r["rate_limited"] == 0 for r in done), f"{name} hit a 429"
        assert all(r["finished_at"] for r in done), name
        assert done[0]["rows_written"] > 0, name
        # Due times are first + k * interval: each was run once, on time, and none twice.
        first = at(runs[0]["created_at"])
        for k, run in enumerate(runs):
            late = at(run["created_at"]) - (first + k * interval)
            # relative to the first run, which may itself have started late
            assert -LATENESS <= late <= LATENESS, (name, k, late)
        due_so_far = int((now - first) // interval) + 1
        in_flight = now - (first + (due_so_far - 1) * interval) < LATENESS
        assert len(runs) == due_so_far or (in_flight and len(runs) == due_so_far - 1), (
            name, len(runs), due_so_far,
        )  # fmt: skip
    rows = {d["name"]: d["rows"] for d in shown}
    assert rows["Projects A"] == len(paid_space.state.projects)
    assert TOKEN not in serve.stderr()
    assert paid_space.api_keys["admin"] not in serve.stderr() + serve.stdout()


def test_sigterm_cancels_then_kill_9_orphans_a_run_and_the_next_start_recovers(
    serve: ServeProcess, paid_space: Emulator
) -> None:
    # debug: the client logs every request URL, the member's with its key in the query string
    serve.start(log_level="debug")
    with serve.client() as client:
        add_accounts(client, paid_space)
        create(client, "Issues", account="admin", report="issues", schedule="every 6s")
        first = poll(lambda: executed_runs(client, "Issues"), lambda runs: len(runs) >= 1)
        assert first[0]["status"] == "succeeded"
        paid_space.set_faults(slow=1.0, slow_seconds=0.5)
        cut = poll(lambda: client.get("/api/datasets/Issues/runs").json()[0],
                   lambda run: run["status"] == "running", timeout=20)  # fmt: skip
    seconds = serve.terminate()  # SIGTERM mid-run
    assert seconds < SIGTERM_SECONDS, f"SIGTERM took {seconds:.1f} s"
    assert serve.proc is not None
    assert serve.proc.returncode == 0, serve.stderr()[-2000:]

    serve.start()
    with serve.client() as client:
        assert client.get(f"/api/runs/{cut['id']}").json()["status"] == "cancelled"
        orphan = poll(lambda: client.get("/api/datasets/Issues/runs").json()[0],
                      lambda run: run["status"] == "running" and run["id"] > cut["id"],
                      timeout=20)  # fmt: skip
    serve.kill()  # kill -9 mid-run: nothing gets recorded
    paid_space.set_faults(slow=0.0)

    serve.start()
    with serve.client() as client:
        marked = client.get(f"/api/runs/{orphan['id']}").json()
        assert marked["status"] == "failed"
        assert "stopped before the run finished" in marked["error"]
        after = poll(lambda: executed_runs(client, "Issues"),
                     lambda runs: runs[-1]["id"] > orphan["id"], timeout=20)  # fmt: skip
        assert after[-1]["status"] == "succeeded", after[-1]
        assert after[-1]["trigger"] == "schedule"
        rows = client.get("/api/datasets/Issues/preview", params={"limit": 1000}).json()["rows"]
    serve.terminate()
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)) == len(paid_space.state.issues)
    assert "Admin password" not in serve.stdout()  # shown once, at the first start only
    logs = "".join(p.read_text(errors="replace") for p in serve.logs.iterdir())
    # The first start logs at debug level, where every request URL is logged: the member's
    # key travels in the query string, yet no logged URL may carry it.
    assert re.search(r"DEBUG backlog_connector\.backlog: GET http://\S+/users/myself", logs)
    assert set(re.findall(r"apiKey=([^&\s\"]*)", logs)) <= {"***"}
    for key in paid_space.api_keys.values():
        assert key not in logs
