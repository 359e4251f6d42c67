"""Benchmark of the short warehouse hold (issue 11), three parts, one JSON object:

- ``hold``: a full ``issues`` replace of N issues (default 100,000) from a warm emulator into
  DuckDB: how long the run holds ``warehouse.duckdb`` read-write (open to close, at commit)
  against the run's whole time. Target: under 2 s.
- ``readers``: while a full run of 30,000 issues reads under the paid plan's limits (search
  150/min), an outside process opens the file read-only (``duckdb.connect(path,
  read_only=True)``) every 50 ms and counts the tries that got in. Target: at least 90 %.
- ``rss``: the CLI path (``backlog-connector datasets run`` in its own process, the control
  plane and all) at 100,000 and 200,000 issues: peak RSS. Target: under 400 MB.

usage: python bench/bench_warehouse.py [--parts hold readers rss] [--hold-issues 100000]
                                       [--reader-issues 30000] [--rss-issues 100000 200000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench_sync import start_emulator

TARGET_HOLD_SECONDS = 2.0
TARGET_READER_SHARE = 0.9
TARGET_PEAK_RSS_MB = 400


def hold_worker(base_url: str, key: str, database: str) -> None:
    """One full replace run into ``database``; prints the run's and the hold's seconds."""
    from backlog_connector.backlog.address import SpaceAddress
    from backlog_connector.backlog.client import BacklogClient
    from backlog_connector.backlog.credentials import ApiKey
    from backlog_connector.reports.base import RunContext, UpdateMode
    from backlog_connector.reports.catalog import get_report
    from backlog_connector.sinks.duckdb import DuckDBSink
    from backlog_connector.sinks.duckdb_file import warehouse_file

    report = get_report("issues")
    sink = DuckDBSink(Path(database), memory_limit="128MB")
    address = SpaceAddress.parse_base_url(base_url)
    with BacklogClient(address, ApiKey(key), account_name="bench") as client:
        started = time.perf_counter()
        ctx = RunContext(
            client=client,
            options=report.validate_options({}),
            space=address.fqdn,
            mode=UpdateMode.REPLACE,
        )
        run = sink.open_run("issues", report.tables, ctx.mode, run_id="bench", full=True)
        for batch in report.read(ctx):
            run.write(batch)
        commit_started = time.perf_counter()
        stats = run.commit(ctx.new_cursor)
        ended = time.perf_counter()
    print(
        json.dumps(
            {
                "run_seconds": ended - started,
                "commit_seconds": ended - commit_started,
                "hold_seconds": warehouse_file(Path(database)).last_hold_seconds,
                "rows_written": sum(stats.rows_written.values()),
                "rows": sink.row_count("issues"),
            }
        )
    )


def _worker(info: dict[str, Any], database: Path) -> dict[str, Any]:
    command = [sys.executable, __file__, "--hold-worker", info["base_url"]]
    output = subprocess.run(
        [*command, info["api_keys"]["admin"], str(database)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    figures: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return figures


def measure_hold(issues: int) -> dict[str, Any]:
    emulator, info = start_emulator(issues, warm=True)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            first = _worker(info, Path(tmp) / "w.duckdb")  # creates the tables
            again = _worker(info, Path(tmp) / "w.duckdb")  # replaces them: the case that counts
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)
    return {
        "issues": issues,
        "first_run": {k: round(v, 3) if isinstance(v, float) else v for k, v in first.items()},
        "replace_run": {k: round(v, 3) if isinstance(v, float) else v for k, v in again.items()},
        "hold_seconds": round(again["hold_seconds"], 3),
        "meets_target": again["hold_seconds"] < TARGET_HOLD_SECONDS,
    }


def _cli(home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("backlog-connector")
    env = {**os.environ, "BACKLOG_CONNECTOR_HOME": str(home)}
    return subprocess.run(
        [str(script), *args], env=env, input=stdin, capture_output=True, text=True, check=True
    )


def _set_up_home(home: Path, info: dict[str, Any]) -> None:
    _cli(home, "accounts", "add", "bench", "--base-url", info["base_url"],
         stdin=info["api_keys"]["admin"])  # fmt: skip
    _cli(home, "datasets", "create", "Issues", "--account", "bench", "--report", "issues")


def measure_readers(issues: int) -> dict[str, Any]:
    """The CLI runs a full sync under paid limits while this process polls the file."""
    emulator, info = start_emulator(issues, warm=True, plan="paid")
    tries: list[bool] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp)
            _set_up_home(home, info)
            warehouse = home / "warehouse.duckdb"
            # the file and the table exist, as for any refresh; the measured run is a full one
            _cli(home, "datasets", "create", "Space", "--account", "bench", "--report", "space")
            _cli(home, "datasets", "run", "Space")
            script = Path(sys.executable).with_name("backlog-connector")
            env = {**os.environ, "BACKLOG_CONNECTOR_HOME": str(home)}
            run = subprocess.Popen(
                [str(script), "datasets", "run", "Issues", "--full", "--json"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
            stop = threading.Event()

            def poll() -> None:
                import duckdb

                while not stop.is_set():
                    try:
                        duckdb.connect(str(warehouse), read_only=True).close()
                        tries.append(True)
                    except duckdb.Error:
                        tries.append(False)
                    time.sleep(0.05)

            reader = threading.Thread(target=poll)
            started = time.perf_counter()
            reader.start()
            out, _ = run.communicate(timeout=900)
            seconds = time.perf_counter() - started
            stop.set()
            reader.join()
            result = json.loads(out)[0]
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)
    share = sum(tries) / len(tries) if tries else 0.0
    return {
        "issues": issues,
        "plan": "paid (search 150/min)",
        "run_status": result["status"],
        "run_seconds": round(seconds, 1),
        "reader_tries": len(tries),
        "reader_successes": sum(tries),
        "reader_success_share": round(share, 4),
        "meets_target": result["status"] == "succeeded" and share >= TARGET_READER_SHARE,
    }


def measure_rss(issues: int) -> dict[str, Any]:
    """The whole CLI process (``datasets run``) on an unlimited, warm emulator."""
    emulator, info = start_emulator(issues, warm=True)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp)
            _set_up_home(home, info)
            script = Path(sys.executable).with_name("backlog-connector")
            env = {**os.environ, "BACKLOG_CONNECTOR_HOME": str(home)}
            started = time.perf_counter()
            proc = subprocess.Popen(
                [str(script), "datasets", "run", "Issues", "--json"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
            assert proc.stdout is not None
            out = proc.stdout.read()
            _pid, status, usage = os.wait4(proc.pid, 0)
            seconds = time.perf_counter() - started
            result = json.loads(out)[0]
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)
    rss = round(usage.ru_maxrss / 1024, 1)
    return {
        "issues": issues,
        "run_status": result["status"],
        "table_rows": result["table_rows"],
        "cli_seconds": round(seconds, 1),
        "cli_peak_rss_mb": rss,
        "exit_code": os.waitstatus_to_exitcode(status),
        "meets_target": rss < TARGET_PEAK_RSS_MB,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", nargs="+", default=["hold", "readers", "rss"])
    parser.add_argument("--hold-issues", type=int, default=100_000)
    parser.add_argument("--reader-issues", type=int, default=30_000)
    parser.add_argument("--rss-issues", type=int, nargs="+", default=[100_000, 200_000])
    parser.add_argument("--hold-worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.hold_worker:
        hold_worker(*args.hold_worker)
        return
    figures: dict[str, Any] = {
        "benchmark": "short warehouse hold: hold time, outside readers, CLI peak RSS",
        "cpus": os.cpu_count(),
        "targets": {
            "hold_seconds": TARGET_HOLD_SECONDS,
            "reader_success_share": TARGET_READER_SHARE,
            "cli_peak_rss_mb": TARGET_PEAK_RSS_MB,
        },
    }
    if "hold" in args.parts:
        figures["hold"] = measure_hold(args.hold_issues)
    if "readers" in args.parts:
        figures["readers"] = measure_readers(args.reader_issues)
    if "rss" in args.parts:
        figures["rss"] = [measure_rss(n) for n in args.rss_issues]
    figures["load_average_1m_at_end"] = round(os.getloadavg()[0], 2)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
