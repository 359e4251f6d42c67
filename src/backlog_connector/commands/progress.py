"""Live progress of runs on stderr: pages, rows, and waits for the rate budget shown as such."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from types import FrameType
from typing import Any

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from backlog_connector.datasets.info import RunInfo
from backlog_connector.datasets.runner import ProgressEvent


class RunProgress:
    """One line per dataset; call it as the ``progress`` callback of ``run_datasets``."""

    def __init__(self, names: Sequence[str], console: Console) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            TextColumn("{task.fields[pages]:>5} pages"),
            TextColumn("{task.fields[rows]:>9,} rows"),
            TextColumn("{task.fields[note]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._lock = threading.Lock()
        self._tasks: dict[str, TaskID] = {
            name: self._progress.add_task(name, total=None, pages=0, rows=0, note="")
            for name in names
        }
        self._pages = dict.fromkeys(names, 0)
        self._rows = dict.fromkeys(names, 0)
        self._wait_until: dict[str, float] = {}

    def __call__(self, name: str, event: ProgressEvent) -> None:
        with self._lock:
            task = self._tasks.get(name)
            if task is None:
                return
            note = ""
            if event.kind == "page":
                self._pages[name] += 1
                self._rows[name] = max(self._rows[name], event.rows)
            elif event.kind == "rows":
                self._rows[name] = max(self._rows[name], event.rows)
            elif event.kind == "wait":
                self._wait_until[name] = time.monotonic() + event.wait_seconds
                note = (
                    f"[yellow]waiting {event.wait_seconds:.1f} s for the rate budget"
                    if event.wait_seconds > 0
                    else f"[yellow]{event.message}"  # readers of the destination, e.g.
                )
            elif event.message:
                note = event.message
            if event.kind != "wait" and self._wait_until.get(name, 0) > time.monotonic():
                note = "[yellow]waiting for the rate budget"
            self._progress.update(task, pages=self._pages[name], rows=self._rows[name], note=note)

    def show(self, name: str, *, pages: int, rows: int, note: str) -> None:
        """Set a dataset's line from figures another process reports (``serve``'s run)."""
        with self._lock:
            task = self._tasks.get(name)
            if task is not None:
                self._progress.update(task, pages=pages, rows=rows, note=note)

    def finish(self, name: str, status: str) -> None:
        """Show the final status of a dataset's run."""
        colour = {"succeeded": "green", "failed": "red"}.get(status, "yellow")
        with self._lock:
            task = self._tasks.get(name)
            if task is not None:
                self._progress.update(task, note=f"[{colour}]{status}", total=1, completed=1)

    @contextmanager
    def shown(self) -> Iterator[RunProgress]:
        """Display the lines while the block runs."""
        with self._progress:
            yield self


@contextmanager
def cancel_on_signals(cancel: threading.Event, console: Console) -> Iterator[None]:
    """While the block runs, SIGTERM and SIGINT (Ctrl-C) set ``cancel``: the runs stop between
    pages, are recorded cancelled and drop their staging tables. A second signal stops the
    process at once (its runs are then settled by the next command that reads the history)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, Any] = {}

    def handle(signum: int, frame: FrameType | None) -> None:
        if cancel.is_set():
            for number, handler in previous.items():
                signal.signal(number, handler)
            os.kill(os.getpid(), signum)
            return
        cancel.set()
        console.print(f"[yellow]{signal.Signals(signum).name}: cancelling, waiting for the runs"
                      " to stop...")  # fmt: skip

    for caught in (signal.SIGTERM, signal.SIGINT):
        previous[int(caught)] = signal.signal(caught, handle)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def run_with_progress(
    plane: Any, names: Sequence[str], console: Console, *, full: bool = False
) -> list[RunInfo]:
    """Run the datasets together (as ``run_datasets`` does), showing a line per dataset that
    stops with its status as soon as that run ends. SIGTERM or Ctrl-C cancels the runs
    cleanly: each is recorded as cancelled and its table is left as it was."""
    unique = list(dict.fromkeys(names))
    for name in unique:
        plane.get_dataset(name)  # an unknown name fails before anything runs
    display = RunProgress(unique, console)
    cancel = threading.Event()

    def one(run: RunInfo) -> RunInfo:
        done: RunInfo = plane.execute_runs([run.id], full=full, progress=display, cancel=cancel)[0]
        display.finish(done.dataset, done.status)
        return done

    with cancel_on_signals(cancel, console):
        queued = [plane.queue_run(name) for name in unique]
        with display.shown(), ThreadPoolExecutor(len(queued), thread_name_prefix="run") as pool:
            futures = [pool.submit(one, run) for run in queued]
            while wait(futures, timeout=0.25).not_done:
                pass  # short waits: the main thread handles a signal at once
            return [f.result() for f in futures]
