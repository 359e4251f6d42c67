"""Pacing: three concurrent paged reads of all issues by one Backlog user, through two accounts.

Starts ``backlog-connector emulator --plan paid --minute-seconds 6`` as a subprocess, takes the
admin user's two API keys from its ``/_emulator/info`` route, and runs three readers (threads):
two on the first account, one on the second. Every client uses the process-global budget
registry, so they share the admin's search budget (150 per 6 s window = 25 requests/s).

Throughput is measured over whole windows (told apart by their ``X-RateLimit-Reset``): the
search requests sent before the last window, divided by the time from the start of the reads
to the first request of the last window (the last window is usually partial and would flatter
the figure). Target: zero 429s and at least 90 % of the
limit.

Prints one JSON object.

    .venv/bin/python bench/bench_pacing.py [--issues 20000] [--minute-seconds 6] [--readers 3]
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from backlog_connector.backlog.address import SpaceAddress
from backlog_connector.backlog.budget import shared
from backlog_connector.backlog.client import BacklogClient
from backlog_connector.backlog.credentials import ApiKey
from backlog_connector.backlog.stats import Event, RequestDone

SEARCH_LIMIT = 150  # paid plan, per window


def start_emulator(
    issues: int, minute_seconds: float
) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    exe = Path(sys.executable).with_name("backlog-connector")
    proc = subprocess.Popen(
        [
            str(exe),
            "emulator",
            "--port",
            "0",
            "--seed",
            "1",
            "--projects",
            "5",
            "--issues",
            str(issues),
            "--plan",
            "paid",
            "--minute-seconds",
            str(minute_seconds),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    if not first:
        proc.kill()
        raise SystemExit("the emulator did not start")
    return proc, json.loads(first)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=20_000)
    parser.add_argument("--minute-seconds", type=float, default=6.0)
    parser.add_argument("--readers", type=int, default=3)
    args = parser.parse_args()

    proc, line = start_emulator(args.issues, args.minute_seconds)
    try:
        info = httpx.get(line["base_url"] + "/_emulator/info").json()
        keys = info["users"]["admin"][:2]
        address = SpaceAddress.parse_base_url(line["base_url"])
        stamps: list[tuple[float, int]] = []
        durations: list[float] = []
        lock = threading.Lock()

        def listen(event: Event) -> None:
            if isinstance(event, RequestDone) and event.category == "search":
                with lock:
                    stamps.append((time.time() - event.seconds, event.reset or 0))
                    durations.append(event.seconds)

        accounts = [
            BacklogClient(address, ApiKey(key), account_name=f"account-{i}", listener=listen)
            for i, key in enumerate(keys)
        ]
        readers = [accounts[i % len(accounts)] for i in range(args.readers)]
        for client in accounts:
            client.myself()  # resolve the user outside the measurement

        def read_all(client: BacklogClient) -> int:
            return sum(len(page) for page in client.iter_offset("/issues", page_size=100))

        started = time.monotonic()
        started_wall = time.time()
        with ThreadPoolExecutor(args.readers) as pool:
            counts = list(pool.map(read_all, readers))
        wall = time.monotonic() - started
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        for client in accounts:
            client.close()

    stamps.sort()
    window_starts = [0] + [i for i in range(1, len(stamps)) if stamps[i][1] != stamps[i - 1][1]]
    last_start = window_starts[-1]
    full_windows = len(window_starts) - 1
    ends = [*window_starts[1:], len(stamps)]
    per_window = [end - begin for begin, end in zip(window_starts, ends, strict=True)]
    cycles = [round(stamps[b][0] - stamps[a][0], 2) for a, b in itertools.pairwise(window_starts)]
    limit_rate = SEARCH_LIMIT / args.minute_seconds
    span = stamps[last_start][0] - started_wall
    rate = last_start / span if full_windows else float("nan")
    budget = shared().budget(address.fqdn, accounts[0].user_key, "search")
    result = {
        "issues": args.issues,
        "readers": args.readers,
        "accounts": len(accounts),
        "same_user": accounts[0].user_key == accounts[1].user_key,
        "complete_reads": all(c == args.issues for c in counts),
        "search_requests": len(stamps),
        "responses_429": sum(c.stats.rate_limited for c in accounts),
        "retries": sum(c.stats.retries for c in accounts),
        "windows_measured": full_windows,
        "requests_per_window": per_window,
        "window_cycle_seconds": cycles,
        "limit_requests_per_s": round(limit_rate, 2),
        "search_requests_per_s": round(rate, 2),
        "throughput_vs_limit": round(rate / limit_rate, 3),
        "target_throughput_vs_limit": 0.9,
        # a window that ends with fewer requests than its budget was bounded by how fast this
        # machine served and parsed pages, not by the pacing
        "median_request_ms": round(statistics.median(durations) * 1000, 1),
        "windows_with_budget_spent": sum(n >= SEARCH_LIMIT - 1 for n in per_window[:-1]),
        "learnt_window_seconds": round(budget.window_bound, 3),
        "budget_wait_seconds": round(sum(c.stats.wait_seconds for c in accounts), 2),
        "wall_seconds": round(wall, 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
