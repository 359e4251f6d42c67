"""CLI commands carried out by the running ``serve`` of the data home (see ``web.handoff``).

``datasets run`` beside ``serve`` queues its runs there and follows them over the REST API,
showing the same progress lines; a dataset that ``serve`` is already running gets a run
recorded as ``skipped`` (never a false ``failed``). ``datasets delete`` asks ``serve`` too, so a
dataset is never deleted under one of its runs.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import httpx
from rich.console import Console

from backlog_connector.backlog.errors import (
    BacklogConnectorError,
    ConfigurationError,
    NotFoundError,
    RetryLaterError,
)
from backlog_connector.commands.progress import RunProgress
from backlog_connector.datasets.info import RunInfo
from backlog_connector.web.handoff import LocalService

_POLL_SECONDS = 0.5
_FINISHED = ("succeeded", "failed", "cancelled", "skipped")


class ServiceCallError(ConfigurationError):
    """The running ``serve`` refused a request (its answer says why)."""


def _client(service: LocalService) -> httpx.Client:
    return httpx.Client(
        base_url=f"{service.url}/api",
        headers={"Authorization": f"Bearer {service.token}"},
        timeout=30.0,
    )


def _raise_for(reply: httpx.Response, doing: str) -> None:
    if reply.is_success:
        return
    try:
        detail = str(reply.json().get("detail"))
    except ValueError:
        detail = reply.text[:200]
    error: BacklogConnectorError
    if reply.status_code == 404:
        error = NotFoundError(detail)
    elif reply.status_code >= 500:
        error = RetryLaterError(
            f"{doing}: the running serve failed ({reply.status_code}): {detail}"
        )
    else:
        error = ServiceCallError(detail)
    raise error


def run_through_service(
    service: LocalService, plane: Any, names: Sequence[str], console: Console, *, full: bool
) -> list[RunInfo]:
    """Queue the runs in ``serve`` and follow them to their end; Ctrl-C cancels them there."""
    unique = list(dict.fromkeys(names))
    for name in unique:
        plane.get_dataset(name)  # an unknown name fails before anything is queued
    console.print(f"[dim]serve (PID {service.pid}) runs these datasets; following its progress")
    display = RunProgress(unique, console)
    run_ids: dict[str, int] = {}
    skipped: list[RunInfo] = []
    with _client(service) as client, display.shown():
        for name in unique:
            reply = client.post(f"/datasets/{name}/runs", json={"full": full})
            if reply.status_code == 409:  # serve is running it: this run does not happen
                note = "the dataset was already running in serve; this run was not started"
                skipped.append(
                    plane.record_run(name, trigger="manual", status="skipped", error=note)
                )
                display.finish(name, "skipped")
                continue
            _raise_for(reply, f"running {name}")
            run_ids[name] = int(reply.json()["id"])
        try:
            try:
                _follow(client, run_ids, display)
            except KeyboardInterrupt:
                console.print("[yellow]Cancelling: asking serve to stop the runs...")
                for run_id in run_ids.values():
                    client.post(f"/runs/{run_id}/cancel")
                _follow(client, run_ids, display)
        except httpx.HTTPError:  # serve stopped (or went away) while the runs were under way
            console.print(
                "[yellow]serve stopped before the runs ended; their records say how far they "
                "got (datasets history)"
            )
    done = {plane.get_run(run_id).dataset: plane.get_run(run_id) for run_id in run_ids.values()}
    by_name = {run.dataset: run for run in skipped} | done
    return [by_name[name] for name in unique]


def _follow(client: httpx.Client, run_ids: dict[str, int], display: RunProgress) -> None:
    waiting = dict(run_ids)
    while waiting:
        for name, run_id in list(waiting.items()):
            reply = client.get(f"/runs/{run_id}")
            _raise_for(reply, f"following run {run_id}")
            run = reply.json()
            progress = run.get("progress") or {}
            display.show(
                name,
                pages=int(progress.get("pages") or 0),
                rows=int(progress.get("rows") or 0),
                note=str(progress.get("message") or ""),
                progress=progress if "done" in progress else None,  # done/total, ETA, waits
            )
            if run["status"] in _FINISHED:
                display.finish(name, run["status"])
                del waiting[name]
        if waiting:
            time.sleep(_POLL_SECONDS)


def delete_through_service(service: LocalService, name: str, *, keep_table: bool) -> None:
    """Ask ``serve`` to delete the dataset (refused while it runs)."""
    with _client(service) as client:
        reply = client.delete(f"/datasets/{name}", params={"drop_table": not keep_table})
        _raise_for(reply, f"deleting {name}")
