"""Benchmark of the CLI's start-up: wall time of ``python -c pass``, ``backlog-connector
--help``, ``datasets list --json``, ``accounts list --json`` and ``reports --json``, for this
checkout ("after") and for a git worktree of the base commit ("before"), run alternately in one
process so both see the same machine load; each figure is the median of ``--rounds`` runs.

The data homes are real: an account on the emulator, three datasets, two of them run (so the
listings have rows and a history); ``datasets_run_small`` runs the small ``users`` dataset
again against the emulator (a run whose time is mostly the start). Each version has its own
home, populated by its own code (a newer version's schema revisions are unknown to an older
one). Bytecode is written (PYTHONDONTWRITEBYTECODE is dropped), as for
an installed package, so neither version compiles its sources at every start. The target
(issue 16): ``datasets list --json`` at most 8x a bare ``python -c pass``.

usage: python bench/bench_startup.py [--rounds 9] [--base 2a947c4] [--output FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from base_worktree import BASE_COMMIT, ROOT, base_worktree

TARGET_RATIO = 8.0
#: the CLI as its console script runs it, importable from a given ``src`` by PYTHONPATH
CLI = "import sys; from backlog_connector.cli import main; sys.argv[0] = 'backlog-connector';main()"
COMMANDS: dict[str, list[str]] = {
    "help": ["--help"],
    "datasets_list": ["datasets", "list", "--json"],
    "accounts_list": ["accounts", "list", "--json"],
    "reports": ["reports", "--json"],
    # a small run (the space's users: one request) of a dataset that ran before
    "datasets_run_small": ["datasets", "run", "users", "--json"],
}


BARE = [sys.executable, "-c", "pass"]


def cli(args: list[str]) -> list[str]:
    """The command line running the CLI of the ``src`` on the environment's PYTHONPATH."""
    return [sys.executable, "-c", CLI, *args]


def run(command: list[str], env: dict[str, str], *, check: bool = True) -> float:
    """Seconds the command took; it must succeed."""
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    took = time.perf_counter() - started
    if check and done.returncode != 0:
        raise SystemExit(f"{command[3:]} failed: {done.stderr.strip()[-500:]}")
    return took


def env_for(src: Path, home: Path) -> dict[str, str]:
    """The environment of one version: its ``src`` first on the path, the bench's home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKLOG_CONNECTOR_")}
    # as installed (pip writes the .pyc files): the warm-up writes them for both versions
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["BACKLOG_CONNECTOR_HOME"] = str(home)
    env["PYTHONPATH"] = str(src)
    return env


def populate(env: dict[str, str]) -> subprocess.Popen[str]:
    """An account on the emulator (returned: stop it after), three datasets, two of them run."""
    emulator = subprocess.Popen(
        [*cli(["emulator"]), "--plan", "unlimited", "--issues", "200", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert emulator.stdout is not None
        hello = json.loads(emulator.stdout.readline())
        key_env = {**env, "BACKLOG_API_KEY": hello["api_keys"]["admin"]}
        base = ["accounts", "add", "bench", "--base-url", hello["base_url"]]
        steps = [
            base,
            ["datasets", "create", "issues", "--account", "bench", "--report", "issues"],
            ["datasets", "create", "users", "--account", "bench", "--report", "users"],
            ["datasets", "create", "projects", "--account", "bench", "--report", "projects"],
            ["datasets", "run", "issues"],
            ["datasets", "run", "users"],
        ]
        for step in steps:
            run(cli(step), key_env)
    except BaseException:
        emulator.terminate()
        emulator.wait(timeout=30)
        raise
    return emulator


def measure(rounds: int, base: str) -> dict[str, Any]:
    """Alternate bare python, before and after for every command; medians and ratios."""
    home = tempfile.TemporaryDirectory(prefix="bench-startup-")
    with home as tmp, base_worktree(base) as before_src:
        emulators: list[subprocess.Popen[str]] = []
        try:
            after = env_for(ROOT / "src", Path(tmp) / "home-after")
            before = env_for(before_src, Path(tmp) / "home-before")
            for env in (before, after):
                emulators.append(populate(env))
                for args in COMMANDS.values():  # compiled .pyc files and a warm page cache
                    run(cli(args), env)
            times: dict[str, list[float]] = {"python_c_pass": []}
            for round_ in range(rounds):
                order = [("before", before), ("after", after)]
                for name, args in COMMANDS.items():
                    # who goes first alternates: neither profits from what the other left
                    for label, env in order if round_ % 2 else order[::-1]:
                        times["python_c_pass"].append(run(BARE, env))
                        key = f"{name}.{label}"
                        times.setdefault(key, []).append(run(cli(args), env))
        finally:
            for emulator in emulators:
                emulator.terminate()
                emulator.wait(timeout=30)
    bare = statistics.median(times["python_c_pass"])
    result: dict[str, Any] = {
        "rounds": rounds,
        "base_commit": base,
        "python_c_pass_s": round(bare, 4),
        "target": f"datasets_list at most {TARGET_RATIO:g}x python -c pass",
        "commands": {},
    }
    for name in COMMANDS:
        b = statistics.median(times[f"{name}.before"])
        a = statistics.median(times[f"{name}.after"])
        result["commands"][name] = {
            "before_s": round(b, 4),
            "after_s": round(a, 4),
            "before_x_python": round(b / bare, 1),
            "after_x_python": round(a / bare, 1),
            "speedup": round(b / a, 2),
        }
    listed = result["commands"]["datasets_list"]["after_x_python"]
    result["datasets_list_meets_target"] = listed <= TARGET_RATIO
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--base", default=BASE_COMMIT)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    result = measure(args.rounds, args.base)
    text = json.dumps(result, indent=2)
    print(text)
    if args.output:
        args.output.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
