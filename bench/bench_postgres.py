"""Benchmark of the PostgreSQL destination against DuckDB, side by side in one run.

1. A full ``issues`` sync of N issues (default 100,000) from one emulator subprocess into
   DuckDB and into PostgreSQL, each in its own worker process (its CPU time and peak RSS are its
   own, ``os.wait4``), alternated ``--rounds`` times so load on the shared machine hits both.
2. 1 % of the issues changed through the API, then an incremental merge into each: the
   database time (the sink's write, delete and commit calls) and the commit alone.

Targets (issue 10): PostgreSQL full sync at most 1.5x the DuckDB time, peak RSS under 400 MB;
incremental merge of 1 % changed under 1 s of database time. Prints one JSON object.

usage: python bench/bench_postgres.py [--issues 100000] [--rounds 1]
                                      [--postgres postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from bench_sync import start_emulator

TARGET_RATIO = 1.5
TARGET_PEAK_RSS_MB = 400
TARGET_MERGE_DB_SECONDS = 1.0


def worker(base_url: str, key: str, target: str, full: str) -> None:
    """One sync into ``target`` (a DuckDB path, or ``postgresql://...#schema``); prints JSON."""
    from backlog_connector.backlog.address import SpaceAddress
    from backlog_connector.backlog.client import BacklogClient
    from backlog_connector.backlog.credentials import ApiKey
    from backlog_connector.reports.base import RunContext, UpdateMode
    from backlog_connector.reports.catalog import get_report
    from backlog_connector.sinks.base import Sink
    from backlog_connector.sinks.duckdb import DuckDBSink
    from backlog_connector.sinks.postgres import PostgresSink

    sink: Sink
    if target.startswith("postgresql://"):
        url, _, schema = target.partition("#")
        sink = PostgresSink(url, schema)
    else:
        sink = DuckDBSink(Path(target), memory_limit="128MB")
    report = get_report("issues")
    address = SpaceAddress.parse_base_url(base_url)
    database = 0.0
    with BacklogClient(address, ApiKey(key), account_name="bench") as client:
        client.get("/space")
        started = time.perf_counter()
        cursor = None if full == "full" else sink.read_state("issues")
        ctx = RunContext(
            client=client,
            options=report.validate_options({}),
            space=address.fqdn,
            mode=UpdateMode.MERGE,
            cursor=cursor,
        )
        t = time.perf_counter()
        run = sink.open_run("issues", report.tables, ctx.mode, run_id=full, full=cursor is None)
        database += time.perf_counter() - t
        for batch in report.read(ctx):
            t = time.perf_counter()
            run.write(batch)
            database += time.perf_counter() - t
        t = time.perf_counter()
        if ctx.deleted_keys:
            run.delete(ctx.deleted_keys)
        commit_started = time.perf_counter()
        stats = run.commit(ctx.new_cursor)
        commit = time.perf_counter() - commit_started
        database += time.perf_counter() - t
        seconds = time.perf_counter() - started
    rows = sink.row_count("issues")
    sink.close()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "database_seconds": database,
                "commit_seconds": commit,
                "rows": rows,
                "rows_written": sum(stats.rows_written.values()),
            }
        )
    )


def run_worker(info: dict[str, Any], target: str, full: str) -> dict[str, Any]:
    key = info["api_keys"]["admin"]
    proc = subprocess.Popen(
        [sys.executable, __file__, "--worker", info["base_url"], key, target, full],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    output = proc.stdout.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"the {full} worker for {target.split('#')[0][:12]}... failed")
    figures: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    figures["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    figures["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)
    return figures


def change_issues(info: dict[str, Any], issues: int, share: float) -> int:
    """Edit ``share`` of the issues through the API; returns how many."""
    count = max(1, int(issues * share))
    step = max(1, issues // count)
    headers = {"Backlog-API-Key": info["api_keys"]["admin"]}
    with httpx.Client(base_url=info["base_url"] + "/api/v2", headers=headers) as client:
        for n in range(count):
            issue_id = 1 + n * step
            reply = client.patch(f"/issues/{issue_id}", data={"summary": f"bench edit {n}"})
            reply.raise_for_status()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    import psycopg

    emulator, info = start_emulator(args.issues, warm=True)
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    pg_target = f"{args.postgres}#{schema}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            duck_target = str(Path(tmp) / "bench.duckdb")
            full: dict[str, list[dict[str, Any]]] = {"duckdb": [], "postgresql": []}
            for _ in range(args.rounds):
                for name, target in (("duckdb", duck_target), ("postgresql", pg_target)):
                    full[name].append(run_worker(info, target, "full"))
            changed = change_issues(info, args.issues, 0.01)
            merge = {
                "duckdb": run_worker(info, duck_target, "incremental"),
                "postgresql": run_worker(info, pg_target, "incremental"),
            }
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    best = {name: min(runs, key=lambda r: r["seconds"]) for name, runs in full.items()}
    ratio = best["postgresql"]["seconds"] / best["duckdb"]["seconds"]
    pg_merge = merge["postgresql"]
    print(
        json.dumps(
            {
                "benchmark": "issues into PostgreSQL vs DuckDB (emulator subprocess, warm)",
                "issues": args.issues,
                "rounds": args.rounds,
                "cpus": os.cpu_count(),
                "load_average_1m_at_end": round(os.getloadavg()[0], 2),
                "full_sync": {
                    name: {
                        "seconds": [round(r["seconds"], 2) for r in runs],
                        "issues_per_second": round(args.issues / best[name]["seconds"]),
                        "database_seconds": round(best[name]["database_seconds"], 2),
                        "commit_seconds": round(best[name]["commit_seconds"], 2),
                        "cpu_seconds": round(best[name]["cpu_seconds"], 2),
                        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
                        "rows": best[name]["rows"],
                    }
                    for name, runs in full.items()
                },
                "postgresql_to_duckdb_time_ratio": round(ratio, 2),
                "incremental_merge": {
                    "issues_changed": changed,
                    **{
                        name: {
                            "seconds": round(r["seconds"], 2),
                            "database_seconds": round(r["database_seconds"], 3),
                            "commit_seconds": round(r["commit_seconds"], 3),
                            "rows_written": r["rows_written"],
                            "rows": r["rows"],
                        }
                        for name, r in merge.items()
                    },
                },
                "targets": {
                    "time_ratio": TARGET_RATIO,
                    "peak_rss_mb": TARGET_PEAK_RSS_MB,
                    "merge_database_seconds": TARGET_MERGE_DB_SECONDS,
                },
                "meets_targets": ratio <= TARGET_RATIO
                and max(r["peak_rss_mb"] for r in full["postgresql"]) < TARGET_PEAK_RSS_MB
                and pg_merge["database_seconds"] < TARGET_MERGE_DB_SECONDS,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
