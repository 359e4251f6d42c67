"""Emulator benchmark: prints one JSON object.

- ``startup_seconds_10k``: `backlog-connector emulator --issues 10000`, from spawn to its first line
- ``page_ms_cold`` / ``page_ms_warm``: latency of ``GET /issues?count=100`` paging through all
  10,000 issues over one keep-alive connection (cold: JSON built; warm: cached bytes), median/p95
- ``page_ms_filtered``: the same with ``projectId[]`` and ``statusId[]`` filters (warm)
- ``generation_seconds_200k`` and ``rss_mb_200k``: building a 200,000-issue space in a fresh
  process, and its resident memory after serving one page

Usage: ``.venv/bin/python bench/bench_emulator.py [--issues 10000] [--large 200000]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

import httpx

LARGE = """
import json, sys, time
import httpx
from backlog_connector.emulator import Emulator, EmulatorConfig
started = time.perf_counter()
emu = Emulator(EmulatorConfig(seed=1, projects=10, issues=int(sys.argv[1])))
generated = time.perf_counter() - started
with emu:
    page = httpx.get(emu.base_url + "/api/v2/issues", params={"count": 100},
                     headers={"Backlog-API-Key": emu.api_keys["admin"]})
    assert page.status_code == 200
    status = open("/proc/self/status").read()
    rss_kb = int(status.split("VmRSS:")[1].split()[0])
print(json.dumps({"generation_seconds": round(generated, 2), "rss_mb": round(rss_kb / 1024, 1)}))
"""


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median": round(statistics.median(ordered), 2),
        "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
        "n": len(ordered),
    }


def page_through(client: httpx.Client, params: dict[str, object]) -> list[float]:
    times: list[float] = []
    offset = 0
    while True:
        started = time.perf_counter()
        response = client.get("/issues", params=params | {"count": 100, "offset": offset})
        body = response.content
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, body[:200]
        count = len(response.json())
        offset += count
        if count < 100:
            return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=200_000)
    args = parser.parse_args()

    started = time.perf_counter()
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from backlog_connector.cli import main; main()",
            "emulator",
            "--port",
            "0",
            "--issues",
            str(args.issues),
            "--plan",
            "unlimited",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = json.loads(process.stdout.readline())
        startup = time.perf_counter() - started
        with httpx.Client(
            base_url=line["base_url"] + "/api/v2",
            timeout=30,
            headers={"Backlog-API-Key": line["api_keys"]["admin"]},
        ) as client:
            cold = page_through(client, {})
            warm = page_through(client, {})
            filtered = page_through(client, {"projectId[]": 1, "statusId[]": [1, 2, 4]})
    finally:
        process.terminate()
        process.wait(timeout=10)

    large = subprocess.run(
        [sys.executable, "-c", LARGE, str(args.large)], capture_output=True, text=True, check=True
    )
    big = json.loads(large.stdout)
    print(
        json.dumps(
            {
                "issues": args.issues,
                "startup_seconds_10k": round(startup, 2),
                "page_ms_cold": percentiles(cold),
                "page_ms_warm": percentiles(warm),
                "page_ms_filtered": percentiles(filtered),
                "large_issues": args.large,
                "generation_seconds_200k": big["generation_seconds"],
                "rss_mb_200k": big["rss_mb"],
            }
        )
    )


if __name__ == "__main__":
    main()
