"""``datasets run`` with the control plane in PostgreSQL: the runs are queued for the
``worker`` processes (as the API and the web UI queue them) and followed from the database."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from rich.console import Console

from backlog_connector.datasets.info import RunInfo
from backlog_connector.datasets.live_progress import as_progress, describe

POLL_SECONDS = 0.5
_FINISHED = ("succeeded", "failed", "cancelled", "skipped")


def run_on_workers(
    plane: Any, names: Sequence[str], console: Console, *, full: bool = False
) -> list[RunInfo]:
    """Queue a run of each dataset, print their progress and return them once all ended.
    Ctrl-C cancels them (a waiting run at once, a running one at its worker's next page)."""
    from backlog_connector.workers.queue import RUNS_QUEUE, RunQueue

    unique = list(dict.fromkeys(names))
    for name in unique:
        plane.get_dataset(name)  # an unknown name fails before anything is queued
    queue = RunQueue(plane)
    try:
        runs = [queue.enqueue(name, full=full) for name in unique]
        for run in runs:
            _, where = queue.queue_of(run.dataset)
            who = ("the worker started with --warehouse on the host of its DuckDB file"
                   if where != RUNS_QUEUE else "a worker ('backlog-connector worker')")  # fmt: skip
            console.print(f"queued run {run.id} of {run.dataset} on {where}; {who} takes it")
        try:
            return _follow(plane, runs, console)
        except KeyboardInterrupt:
            console.print("[yellow]Cancelling: waiting for the runs to stop...")
            for run in runs:
                queue.cancel(run.id)
            return _follow(plane, runs, console)
    finally:
        queue.close()


def _follow(plane: Any, runs: list[RunInfo], console: Console) -> list[RunInfo]:
    shown: dict[int, str] = {}
    while True:
        current = [plane.get_run(r.id) for r in runs]
        for run in current:
            figures = as_progress(run.progress)  # done/total, %, rows/s, ETA, budget waits
            line = f"{run.dataset}: {run.status}"
            if run.status == "running" and figures is not None:
                line += f", {describe(figures)}"
            if shown.get(run.id) != line:
                shown[run.id] = line
                console.print(line)
        if all(r.status in _FINISHED for r in current):
            return current
        time.sleep(POLL_SECONDS)
