"""Server time of each web UI page with 500 datasets and 200 runs each.

Seeds a control plane in a temporary home: one account verified against an in-process emulator,
500 datasets through ``ControlPlane.create_dataset``, one real run of the dataset whose page is
measured (so it has a table, a schema and a preview), then 200 runs per dataset inserted
straight into the control-plane database (100,000 rows; running them for real would only
measure the emulator). Each page is then requested in-process through the real ``serve`` app;
the time from the ASGI call to the last byte of the response is the server time.

Prints one JSON object: per page, median and p95 server milliseconds, plus the target (200 ms).

    .venv/bin/python bench/bench_pages.py [--datasets 500] [--runs 200] [--repeat 25]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import SecretStr

from backlog_connector.datasets.models import Dataset, Run
from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator, EmulatorConfig
from backlog_connector.settings import Settings
from backlog_connector.web.app import create_app

PASSWORD = "bench-password"
SCHEDULES = ("manual", "every 1h", "daily 09:00", "weekly mon,thu 07:30", "cron 0 9 * * 1-5")
TARGET_MS = 200.0


class ServerTimer:
    """ASGI wrapper recording how long the app took for the last request."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.last = 0.0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        start = time.perf_counter()
        await self.app(scope, receive, send)
        if scope["type"] == "http":
            self.last = time.perf_counter() - start


def seed(cp: ControlPlane, emu: Emulator, datasets: int, runs: int) -> str:
    """Create the account, datasets and runs; return the name of the dataset with a table."""
    cp.add_account("bench", base_url=emu.base_url, api_key=emu.api_keys["admin"])
    names = [f"dataset {i:03d}" for i in range(datasets)]
    reports = ("issues", "projects", "users", "recent_updates", "categories")
    for i, name in enumerate(names):
        cp.create_dataset(name, account="bench", report=reports[i % len(reports)],
                          schedule=SCHEDULES[i % len(SCHEDULES)],
                          description=f"ベンチマーク用のデータセット {i} (benchmark)")  # fmt: skip
    measured = names[0]
    cp.run_datasets([measured])
    engine = sa.create_engine(cp.settings.control_db_url())
    with engine.begin() as conn:
        ids = {name: id_ for name, id_ in conn.execute(sa.select(Dataset.name, Dataset.id))}
        start = datetime(2026, 1, 1, tzinfo=UTC)
        for name in names:
            rows = []
            for r in range(runs):
                began = start + timedelta(hours=r)
                failed = r % 17 == 5
                rows.append({
                    "dataset_id": ids[name], "trigger": "schedule", "attempt": 1,
                    "status": "failed" if failed else "succeeded",
                    "created_at": began, "started_at": began,
                    "finished_at": began + timedelta(seconds=3 + r % 40),
                    "rows_read": 300 + r, "rows_written": 0 if failed else 300 + r,
                    "rows_deleted": 0, "table_rows": None if failed else 300 + r,
                    "requests": {"search": 3, "read": 2}, "rate_limited": 0, "retries": 0,
                    "wait_seconds": 0.0, "last_remaining": {"search": 140},
                    "complete": not failed,
                    "error": "HTTP 503 from Backlog; retry later" if failed else None,
                })  # fmt: skip
            conn.execute(sa.insert(Run), rows)
    engine.dispose()
    # the measured dataset's real run must stay its newest (its table rows are real)
    cp.run_datasets([measured])
    return measured


def measure(client: TestClient, timer: ServerTimer, url: str, repeat: int) -> dict[str, float]:
    times = []
    for _ in range(repeat):
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}: {response.text[:300]}")
        times.append(timer.last * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return {"median_ms": round(statistics.median(times), 2), "p95_ms": round(p95, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=500)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=25)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        Emulator(EmulatorConfig(seed=1, projects=3, issues=300, plan="unlimited")) as emu,
    ):
        settings = Settings(home=Path(tmp), admin_password=SecretStr(PASSWORD))
        with ControlPlane.open(settings=settings) as cp:
            began = time.perf_counter()
            measured = seed(cp, emu, args.datasets, args.runs)
            seed_seconds = time.perf_counter() - began
            # The scheduler thread stays off: due datasets would start real runs and the bench
            # would measure them; the pages still compute next runs from the schedules.
            app = create_app(cp, run_scheduler=False)
            timer = ServerTimer(app)
            with TestClient(timer, follow_redirects=False) as client:
                signed_out = measure(client, timer, "/login", args.repeat)
                token = re.search(r'name="csrf_token" value="([^"]+)"',
                                  client.get("/login").text)  # fmt: skip
                assert token is not None
                client.post("/login", data={"password": PASSWORD, "csrf_token": token.group(1)})
                ds = "/datasets/" + quote(measured)
                pages = {
                    "datasets_list": "/datasets",
                    "datasets_search": "/datasets?q=benchmark&report=issues&status=succeeded",
                    "dataset_page": ds,
                    "dataset_edit": ds + "/edit",
                    "dataset_delete_confirm": ds + "/delete",
                    "wizard_step1": "/datasets/new",
                    "accounts": "/accounts",
                    "account_edit": "/accounts/bench/edit",
                }
                for url in pages.values():  # warm up templates and caches
                    client.get(url)
                result = {name: measure(client, timer, url, args.repeat)
                          for name, url in pages.items()}  # fmt: skip
                result["sign_in"] = signed_out
    worst = max(v["p95_ms"] for v in result.values())
    print(json.dumps({
        "datasets": args.datasets, "runs_per_dataset": args.runs, "repeat": args.repeat,
        "seed_seconds": round(seed_seconds, 1), "target_ms": TARGET_MS,
        "pages": result, "worst_p95_ms": worst, "all_under_target": worst < TARGET_MS,
    }))  # fmt: skip
    sys.stdout.flush()


if __name__ == "__main__":
    main()
