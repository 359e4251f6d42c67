"""Benchmark of long runs under faults: ``comments`` (and ``issue_status_history``) of N issues
read from an emulator that injects faults, against the same read without faults, in one run.

The emulator runs as a subprocess (faults set through its `/_emulator/faults` route), so its work
does not share the connector's interpreter. The connector side is the product's own path for one
run: a client with the run's retry budget, the report, the DuckDB sink. Figures: seconds with and
without faults, their ratio (target: at most 3), retries, 429s, answers cut at their learnt
deadline, and whether the tables are exactly the fault-free ones. ``--repeat N`` measures N
pairs (the machine may be shared): the figures are the pair with the median ratio, and
``ratios`` lists all of them. Prints one JSON object.

usage: python bench/bench_faults.py [--issues 1500] [--fault-rate 0.2] [--slow-seconds 1.0]
                                    [--reports comments issue_status_history] [--without KIND...]
                                    [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_RATIO = 3.0


Started = tuple[subprocess.Popen[str], dict[str, Any]]


def start_emulator(issues: int, fault_rate: float, slow_seconds: float, seed: int,
                   without: tuple[str, ...] = ()) -> Started:  # fmt: skip
    script = Path(sys.executable).with_name("backlog-connector")
    program = str(script) if script.exists() else "backlog-connector"
    command = [program, "emulator", "--plan", "unlimited", "--issues", str(issues),
               "--projects", "3", "--seed", str(seed), "--port", "0"]  # fmt: skip
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise SystemExit("the emulator exited before printing its start-up line")
    info = json.loads(line)
    # faults through the control route: they start with the timed part, not with set-up
    import httpx

    form = {"rate": str(fault_rate), "slow_seconds": str(slow_seconds)}
    form.update(dict.fromkeys(without, "0"))  # those kinds off, the others at their share
    httpx.post(f"{info['base_url']}/_emulator/faults", data=form).raise_for_status()
    return proc, info


def sync(base_url: str, key: str, database: Path, report_name: str) -> dict[str, Any]:
    """One full run of ``report_name`` into ``database``; its seconds, retries and table."""
    from backlog_connector.backlog.address import SpaceAddress
    from backlog_connector.backlog.client import BacklogClient
    from backlog_connector.backlog.credentials import ApiKey
    from backlog_connector.backlog.retry import RetryBudget
    from backlog_connector.reports.base import RunContext, UpdateMode
    from backlog_connector.reports.catalog import get_report
    from backlog_connector.sinks.duckdb import DuckDBSink

    report = get_report(report_name)
    sink = DuckDBSink(database)
    address = SpaceAddress.parse_base_url(base_url)
    with BacklogClient(address, ApiKey(key), account_name="bench",
                       retry_budget=RetryBudget()) as client:  # fmt: skip
        client.get("/space")
        started = time.perf_counter()
        ctx = RunContext(client=client, options=report.validate_options({}), space=address.fqdn,
                         mode=UpdateMode.MERGE)  # fmt: skip
        run = sink.open_run(report_name, report.tables, ctx.mode, run_id="bench", full=True)
        for batch in report.read(ctx):
            run.write(batch)
        run.commit(ctx.new_cursor)
        seconds = time.perf_counter() - started
        figures = client.stats.as_dict()
        retries, requests = figures["retries"], figures["total_requests"]
        waits = {"backoff_seconds": round(figures["backoff_seconds"], 2),
                 "budget_wait_seconds": round(figures["wait_seconds"], 2),
                 "rate_limited": figures["rate_limited"],
                 "cut_answers": figures["cut_answers"]}  # fmt: skip
    sink.close()
    import duckdb

    with duckdb.connect(str(database), read_only=True) as con:
        query = f'SELECT * EXCLUDE (_space) FROM "{report_name}" ORDER BY ALL'
        rows = con.execute(query).fetchall()
    return {"seconds": seconds, "retries": retries, "requests": requests, "rows": rows, **waits}


def measure(args: argparse.Namespace, fault_rate: float) -> dict[str, Any]:
    emulator, info = start_emulator(args.issues, fault_rate, args.slow_seconds, args.seed,
                                    tuple(args.without))  # fmt: skip
    try:
        out: dict[str, Any] = {}
        with tempfile.TemporaryDirectory() as tmp:
            for name in args.reports:
                out[name] = sync(info["base_url"], info["api_keys"]["admin"],
                                 Path(tmp) / f"{name}.duckdb", name)  # fmt: skip
        return out
    finally:
        emulator.terminate()
        emulator.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--issues", type=int, default=1500)
    parser.add_argument("--fault-rate", type=float, default=0.2)
    parser.add_argument("--slow-seconds", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reports", nargs="+", default=["comments", "issue_status_history"])
    parser.add_argument("--without", nargs="*", default=[], metavar="KIND",
                        help="fault kinds to switch off (e.g. slow spurious_429); the others"
                             " keep their share of --fault-rate")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=1, help="pairs of runs to measure")
    args = parser.parse_args()
    pairs = [(measure(args, 0.0), measure(args, args.fault_rate)) for _ in range(args.repeat)]
    results = {}
    for name in args.reports:
        ratios = [f[name]["seconds"] / c[name]["seconds"] for c, f in pairs]
        clean, faulty = pairs[sorted(range(len(pairs)), key=ratios.__getitem__)[len(pairs) // 2]]
        ratio = faulty[name]["seconds"] / clean[name]["seconds"]
        results[name] = {
            "seconds_without_faults": round(clean[name]["seconds"], 2),
            "seconds_with_faults": round(faulty[name]["seconds"], 2),
            "ratio": round(ratio, 2),
            "ratios": [round(r, 2) for r in ratios],
            "within_target": ratio <= TARGET_RATIO,
            "retries": faulty[name]["retries"],
            "requests_without_faults": clean[name]["requests"],
            "requests_with_faults": faulty[name]["requests"],
            "cut_answers": faulty[name]["cut_answers"],
            "backoff_seconds": faulty[name]["backoff_seconds"],
            "budget_wait_seconds": faulty[name]["budget_wait_seconds"],
            "rate_limited": faulty[name]["rate_limited"],
            "rows": len(clean[name]["rows"]),
            "exact": all(f[name]["rows"] == c[name]["rows"] for c, f in pairs),
        }
    print(json.dumps({"issues": args.issues, "fault_rate": args.fault_rate,
                      "slow_seconds": args.slow_seconds, "without": args.without,
                      "target_ratio": TARGET_RATIO,
                      "reports": results}))  # fmt: skip


if __name__ == "__main__":
    main()
