"""Emulator benchmark: prints one JSON object.

- ``startup_seconds_10k``: `backlog-connector emulator --issues 10000`, from spawn to its first line
- ``page_ms_cold`` / ``page_ms_warm``: latency of ``GET /issues?count=100`` paging through all
  10,000 issues over one keep-alive connection with the standard library's http.client (cold:
  the JSON is built; warm: cached bytes are joined), median/p95
- ``page_ms_filtered``: the same with ``projectId[]`` and ``statusId[]`` filters (warm)
- ``page_ms_httpx_warm``: the warm walk again through httpx, to show the client's share
- ``server_ms_cold`` / ``server_ms_warm``: the emulator's own time per page (its request handler
  called in-process, no socket), to separate its cost from the machine's and the client's
- ``generation_seconds_200k`` and ``rss_mb_200k``: building a 200,000-issue space in a fresh
  process, and its resident memory after serving one page

Usage: ``.venv/bin/python bench/bench_emulator.py [--issues 10000] [--large 200000]``
"""

from __future__ import annotations

import argparse
import http.client
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


def page_through(connection: http.client.HTTPConnection, key: str, query: str) -> list[float]:
    """Walk every page of ``/issues?{query}``; the time of each request in ms."""
    times: list[float] = []
    offset = 0
    while True:
        started = time.perf_counter()
        connection.request(
            "GET",
            f"/api/v2/issues?count=100&offset={offset}{query}",
            headers={"Backlog-API-Key": key},
        )
        response = connection.getresponse()
        body = response.read()
        times.append((time.perf_counter() - started) * 1000)
        assert response.status == 200, body[:200]
        count = len(json.loads(body))
        offset += count
        if count < 100:
            return times


def page_through_httpx(client: httpx.Client) -> list[float]:
    times: list[float] = []
    offset = 0
    while True:
        started = time.perf_counter()
        response = client.get("/issues", params={"count": 100, "offset": offset})
        body = response.content
        times.append((time.perf_counter() - started) * 1000)
        count = len(json.loads(body))
        offset += count
        if count < 100:
            return times


def server_side(issues: int) -> tuple[list[float], list[float]]:
    """Per-page time inside the emulator's handler: cold (first render), then warm."""
    from backlog_connector.emulator import Emulator, EmulatorConfig

    emu = Emulator(EmulatorConfig(seed=1, projects=5, issues=issues))
    headers = {"Backlog-API-Key": emu.api_keys["admin"]}
    rounds: list[list[float]] = []
    for _ in range(2):
        times: list[float] = []
        for offset in range(0, issues, 100):
            started = time.perf_counter()
            reply, _fault = emu.app.handle(
                "GET", f"/api/v2/issues?count=100&offset={offset}", headers, b""
            )
            times.append((time.perf_counter() - started) * 1000)
            assert reply.status == 200
        rounds.append(times)
    return rounds[0], rounds[1]


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
        key = line["api_keys"]["admin"]
        host, port = line["base_url"].removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        cold = page_through(connection, key, "")
        warm = page_through(connection, key, "")
        filtered = page_through(connection, key, "&projectId[]=1&statusId[]=1&statusId[]=4")
        connection.close()
        with httpx.Client(
            base_url=line["base_url"] + "/api/v2",
            timeout=30,
            headers={"Backlog-API-Key": key},
        ) as client:
            via_httpx = page_through_httpx(client)
    finally:
        process.terminate()
        process.wait(timeout=10)

    server_cold, server_warm = server_side(args.issues)
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
                "page_ms_httpx_warm": percentiles(via_httpx),
                "server_ms_cold": percentiles(server_cold),
                "server_ms_warm": percentiles(server_warm),
                "large_issues": args.large,
                "generation_seconds_200k": big["generation_seconds"],
                "rss_mb_200k": big["rss_mb"],
            }
        )
    )


if __name__ == "__main__":
    main()
