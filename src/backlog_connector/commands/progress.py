"""Live progress of runs on stderr: done/total, %, rows, rows/s, ETA, and waits for the rate
budget shown as such."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from types import FrameType
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from backlog_connector.datasets.info import RunInfo
from backlog_connector.datasets.live_progress import (
    LiveProgress,
    as_progress,
    duration_text,
    percent,
    waiting_text,
)
from backlog_connector.datasets.runner import ProgressEvent


class RunProgress:
    """One line per dataset; call it as the ``progress`` callback of ``run_datasets``.

    A line shows a bar, done/total with the percentage when the report knows its total (e.g.
    issues from ``issues/count``), the rows, rows per second, the ETA and what the run waits
    for ("waiting 55 s for the search rate budget")."""

    def __init__(self, names: Sequence[str], console: Console) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(bar_width=24),
            TextColumn("{task.fields[count]}"),
            TextColumn("{task.fields[rows]:>9,} rows"),
            TextColumn("{task.fields[rate]}"),
            TextColumn("{task.fields[eta]}"),
            TextColumn("{task.fields[note]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._lock = threading.Lock()
        self._tasks: dict[str, TaskID] = {
            name: self._progress.add_task(
                name, total=None, count="", rows=0, rate="", eta="", note=""
            )
            for name in names
        }
        self._live = {name: LiveProgress() for name in names}
        self._pages = dict.fromkeys(names, 0)

    def __call__(self, name: str, event: ProgressEvent) -> None:
        with self._lock:
            live = self._live.get(name)
            if live is None:
                return
            live.feed(event)
            if event.kind == "page":
                self._pages[name] += 1
            note = ""
            if event.kind == "wait" and event.wait_seconds <= 0:
                note = f"[yellow]{event.message}"  # readers of the destination, e.g.
            elif event.kind == "note" and event.message:
                note = event.message
            self._update(name, live.snapshot(), note)

    def _update(self, name: str, figures: Mapping[str, Any], note: str = "") -> None:
        """Set the line from a progress document (``datasets.live_progress``)."""
        done, total, unit = int(figures["done"]), figures["total"], str(figures["unit"])
        if total is not None:
            count = f"{done:,}/{int(total):,} {unit} {percent(done, int(total)):>3}%"
        elif unit != "rows":
            count = f"{done:,} {unit}"
        else:
            count = f"{self._pages.get(name, 0):>5} pages"
        rate = f"{float(figures['rows_per_second']):,.1f} rows/s"
        eta = figures["eta_seconds"]
        waiting = figures["waiting"]
        if waiting is not None:
            note = f"[yellow]{waiting_text(waiting)}"
        self._progress.update(
            self._tasks[name],
            total=int(total) if total is not None else None,
            completed=done if total is not None else 0,
            count=count,
            rows=int(figures["rows"]),
            rate=rate,
            eta=f"ETA {duration_text(float(eta))}" if eta is not None else "",
            note=note,
        )

    def show(
        self,
        name: str,
        *,
        pages: int = 0,
        rows: int = 0,
        note: str = "",
        progress: Mapping[str, Any] | None = None,
    ) -> None:
        """Set a dataset's line from figures another process reports (``serve``'s run):
        its progress document, or just pages, rows and the latest message."""
        with self._lock:
            if name not in self._tasks:
                return
            self._pages[name] = pages
            figures = as_progress(progress) or as_progress({"rows": rows})
            assert figures is not None
            self._update(name, figures, note)

    def finish(self, name: str, status: str) -> None:
        """Show the final status of a dataset's run."""
        colour = {"succeeded": "green", "failed": "red"}.get(status, "yellow")
        with self._lock:
            task = self._tasks.get(name)
            if task is not None:
                live = self._live[name].snapshot(final=True)
                total = live["total"] if status == "succeeded" and live["total"] else 1
                self._progress.update(
                    task, note=f"[{colour}]{status}", total=total, completed=total, eta=""
                )

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
