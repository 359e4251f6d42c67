"""Benchmark of ``cycle_times``: a full run, then an incremental run after a few status
changes, at 20,000 issues under the paid plan's rate limits (600 reads, 150 searches and 150
updates a minute), through the control plane's runner into the DuckDB warehouse.

The emulator runs as ``backlog-connector emulator --plan paid --issues N --minute-seconds S``:
a rate-limit window lasts S seconds instead of 60, so a full run that the paid plan would spread
over ~35 minutes finishes in ~35 * S / 60. The figures report the measured seconds, the request
counts (the same whatever S is), and the paid-plan estimate with 60-second windows
(``max(reads / 600, searches / 150)`` minutes, plus the measured time outside the budget waits).
Prints one JSON object and writes it to ``--output``.

usage: python bench/bench_cycle_times.py [--issues 20000] [--minute-seconds 6] [--changes 20]
                                        [--output bench/cycle_times.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

PAID = {"read": 600, "search": 150, "update": 150}


def start_emulator(issues: int, minute_seconds: float) -> tuple[subprocess.Popen[str], Any]:
    """The emulator subprocess and its start-up line."""
    script = Path(sys.executable).with_name("backlog-connector")
    command = [str(script) if script.exists() else "backlog-connector", "emulator",
               "--plan", "paid", "--issues", str(issues), "--port", "0",
               "--minute-seconds", str(minute_seconds)]  # fmt: skip
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise SystemExit("the emulator exited before printing its start-up line")
    return proc, json.loads(line)


def paid_minutes(requests: dict[str, int]) -> float:
    """Minutes the paid plan's budgets need for these requests (60-second windows)."""
    return max(requests.get(k, 0) / limit for k, limit in PAID.items())


def figures(run: Any, seconds: float) -> dict[str, Any]:
    """One run's numbers."""
    return {
        "status": run.status,
        "seconds": round(seconds, 2),
        "requests": dict(run.requests),
        "requests_total": run.requests_total,
        "wait_seconds": round(run.wait_seconds or 0.0, 2),
        "rows_written": run.rows_written,
        "table_rows": run.table_rows,
        "paid_plan_minutes_estimate": round(
            paid_minutes(run.requests) + max(0.0, seconds - (run.wait_seconds or 0.0)) / 60, 2
        ),
    }


def change_statuses(base_url: str, key: str, count: int) -> int:
    """PATCH the status of ``count`` open issues (to In Progress) and close every other one
    of them; returns the activities these writes recorded."""
    with httpx.Client(base_url=base_url + "/api/v2", params={"apiKey": key}, timeout=60) as c:
        info = c.get("/space/activities", params={"count": 1, "order": "desc"}).json()
        before = info[0]["id"]
        issues: list[dict[str, Any]] = []
        while len(issues) < count:  # 100 per search at most; the PATCHes below leave status 1
            page = c.get("/issues", params={"statusId[]": 1, "count": min(100, count - len(issues)),
                                            "offset": len(issues)}).json()  # fmt: skip
            if not page:
                break
            issues += page
        for n, issue in enumerate(issues):
            for status in (2, 4) if n % 2 else (2,):
                while True:
                    r = c.patch(f"/issues/{issue['id']}", data={"statusId": status})
                    if r.status_code != 429:
                        r.raise_for_status()
                        break
                    time.sleep(max(0.2, int(r.headers["X-RateLimit-Reset"]) - time.time()))
        after = c.get("/space/activities", params={"count": 1, "order": "desc"}).json()
        return int(after[0]["id"] - before)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--issues", type=int, default=20_000)
    parser.add_argument("--minute-seconds", type=float, default=6.0)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--output", default=str(Path(__file__).with_name("cycle_times.json")))
    args = parser.parse_args()

    for name in [n for n in os.environ if n.startswith("BACKLOG_CONNECTOR_")]:
        del os.environ[name]
    from backlog_connector.datasets.service import ControlPlane

    proc, info = start_emulator(args.issues, args.minute_seconds)
    try:
        with tempfile.TemporaryDirectory() as home, ControlPlane.open(Path(home)) as cp:
            key = info["api_keys"]["admin"]
            cp.add_account("bench", base_url=info["base_url"], api_key=key)
            cp.create_dataset("cycle_times", account="bench", report="cycle_times")
            started = time.perf_counter()
            (full,) = cp.run_datasets(["cycle_times"])
            full_seconds = time.perf_counter() - started
            activities = change_statuses(info["base_url"], key, args.changes)
            time.sleep(args.minute_seconds)  # the writes' window is not the run's concern
            started = time.perf_counter()
            (incremental,) = cp.run_datasets(["cycle_times"])
            incremental_seconds = time.perf_counter() - started
        result = {
            "benchmark": "cycle_times",
            "issues": args.issues,
            "plan": "paid",
            "minute_seconds": args.minute_seconds,
            "note": (
                f"rate-limit windows shortened to {args.minute_seconds:g} s (paid-plan limits "
                "per window unchanged); paid_plan_minutes_estimate scales to 60 s windows"
            ),
            "full": figures(full, full_seconds),
            "changes": {"issues_patched": args.changes, "activities": activities},
            "incremental": figures(incremental, incremental_seconds),
        }
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    text = json.dumps(result, indent=2)
    Path(args.output).write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
