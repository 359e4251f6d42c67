"""The dataset page's data actions: download the table as CSV, and a full refresh (a run that
ignores the saved cursor and reads everything again, like ``datasets run --full``)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request, Response

from backlog_connector.backlog.errors import BacklogConnectorError, NotFoundError
from backlog_connector.web.downloads import export_response
from backlog_connector.web.rendering import (
    control_plane,
    flash,
    redirect,
    scheduler_of,
    signed_in_router,
)

router = signed_in_router()


@router.get("/datasets/{name}/download.csv")
def download_csv(request: Request, name: str) -> Response:
    """The main table as a CSV file (with a header), from the dataset's destination."""
    plane = control_plane(request)
    plane.get_dataset(name)  # an unknown name: the 404 page
    try:
        return export_response(plane, name, "csv")
    except NotFoundError as exc:  # no table yet
        flash(request, "error", str(exc))
    except BacklogConnectorError as exc:
        flash(request, "error", f"The download failed: {exc}")
    return redirect(f"/datasets/{quote(name, safe='')}")


@router.post("/datasets/{name}/run-full")
def full_refresh(request: Request, name: str) -> Response:
    """Start a full run now (the cursor is ignored: every row is read again and the table
    rebuilt) and follow it on the dataset page."""
    return start_run(request, name, full=True)


def start_run(request: Request, name: str, *, full: bool = False) -> Response:
    """Start a run of ``name`` now through the scheduler (so a dataset never runs twice at
    once) and go back to the dataset page, which follows the run's progress."""
    plane = control_plane(request)
    plane.get_dataset(name)
    target = f"/datasets/{quote(name, safe='')}"
    scheduler = scheduler_of(request)
    if scheduler is None:
        flash(request, "error", "Runs start from the service (backlog-connector serve).")
        return redirect(target)
    try:
        job = scheduler.run_now(name, full=full)
    except BacklogConnectorError as exc:
        flash(request, "error", str(exc))
        return redirect(target)
    if full:
        flash(request, "info", "Full refresh started: every row is read again.")
    return redirect(f"{target}?run={job.run_id}")
