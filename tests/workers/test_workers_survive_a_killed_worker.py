"""Two ``serve`` replicas and three ``worker`` processes over one control plane in PostgreSQL
run a dozen scheduled datasets of two Backlog users (emulator, paid plan, 5 s windows) while
one worker is killed with SIGKILL mid-run.

Checked: every table equals a direct read of the space; no two runs of a dataset overlap in
time; the emulator refused nothing (no 429 at the wire); one tick per due time whatever the
number of replicas; the history is honest: the killed run failed with a reason and its retry
(the job delivered again) succeeded; the DuckDB dataset ran on the worker of its file.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest
from cluster import Proc, api, cluster_env, poll, start_serve, start_worker

from backlog_connector.backlog.address import SpaceAddress
from backlog_connector.backlog.budget import BudgetRegistry
from backlog_connector.backlog.client import BacklogClient
from backlog_connector.backlog.credentials import ApiKey
from backlog_connector.datasets.queued import LOST_WORKER
from backlog_connector.emulator import Emulator, EmulatorConfig
from pgtools import scratch_database

#: dataset -> (Backlog user, report, interval in seconds); all in the PostgreSQL destination
PLAN: dict[str, tuple[str, str, int]] = {
    "Projects A": ("admin", "projects", 5),
    "Users A": ("admin", "users", 7),
    "Issues A": ("admin", "issues", 6),
    "Issue types A": ("admin", "issue_types", 9),
    "Statuses A": ("admin", "statuses", 8),
    "Priorities A": ("admin", "priorities", 11),
    "Categories A": ("admin", "categories", 10),
    "Projects M": ("member", "projects", 6),
    "Issues M": ("member", "issues", 5),
    "Statuses M": ("member", "statuses", 9),
    "Versions M": ("member", "versions", 8),
    "Issue types M": ("member", "issue_types", 7),
}
#: runs on the worker started with --warehouse (the DuckDB file of the data home)
WAREHOUSE_DATASET = ("Projects W", "admin", "projects", 6)
RUN_FOR_SECONDS = 50
#: what a direct read gives for the reports checked row for row
TRUTH = {"projects": "/projects", "users": "/users", "issues": "/issues"}


@pytest.fixture
def space() -> Iterator[Emulator]:
    config = EmulatorConfig(seed=5, projects=3, issues=300, plan="paid", minute_seconds=5)
    with Emulator(config) as emu:
        yield emu


def _rows(conn: psycopg.Connection[Any], query: str) -> list[tuple[Any, ...]]:
    return list(conn.execute(query).fetchall())


def _truth(emu: Emulator, user: str, report: str) -> list[int]:
    client = BacklogClient(SpaceAddress.parse_base_url(emu.base_url), ApiKey(emu.api_keys[user]),
                           budgets=BudgetRegistry())  # fmt: skip
    with client:
        if report == "issues":
            return [int(r["id"]) for page in client.iter_offset("/issues") for r in page]
        return [int(r["id"]) for r in client.get(TRUTH[report])]


@pytest.mark.slow
def test_a_dozen_datasets_on_three_workers_one_killed(space: Emulator, tmp_path: Path) -> None:
    procs: list[Proc] = []
    with scratch_database("cluster") as control, scratch_database("dest") as dest:
        env = cluster_env(tmp_path / "home",
                          control.replace("postgresql://", "postgresql+psycopg://", 1))  # fmt: skip
        logs = tmp_path / "logs"
        try:
            serve, base = start_serve(env, logs)
            second, _ = start_serve(env, logs, "serve-2")
            procs += [serve, second]
            workers = [
                start_worker(env, logs, "worker-0", "--warehouse"),
                start_worker(env, logs, "worker-1"),
                start_worker(env, logs, "worker-2"),
            ]
            procs += workers
            with api(base) as client:
                for user in ("admin", "member"):
                    body = {"name": user, "base_url": space.base_url,
                            "api_key": space.api_keys[user]}  # fmt: skip
                    assert client.post("/api/accounts", json=body).status_code == 201
                body = {"name": "pg", "url": dest}
                assert client.post("/api/destinations", json=body).status_code == 201
                started = time.time()
                for name, (user, report, every) in PLAN.items():
                    body = {"name": name, "account": user, "report": report,
                            "schedule": f"every {every}s", "destination": "pg"}  # fmt: skip
                    assert client.post("/api/datasets", json=body).status_code == 201
                name, user, report, every = WAREHOUSE_DATASET
                body = {"name": name, "account": user, "report": report,
                        "schedule": f"every {every}s"}  # fmt: skip
                assert client.post("/api/datasets", json=body).status_code == 201

                with psycopg.connect(control, autocommit=True) as db:
                    poll(lambda: _rows(db, "select count(distinct dataset_id) from runs"
                                           " where status = 'succeeded'")[0][0],
                         lambda n: n == len(PLAN) + 1, timeout=60)  # fmt: skip
                    # slow answers: every worker is soon in the middle of a run
                    space.set_faults(slow=1.0, slow_seconds=0.25)
                    poll(lambda: _rows(db, "select count(*) from runs where status = 'running'")
                         [0][0], lambda n: n >= 3, timeout=60, every=0.1)  # fmt: skip
                    running = _rows(db, "select id from runs where status = 'running'")
                    shown = client.get(f"/api/runs/{running[0][0]}").json()
                    assert shown["status"] in ("running", "succeeded"), shown
                    workers[2].kill()  # SIGKILL: it records nothing
                    space.set_faults(slow=0.0)
                    lost = poll(lambda: _rows(db, "select id, dataset_id, attempt, error,"
                                                  " error_action from runs where status ="
                                                  f" 'failed' and error like '{LOST_WORKER}%'"),
                                lambda rows: len(rows) == 1, timeout=60)[0]  # fmt: skip
                    retry = poll(lambda: _rows(db, "select status, trigger, attempt from runs"
                                                   f" where dataset_id = {lost[1]} and id >"
                                                   f" {lost[0]} and trigger = 'retry'"),
                                 lambda rows: rows and rows[0][0] == "succeeded",
                                 timeout=60)[0]  # fmt: skip
                    time.sleep(max(0.0, started + RUN_FOR_SECONDS - time.time()))
                    for name in [*PLAN, WAREHOUSE_DATASET[0]]:
                        assert (
                            client.patch(
                                f"/api/datasets/{name}", json={"enabled": False}
                            ).status_code
                            == 200
                        )
                    ended = time.time()
                    poll(lambda: _rows(db, "select count(*) from runs where status in"
                                           " ('queued', 'running')")[0][0],
                         lambda n: n == 0, timeout=90)  # fmt: skip
                    runs = _rows(db, "select d.name, r.status, r.trigger, r.attempt,"
                                     " r.started_at, r.finished_at, r.rate_limited, r.table_rows,"
                                     " r.error from runs r join datasets d on d.id = r.dataset_id"
                                     " order by r.id")  # fmt: skip
                    lost_name = _rows(db, f"select name from datasets where id = {lost[1]}")[0][0]
            windows = space.limiter.windows()
            codes = {p.name: p.terminate() for p in procs if p is not workers[2]}
        finally:
            for p in procs:
                p.ensure_stopped()
        assert codes == dict.fromkeys(codes, 0), codes

        # history honest: the killed run failed with a reason; its retry succeeded
        assert lost[2] >= 1
        assert "no heartbeat from its worker" in lost[3], lost[3]  # found by the sweep
        assert lost[4] == "retry_later"
        assert retry[1:] == ("retry", lost[2] + 1), retry
        by_name: dict[str, list[tuple[Any, ...]]] = {}
        for row in runs:
            by_name.setdefault(row[0], []).append(row)
        for name, rows in by_name.items():
            statuses = {r[1] for r in rows}
            allowed = {"succeeded", "skipped"} | ({"failed"} if name == lost_name else set())
            assert statuses <= allowed, (name, [r for r in rows if r[1] not in allowed])
            assert all(r[6] == 0 for r in rows), f"{name}: a run saw a 429"
            # no two runs of a dataset overlap in time (skipped ones never ran)
            ran = sorted((r[4], r[5]) for r in rows if r[1] != "skipped")
            for (_, end), (start, _) in itertools.pairwise(ran):
                assert start >= end, (name, end, start)
            # one tick per due time, though two replicas tick
            every = PLAN.get(name, WAREHOUSE_DATASET[1:])[-1]
            scheduled = [r for r in rows if r[2] == "schedule"]
            assert len(scheduled) <= (ended - started) / every + 2, (name, len(scheduled))
            assert len(scheduled) >= 3, (name, len(scheduled))
        assert sum(w["refused"] for w in windows) == 0, "the emulator answered 429"

        # every table exact: the rows of a direct read of the space, each once
        with psycopg.connect(dest) as conn:
            for name, (user, report, _every) in PLAN.items():
                table = name.lower().replace(" ", "_")
                count = _rows(conn, f"select count(*) from {table}")[0][0]
                last = [r for r in by_name[name] if r[1] == "succeeded"][-1]
                assert count == last[7], name
                if report in TRUTH:
                    ids = [r[0] for r in _rows(conn, f"select id from {table}")]
                    assert sorted(ids) == sorted(_truth(space, user, report)), name
        warehouse = duckdb.connect(str(tmp_path / "home" / "warehouse.duckdb"), read_only=True)
        ids = [r[0] for r in warehouse.execute("select id from projects_w").fetchall()]
        warehouse.close()
        assert sorted(ids) == sorted(_truth(space, "admin", "projects"))
        assert "Projects W" in workers[0].stderr()
        assert "Projects W" not in workers[1].stderr() + workers[2].stderr()
        for p in procs:
            for key in space.api_keys.values():
                assert key not in p.stderr() + p.stdout()
