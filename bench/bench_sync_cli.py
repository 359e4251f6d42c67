"""Benchmark of a full ``issues`` sync through the CLI, the release issue 16 measured and this
checkout side by side in one run, then a merge run with nothing changed.

For each size (default 100,000 and 200,000 issues) one warm emulator (pages served from
pre-rendered bytes) serves both paths; each path gets its own data home, account and dataset,
and ``backlog-connector datasets run NAME --json`` runs as a child process, so its wall time,
CPU time and peak RSS are its own (``os.wait4``). The paths alternate (before, after, before,
after, ... ``--rounds`` times) so that a busy machine weighs on both alike; the best round of
each path is reported. ``before`` is a git worktree of ``--base`` (default 2a947c4, the
release whose 5,700 issues/s issue 16 set out to multiply by 2.5), put first on PYTHONPATH;
``after`` is this checkout. Both have their bytecode compiled before they are timed, as an
installed package has. The CLI runs under a small wrapper (``cli_gc_stats.py``) that records
the process's garbage collections at exit.

After the full runs, each path's dataset runs again with nothing changed in the space (a merge
through the cursor): the rows it read and wrote.

usage: python bench/bench_sync_cli.py [--issues 100000 200000] [--rounds 2] [--base 2a947c4]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from base_worktree import BASE_COMMIT, ROOT, base_worktree
from bench_sync import start_emulator

TARGET_SPEEDUP = 2.5
TARGET_CPU_SECONDS_PER_1000 = 0.07
TARGET_PEAK_RSS_MB = 400
WRAPPER = Path(__file__).with_name("cli_gc_stats.py")
#: the ``src`` each path imports (``before`` is set once the base worktree exists)
PATHS: dict[str, Path] = {"before": ROOT / "src", "after": ROOT / "src"}


def _env(home: Path, path: str, key: str = "") -> dict[str, str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("BACKLOG_CONNECTOR_")},
        "BACKLOG_CONNECTOR_HOME": str(home),
        "BENCH_GC_STATS": str(home / "gc.json"),
        "PYTHONPATH": str(PATHS[path]),
    }
    if key:
        env["BACKLOG_API_KEY"] = key
    return env


def cli(home: Path, path: str, *args: str, key: str = "") -> Any:
    """One set-up command of the CLI; its JSON output."""
    done = subprocess.run(
        [sys.executable, str(WRAPPER), *args],
        env=_env(home, path, key),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"`backlog-connector {' '.join(args)}` failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout)


def run_child(home: Path, path: str, *args: str) -> tuple[Any, dict[str, Any]]:
    """One run of the CLI as a child process: its JSON output, wall and CPU seconds, peak
    RSS and GC figures."""
    stats = home / "gc.json"
    stats.unlink(missing_ok=True)
    env = _env(home, path)
    out = home / "out.json"
    started = time.perf_counter()
    with out.open("w") as sink:
        proc = subprocess.Popen([sys.executable, str(WRAPPER), *args], stdout=sink, env=env)
        _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"`backlog-connector {' '.join(args)}` failed: {out.read_text()[-2000:]}")
    figures: dict[str, Any] = {
        "wall_seconds": wall,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024,
    }
    if stats.exists():
        figures["gc"] = json.loads(stats.read_text())
    return json.loads(out.read_text()), figures


def prepare(home: Path, path: str, info: dict[str, Any]) -> None:
    """An account on the emulator and an ``issues`` dataset (merge) in ``home``."""
    cli(home, path, "accounts", "add", "emu", "--base-url", info["base_url"], "--json",
        key=info["api_keys"]["admin"])  # fmt: skip
    cli(home, path, "datasets", "create", "iss", "--account", "emu", "--report", "issues",
        "--update-mode", "merge", "--json")  # fmt: skip


def full_run(home: Path, path: str, issues: int) -> dict[str, Any]:
    """One full run of the dataset (``--full``): issues/s, CPU per 1,000, RSS, GC."""
    runs, figures = run_child(home, path, "datasets", "run", "iss", "--full", "--json")
    run = runs[0]
    if run["status"] != "succeeded" or run["table_rows"] != issues:
        raise SystemExit(f"the {path} run did not load {issues} issues: {run}")
    gc_stats = figures.get("gc", {})
    return {
        "issues_per_second": round(issues / figures["wall_seconds"]),
        "run_issues_per_second": round(issues / run["duration_seconds"]),
        "process_seconds": round(figures["wall_seconds"], 2),
        "run_seconds": round(run["duration_seconds"], 2),
        "cpu_seconds_per_1000_issues": round(figures["cpu_seconds"] / issues * 1000, 4),
        "peak_rss_mb": round(figures["peak_rss_mb"], 1),
        "gc_collections": gc_stats.get("collections"),
        "gc_full_collections": gc_stats.get("full_collections"),
        "rows_written": run["rows_written"],
    }


def unchanged_run(home: Path, path: str) -> dict[str, Any]:
    """A merge run through the cursor with nothing changed: rows read and written."""
    runs, figures = run_child(home, path, "datasets", "run", "iss", "--json")
    run = runs[0]
    return {
        "rows_read": run["rows_read"],
        "rows_written": run["rows_written"],
        "process_seconds": round(figures["wall_seconds"], 2),
    }


def measure(issues: int, rounds: int) -> dict[str, Any]:
    """Both paths at one size: alternated full runs, then a no-change run each."""
    emulator, info = start_emulator(issues, warm=True)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            homes = {path: Path(tmp) / path for path in PATHS}
            for path, home in homes.items():
                home.mkdir()
                prepare(home, path, info)
            results: dict[str, list[dict[str, Any]]] = {path: [] for path in PATHS}
            for _ in range(rounds):
                for path in PATHS:
                    results[path].append(full_run(homes[path], path, issues))
            unchanged = {path: unchanged_run(homes[path], path) for path in PATHS}
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)
    best = {p: max(r, key=lambda x: x["issues_per_second"]) for p, r in results.items()}
    return {
        "issues": issues,
        "before": best["before"],
        "after": best["after"],
        "speedup": round(
            best["after"]["issues_per_second"] / best["before"]["issues_per_second"], 2
        ),
        "all_rounds": results,
        "unchanged_merge_run": unchanged,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, nargs="+", default=[100_000, 200_000])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--base", default=BASE_COMMIT)
    args = parser.parse_args()
    with base_worktree(args.base) as base_src:
        PATHS["before"] = base_src
        for src in PATHS.values():
            compileall.compile_dir(src, quiet=1)
        sizes = [measure(n, args.rounds) for n in args.issues]
    after_ok = all(
        s["speedup"] >= TARGET_SPEEDUP
        and s["after"]["cpu_seconds_per_1000_issues"] < TARGET_CPU_SECONDS_PER_1000
        and s["after"]["peak_rss_mb"] < TARGET_PEAK_RSS_MB
        and s["unchanged_merge_run"]["after"]["rows_written"] == 0
        for s in sizes
    )
    print(
        json.dumps(
            {
                "benchmark": "full issues sync through the CLI, before/after, warm emulator",
                "base_commit": args.base,
                "cpus": os.cpu_count(),
                "load_average_1m_at_end": round(os.getloadavg()[0], 2),
                "targets": {
                    "speedup": TARGET_SPEEDUP,
                    "cpu_seconds_per_1000_issues": TARGET_CPU_SECONDS_PER_1000,
                    "peak_rss_mb": TARGET_PEAK_RSS_MB,
                    "unchanged_merge_rows_written": 0,
                },
                "sizes": sizes,
                "meets_targets": after_ok,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
