"""The shared rate ledger: several processes of one Backlog user, plus a client outside it.

Starts ``backlog-connector emulator --plan paid --minute-seconds S`` and a scratch PostgreSQL
database holding the control plane's tables, then ``--processes`` reader processes that each
read every issue again and again for ``--seconds`` through a client that asks the window ledger
(``datasets.ledger.PostgresRateLedger``) before each request. Meanwhile a client of the same
user outside the ledger (its own in-process pacing, the user's "own script") sends one search
every ``--outside-every`` seconds.

Figures come from the emulator's own record of every rate window (``/_emulator/rate-windows``):
requests allowed and refused (429) per window. A window counts as full when it opened after
every reader was under way and closed before the first one stopped; its use is
requests / limit. Target: 0 429s and at least 90 % use of every full window. The baseline,
in the same run on a fresh emulator: the same load with each process pacing itself (the
embedded mode's in-process budgets).
Prints one JSON object: ``ledger`` and ``baseline_per_process_pacing``.

    .venv/bin/python bench/bench_ledger.py [--processes 4] [--seconds 40] [--minute-seconds 10]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

PG_ADMIN_URL = os.environ.get(
    "BACKLOG_CONNECTOR_TEST_POSTGRES_ADMIN", "postgresql://postgres@127.0.0.1:5432/test"
)


def start_emulator(issues: int, minute_seconds: float) -> tuple[subprocess.Popen[str], Any]:
    exe = Path(sys.executable).with_name("backlog-connector")
    proc = subprocess.Popen(
        [str(exe), "emulator", "--port", "0", "--seed", "1", "--projects", "3",
         "--issues", str(issues), "--plan", "paid", "--minute-seconds", str(minute_seconds)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    first = proc.stdout.readline()
    if not first:
        proc.kill()
        raise SystemExit("the emulator did not start")
    return proc, json.loads(first)


def reader(base_url: str, key: str, db_url: str, seconds: float, issues: int) -> None:
    """One reader process: reads every issue until the time is up; prints JSON. ``db_url``
    ``-`` paces the process on its own (the in-process budgets: the baseline)."""
    import sqlalchemy as sa

    from backlog_connector.backlog.address import SpaceAddress
    from backlog_connector.backlog.budget import BudgetRegistry
    from backlog_connector.backlog.client import BacklogClient
    from backlog_connector.backlog.credentials import ApiKey
    from backlog_connector.datasets.ledger import PostgresRateLedger

    engine = sa.create_engine(db_url, pool_size=2) if db_url != "-" else None
    ledger = PostgresRateLedger(engine) if engine is not None else None
    address = SpaceAddress.parse_base_url(base_url)
    from backlog_connector.backlog.errors import BacklogConnectorError

    deadline = time.monotonic() + seconds
    reads = exact = failed = 0
    with BacklogClient(address, ApiKey(key), budgets=BudgetRegistry(), ledger=ledger) as client:
        client.myself()
        first = time.time()  # this reader is under way from here
        while time.monotonic() < deadline:
            ids: list[int] = []
            try:
                for page in client.iter_offset("/issues", page_size=100):
                    ids.extend(int(row["id"]) for row in page)
                    if time.monotonic() >= deadline:
                        break
                else:
                    reads += 1
                    exact += len(ids) == issues == len(set(ids))
            except BacklogConnectorError:  # retries ran out (429s): the baseline's fate
                failed += 1
        stats = client.stats.as_dict()
        last = time.time()
    if engine is not None:
        engine.dispose()
    print(json.dumps({"reads": reads, "exact_reads": exact, "failed_reads": failed,
                      "requests": stats["total_requests"],
                      "rate_limited": stats["rate_limited"],
                      "first": first, "last": last}))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--minute-seconds", type=float, default=10.0)
    parser.add_argument("--issues", type=int, default=3000)
    parser.add_argument(
        "--outside-every",
        type=float,
        default=0.25,
        help="seconds between the outside client's requests (0: none)",
    )
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the baseline (each process pacing itself)"
    )
    parser.add_argument(
        "--reader", nargs=5, metavar=("URL", "KEY", "DB", "S", "N"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.reader:
        url, key, db, seconds, issues = args.reader
        reader(url, key, db, float(seconds), int(issues))
        return

    import psycopg

    from backlog_connector.datasets.service import ControlPlane
    from backlog_connector.settings import Settings

    name = f"bc_bench_ledger_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    db_url = "postgresql+psycopg://" + PG_ADMIN_URL.split("://", 1)[1].rpartition("/")[0]
    db_url += f"/{name}"
    try:
        with tempfile.TemporaryDirectory() as home:
            ControlPlane.open(settings=Settings(home=Path(home), database_url=db_url)).close()
        result: dict[str, Any] = {
            "processes": args.processes,
            "seconds": args.seconds,
            "window_seconds": args.minute_seconds,
            "ledger": measure(args, db_url),
        }
        if not args.no_baseline:
            # the same load, each process pacing itself (the embedded mode's budgets)
            result["baseline_per_process_pacing"] = measure(args, "-")
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(json.dumps(result))


def measure(args: argparse.Namespace, db_url: str) -> dict[str, Any]:
    """One measurement on a fresh emulator; ``db_url`` ``-``: without the ledger."""
    from backlog_connector.backlog.address import SpaceAddress
    from backlog_connector.backlog.budget import BudgetRegistry
    from backlog_connector.backlog.client import BacklogClient
    from backlog_connector.backlog.credentials import ApiKey

    proc, line = start_emulator(args.issues, args.minute_seconds)
    outside_stats: dict[str, Any] = {}
    try:
        info = httpx.get(line["base_url"] + "/_emulator/info").json()
        keys = info["users"]["admin"]
        started = time.time()
        readers = [
            subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--reader",
                    line["base_url"],
                    keys[0],
                    db_url,
                    str(args.seconds),
                    str(args.issues),
                ],
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(args.processes)
        ]
        stop = threading.Event()

        def outside() -> None:
            address = SpaceAddress.parse_base_url(line["base_url"])
            with BacklogClient(address, ApiKey(keys[-1]), budgets=BudgetRegistry()) as client:
                client.myself()
                while not stop.wait(args.outside_every):
                    client.get("/issues", [("count", 1)])
                outside_stats.update(client.stats.as_dict())

        helper = threading.Thread(target=outside, daemon=True)
        if args.outside_every > 0:
            helper.start()
        results = []
        for p in readers:
            out, _ = p.communicate(timeout=args.seconds + 120)
            results.append(json.loads(out.strip().splitlines()[-1]))
        stopped = time.time()
        stop.set()
        if helper.is_alive():
            helper.join(30)
        windows = httpx.get(line["base_url"] + "/_emulator/rate-windows").json()["windows"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    search = [w for w in windows if w["user_id"] == 1 and w["category"] == "search"]
    # while every reader was under way (on a loaded machine they start and stop unevenly)
    started = max([started, *(r["first"] for r in results)])
    stopped = min([stopped, *(r["last"] for r in results)])
    full = [w for w in search
            if w["start"] >= started and w["start"] + w["seconds"] <= stopped]  # fmt: skip
    use = [w["used"] / w["limit"] for w in full]
    return {
        "search_limit": search[0]["limit"] if search else None,
        "outside_requests": outside_stats.get("total_requests", 0),
        "outside_429s": outside_stats.get("rate_limited", 0),
        "reader_requests": sum(r["requests"] for r in results),
        "reader_429s": sum(r["rate_limited"] for r in results),
        "wire_429s": sum(w["refused"] for w in windows),
        "reads": sum(r["reads"] for r in results),
        "exact_reads": sum(r["exact_reads"] for r in results),
        "failed_reads": sum(r["failed_reads"] for r in results),
        "full_windows": len(full),
        "requests_per_full_window": [w["used"] for w in full],
        "window_use_min": round(min(use), 3) if use else None,
        "window_use_mean": round(statistics.mean(use), 3) if use else None,
        "target_window_use": 0.9,
    }


if __name__ == "__main__":
    main()
