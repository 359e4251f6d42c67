"""Scheduler benchmark: prints one JSON object.

- ``next_due_us``: microseconds per ``next_due`` call, per schedule kind (median of repeats)
- ``tick_ms``: one scheduler pass over ``--datasets`` datasets that are not due (reading them
  from the SQLite control plane and computing each next due time), median of ``--ticks``
- ``tick_budget_ms``: the tick period (1000 ms); a pass must stay well below it
- ``run_now_ms``: ``Scheduler.run_now`` until it returns the queued run (the API's 202)

Usage: ``.venv/bin/python bench/bench_scheduler.py [--datasets 300] [--ticks 20]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from backlog_connector.datasets.schedules import next_due, parse_schedule
from backlog_connector.emulator import Emulator, EmulatorConfig
from backlog_connector.scheduler.loop import Scheduler

SPECS = {
    "interval": "every 15m",
    "daily": "daily 09:00",
    "weekly": "weekly mon,thu 09:00",
    "cron": "cron */5 9-17 * * 1-5",
}


def bench_next_due(repeats: int = 2000) -> dict[str, float]:
    now = datetime(2024, 3, 9, 12, 0, tzinfo=UTC)
    out = {}
    for kind, spec in SPECS.items():
        schedule = parse_schedule(spec)
        last = now - timedelta(hours=1)
        started = time.perf_counter()
        for _ in range(repeats):
            next_due(schedule, "America/New_York", last, now)
        out[kind] = round((time.perf_counter() - started) / repeats * 1e6, 1)
    return out


def bench_ticks(datasets: int, ticks: int) -> tuple[float, float]:
    from backlog_connector.datasets.service import ControlPlane
    from backlog_connector.settings import Settings

    space = EmulatorConfig(projects=1, issues=5)
    with tempfile.TemporaryDirectory() as home, Emulator(space) as emu:
        plane = ControlPlane.open(settings=Settings(home=Path(home)))
        try:
            plane.add_account("acme", base_url=emu.base_url, api_key=emu.api_keys["admin"])
            kinds = list(SPECS.values())
            for i in range(datasets):
                plane.create_dataset(f"d{i}", account="acme", report="projects",
                                     schedule=kinds[i % len(kinds)], table=f"t{i}")  # fmt: skip
            clock_now = datetime.now(UTC)
            sched = Scheduler(plane, clock=lambda: clock_now, state_path=None)
            sched.tick()  # first sight; interval schedules start runs: let them finish
            while any(sched.active_job(f"d{i}") for i in range(datasets)):
                time.sleep(0.05)
            clock_now += timedelta(seconds=1)
            times = []
            for _ in range(ticks):
                started = time.perf_counter()
                sched.tick()
                times.append((time.perf_counter() - started) * 1000)
            plane.update_dataset("d0", schedule="manual")
            started = time.perf_counter()
            sched.run_now("d0")
            run_now_ms = (time.perf_counter() - started) * 1000
            while sched.active_job("d0"):
                time.sleep(0.05)
            sched.stop()
            return statistics.median(times), run_now_ms
        finally:
            plane.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--datasets", type=int, default=300)
    parser.add_argument("--ticks", type=int, default=20)
    args = parser.parse_args()
    tick_ms, run_now_ms = bench_ticks(args.datasets, args.ticks)
    print(json.dumps({
        "next_due_us": bench_next_due(),
        "datasets": args.datasets,
        "tick_ms": round(tick_ms, 1),
        "tick_budget_ms": 1000,
        "run_now_ms": round(run_now_ms, 1),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
