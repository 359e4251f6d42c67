"""Benchmark of a full ``issues`` sync: the emulator (a subprocess) -> client -> report ->
DuckDB, at 100,000 and 200,000 issues.

The emulator runs as ``backlog-connector emulator --plan unlimited --issues N --port 0``; the
connector runs in its own worker process so that its CPU time and peak RSS are its own
(``os.wait4``). Figures: issues per second end to end (wall clock of the worker's sync), the
connector's CPU seconds per 1,000 issues, its peak RSS. Prints one JSON object.

usage: python bench/bench_sync.py [--issues 100000 200000] [--mode merge|replace]
                                 [--memory-limit 128MB] [--emulator warm|cold]
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

TARGET_ISSUES_PER_SECOND = 5_000
TARGET_PEAK_RSS_MB = 400


def start_emulator(
    issues: int, *, warm: bool = False, plan: str = "unlimited"
) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    """The emulator subprocess and its start-up line (base URL, keys). ``warm``: it renders
    every issue's JSON before it starts serving (a server with its pages cached)."""
    script = Path(sys.executable).with_name("backlog-connector")
    program = str(script) if script.exists() else "backlog-connector"
    command = [program, "emulator", "--plan", plan, "--issues", str(issues), "--port", "0"]
    if warm:
        command += ["--warm", "--cache-limit", str(issues)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise SystemExit("the emulator exited before printing its start-up line")
    return proc, json.loads(line)


def worker(base_url: str, key: str, database: str, mode: str, memory_limit: str) -> None:
    """The connector side: one full sync; prints its figures as JSON on stdout."""
    from backlog_connector.backlog.address import SpaceAddress
    from backlog_connector.backlog.client import BacklogClient
    from backlog_connector.backlog.credentials import ApiKey
    from backlog_connector.reports.base import RunContext, UpdateMode
    from backlog_connector.reports.catalog import get_report
    from backlog_connector.sinks.duckdb import DuckDBSink

    report = get_report("issues")
    sink = DuckDBSink(Path(database), memory_limit=memory_limit or None)
    address = SpaceAddress.parse_base_url(base_url)
    with BacklogClient(address, ApiKey(key), account_name="bench") as client:
        client.get("/space")  # resolve the user and warm the connection outside the timing
        started = time.perf_counter()
        ctx = RunContext(
            client=client,
            options=report.validate_options({}),
            space=address.fqdn,
            mode=UpdateMode(mode),
        )
        # as the runner does: no cursor, so a full run
        run = sink.open_run("issues", report.tables, ctx.mode, run_id="bench", full=True)
        for batch in report.read(ctx):
            run.write(batch)
        if ctx.deleted_keys:
            run.delete(ctx.deleted_keys)
        stats = run.commit(ctx.new_cursor)
        seconds = time.perf_counter() - started
        requests = dict(client.stats.requests)
    rows = sink.row_count("issues")
    sink.close()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "rows": rows,
                "complete": ctx.complete,
                "rows_written": stats.rows_written,
                "requests": requests,
            }
        )
    )


def measure(issues: int, mode: str, memory_limit: str, warm: bool) -> dict[str, Any]:
    """One size: start the emulator, run the worker, collect its figures and rusage."""
    started = time.perf_counter()
    emulator, info = start_emulator(issues, warm=warm)
    emulator_start = time.perf_counter() - started
    try:
        with tempfile.TemporaryDirectory() as tmp:
            worker_proc = subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--worker",
                    info["base_url"],
                    info["api_keys"]["admin"],
                    str(Path(tmp) / "bench.duckdb"),
                    mode,
                    memory_limit,
                ],
                stdout=subprocess.PIPE,
                text=True,
            )
            assert worker_proc.stdout is not None
            output = worker_proc.stdout.read()
            _pid, status, usage = os.wait4(worker_proc.pid, 0)
            worker_proc.returncode = os.waitstatus_to_exitcode(status)
            if worker_proc.returncode != 0:
                raise SystemExit(f"the sync worker failed with exit code {worker_proc.returncode}")
            figures = json.loads(output.strip().splitlines()[-1])
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)
    cpu = usage.ru_utime + usage.ru_stime
    return {
        "issues": issues,
        "rows_in_table": figures["rows"],
        "complete": figures["complete"],
        "emulator_start_seconds": round(emulator_start, 2),
        "sync_seconds": round(figures["seconds"], 2),
        "issues_per_second": round(issues / figures["seconds"]),
        "connector_cpu_seconds_per_1000_issues": round(cpu / issues * 1000, 4),
        "connector_peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "requests": figures["requests"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, nargs="+", default=[100_000, 200_000])
    parser.add_argument("--mode", choices=["merge", "replace"], default="merge")
    parser.add_argument(
        "--memory-limit",
        default="128MB",
        help="DuckDB memory_limit of the sink (default: the warehouse.memory_limit setting's "
        "default, 128MB; '' for DuckDB's own)",
    )
    parser.add_argument(
        "--emulator",
        choices=["warm", "cold"],
        default="warm",
        help="warm: the emulator renders every issue before serving (pages come from its "
        "cache); cold: it renders each page on request, competing for the 2 cores",
    )
    parser.add_argument(
        "--worker", nargs=5, metavar=("URL", "KEY", "DB", "MODE", "MEM"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    warm = args.emulator == "warm"
    runs = [measure(n, args.mode, args.memory_limit, warm) for n in args.issues]
    print(
        json.dumps(
            {
                "benchmark": "full issues sync, emulator subprocess -> DuckDB",
                "mode": args.mode,
                "emulator": args.emulator,
                "duckdb_memory_limit": args.memory_limit or "duckdb default",
                "load_average_1m_at_end": round(os.getloadavg()[0], 2),
                "cpus": os.cpu_count(),
                "targets": {
                    "issues_per_second": TARGET_ISSUES_PER_SECOND,
                    "peak_rss_mb": TARGET_PEAK_RSS_MB,
                },
                "runs": runs,
                "meets_targets": all(
                    r["issues_per_second"] >= TARGET_ISSUES_PER_SECOND
                    and r["connector_peak_rss_mb"] < TARGET_PEAK_RSS_MB
                    for r in runs
                ),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
