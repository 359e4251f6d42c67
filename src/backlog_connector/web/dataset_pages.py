"""The datasets pages: the list (search, filters, pages of 100), one dataset (description,
schema, preview, run history with its chart, run now with live progress), edit and delete."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from backlog_connector.backlog.errors import BacklogConnectorError, NotFoundError
from backlog_connector.datasets.schedules import Schedule, parse_schedule
from backlog_connector.scheduler.status import guarded_next_due
from backlog_connector.web import dataset_actions, forms
from backlog_connector.web.charts import RunPoint, runs_chart
from backlog_connector.web.dataset_forms import (
    ERROR_FIELDS,
    PROJECT_OPTIONS,
    SKIP_CHECK,
    VALUE_PICKERS,
    check_schedule,
    option_field,
    project_choices,
    report_info,
    schedule_context,
    split_options,
    update_context,
    wake_scheduler,
)
from backlog_connector.web.forms import FieldErrors, FormValues
from backlog_connector.web.rendering import (
    ago,
    control_plane,
    flash,
    full_time,
    redirect,
    render,
    scheduler_of,
    signed_in_router,
    thousands,
)

if TYPE_CHECKING:
    from backlog_connector.datasets.info import DatasetInfo, RunInfo

router = signed_in_router()
#: datasets per page of the list
PAGE_SIZE = 100


RUN_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled", "skipped")


@lru_cache(maxsize=256)
def _schedule(spec: str) -> Schedule | None:
    try:
        return parse_schedule(spec, min_interval_seconds=1)  # saved schedules were checked
    except BacklogConnectorError:
        return None


@lru_cache(maxsize=4096)
def _calendar_next(spec: str, tz: str, minute: datetime) -> datetime | None:
    """The next wall-clock due time after ``minute`` (cached per minute: 500 datasets share
    a handful of schedules)."""
    schedule = _schedule(spec)
    return guarded_next_due(schedule, tz, minute, minute)[0] if schedule is not None else None


def _next_run(request: Request, ds: DatasetInfo, now: datetime) -> datetime | None:
    """When the scheduler will next start ``ds``, by the scheduler's own pure function: an
    interval from the last due time it saved, a calendar schedule's next wall-clock time."""
    schedule = _schedule(ds.schedule)
    if schedule is None or schedule.is_manual or not ds.enabled:
        return None
    if schedule.kind == "interval":
        scheduler = scheduler_of(request)
        last = None
        if scheduler is not None:
            last = scheduler.due_times.last_due(ds.name, schedule.spec, ds.timezone)
        return guarded_next_due(schedule, ds.timezone, last, now)[0]
    return _calendar_next(schedule.spec, ds.timezone, now.replace(second=0, microsecond=0))


def _next_run_text(request: Request, ds: DatasetInfo, now: datetime) -> str:
    if not ds.enabled:
        return "paused"
    if ds.schedule == "manual":
        return "manual"
    when = _next_run(request, ds, now)
    if when is None:
        return "—"
    if when <= now:
        return "due now"
    return ago(when, now)


@router.get("/datasets", response_class=HTMLResponse)
def datasets_page(
    request: Request,
    q: str = "",
    report: str = "",
    account: str = "",
    status: str = "",
    page: int = 1,
    destination: str = "",
) -> Response:
    """Every dataset with its report, account, destination, rows, last and next run; search
    and filters."""
    plane = control_plane(request)
    datasets = plane.list_datasets()
    now = datetime.now(UTC)
    needle = q.strip().casefold()
    rows = []
    for ds in datasets:
        last = ds.last_run
        if needle and not any(
            needle in text.casefold() for text in (ds.name, ds.description, ds.report, ds.account)
        ):
            continue
        if (report and ds.report != report) or (account and ds.account != account):
            continue
        if destination and ds.destination != destination:
            continue
        last_status = last.status if last else ""
        if status and (last_status != status and not (status == "never" and last is None)):
            continue
        rows.append(ds)
    pages_total = max(1, math.ceil(len(rows) / PAGE_SIZE))
    page = min(max(page, 1), pages_total)
    shown = [_list_row(request, ds, now) for ds in rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]]
    given = (("q", q), ("report", report), ("account", account), ("status", status),
             ("destination", destination))  # fmt: skip
    filters = {k: v for k, v in given if v}
    return render(
        request, "datasets/list.html", nav="datasets", rows=shown, matched=len(rows),
        total=len(datasets), q=q, report=report, account=account, status=status,
        page=page, pages_total=pages_total, first=(page - 1) * PAGE_SIZE + 1,
        prev_url=_page_url(filters, page - 1) if page > 1 else "",
        next_url=_page_url(filters, page + 1) if page < pages_total else "",
        report_names=sorted({d.report for d in datasets}),
        account_names=sorted({d.account for d in datasets}),
        destination=destination, destination_names=sorted({d.destination for d in datasets}),
        statuses=(*RUN_STATUSES, "never"),
    )  # fmt: skip


def _page_url(filters: dict[str, str], page: int) -> str:
    return "/datasets?" + urlencode({**filters, "page": str(page)})


def _list_row(request: Request, ds: DatasetInfo, now: datetime) -> dict[str, Any]:
    last = ds.last_run
    last_at = (last.finished_at or last.started_at or last.created_at) if last else None
    return {
        "name": ds.name, "url": "/datasets/" + quote(ds.name, safe=""),
        "report": ds.report, "account": ds.account, "destination": ds.destination,
        "rows": thousands(ds.rows),
        "enabled": ds.enabled, "schedule": ds.schedule,
        "last_status": last.status if last else "",
        "last_ago": ago(last_at, now), "last_full": full_time(last_at),
        "next_run": _next_run_text(request, ds, now),
    }  # fmt: skip


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, str | int | bool):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value)


def _chart(history: Sequence[RunInfo]) -> Any:
    points = [
        RunPoint(
            r.id,
            r.status,
            r.rows_written,
            r.duration_seconds,
            r.started_at or r.created_at,
            rows_child=r.rows_child or 0,
        )
        for r in reversed(history)
        if r.status != "skipped"
    ]
    return runs_chart(points)


@router.get("/datasets/{name}", response_class=HTMLResponse)
def dataset_page(request: Request, name: str, run: int | None = None) -> Response:
    """Description, schema, preview, run history with its chart, and the actions."""
    plane = control_plane(request)
    ds = plane.get_dataset(name)
    history = plane.history(name, limit=50)
    active = _active_run(history, run)
    schema_note = preview_note = ""
    sources: dict[str, str] = {}
    try:
        schema = plane.schema(name)
        sources = plane.column_sources(name) if schema else {}
        table = plane.preview(name, limit=20)
        columns = list(table.column_names)
        preview_rows = [[_cell(v) for v in row.values()] for row in table.to_pylist()]
    except BacklogConnectorError as exc:
        schema, columns, preview_rows = [], [], []
        schema_note = preview_note = str(exc)
    report = report_info(plane, ds.report)
    return render(
        request, "datasets/detail.html", nav="datasets", ds=ds, history=history,
        chart=_chart(history) if history else "", schema=schema, schema_note=schema_note,
        sources=sources,
        preview_columns=columns, preview_rows=preview_rows, preview_note=preview_note,
        report_title=report.title if report else ds.report, active_run=active,
        next_run=_next_run_text(request, ds, datetime.now(UTC)),
    )  # fmt: skip


def _active_run(history: Sequence[RunInfo], wanted: int | None) -> RunInfo | None:
    """The run to follow on the page: the one just started (``?run=ID``, even if it has ended
    already: the page then reloads once without it), else the newest one under way."""
    if wanted is not None:
        started = next((r for r in history if r.id == wanted), None)
        if started is not None:
            return started
    return next((r for r in history if r.status in ("queued", "running")), None)


@router.post("/datasets/{name}/run")
def run_dataset(request: Request, name: str) -> Response:
    """Start a run now and come back to the dataset page, which follows its progress."""
    return dataset_actions.start_run(request, name)


@router.post("/datasets/{name}/runs/{run_id}/cancel")
def cancel_run(request: Request, name: str, run_id: int) -> Response:
    """Ask a queued or running run to stop; it ends as cancelled and the table stays as it was."""
    run = control_plane(request).get_run(run_id)
    target = f"/datasets/{quote(name, safe='')}"
    scheduler = scheduler_of(request)
    if (
        run.dataset != name
        or run.status not in ("queued", "running")
        or scheduler is None
        or not scheduler.cancel(run_id)
    ):
        flash(request, "error", f"Run {run_id} is {run.status}: there is nothing to cancel.")
        return redirect(target)
    flash(request, "info", f"Cancelling run {run_id}: it stops after its current request.")
    return redirect(f"{target}?run={run_id}")


@router.get("/datasets/{name}/runs/{run_id}.json")
def run_status(request: Request, name: str, run_id: int) -> Response:
    """A run's status and live progress, for the page's progress box."""
    run = control_plane(request).get_run(run_id)
    if run.dataset != name:
        return JSONResponse({"detail": f"run {run_id} is not a run of {name!r}"}, 404)
    data: dict[str, Any] = {
        "id": run.id, "status": run.status, "rows_read": run.rows_read,
        "rows_written": run.rows_written, "error": run.error, "message": "",
        "progress": run.to_dict()["progress"],  # the record's (datasets.live_progress)
    }  # fmt: skip
    scheduler = scheduler_of(request)
    job = scheduler.job_for_run(run_id) if scheduler is not None else None
    if job is not None and run.status in ("queued", "running"):
        live = job.to_dict()
        data["status"] = live["status"] if live["status"] in ("queued", "running") else run.status
        data["rows_read"] = max(run.rows_read, int(live["progress"]["rows"]))
        data["message"] = live["progress"]["message"]
        data["progress"] = live["progress"]
    return JSONResponse(data)


def _edit_values(ds: DatasetInfo) -> FormValues:
    sched = forms.schedule_fields(ds.schedule)
    pairs: list[tuple[str, str]] = [
        ("description", ds.description), ("update_mode", ds.update_mode),
        ("retries", str(ds.retries)), ("retry_interval", ds.retry_interval),
        ("schedule_mode", sched.mode), ("kind", sched.kind), ("every_n", sched.every_n),
        ("every_unit", sched.every_unit), ("at_time", sched.at_time), ("cron", sched.cron),
        ("timezone", ds.timezone if ds.timezone else ""), ("destination", ds.destination),
        *(("days", d) for d in sched.days),
    ]  # fmt: skip
    if ds.enabled:
        pairs.append(("enabled", "1"))
    for opt, shown in forms.option_values(ds.options).items():
        pairs.extend(("opt." + opt, v) for v in shown)
    return FormValues(pairs)


def _render_edit(
    request: Request, ds: DatasetInfo, values: FormValues, errors: FieldErrors | None = None
) -> HTMLResponse:
    plane = control_plane(request)
    report = report_info(plane, ds.report)
    account = next((a for a in plane.list_accounts() if a.name == ds.account), None)
    context: dict[str, Any] = {
        "nav": "datasets", "ds": ds, "report": report, "errors": errors or {},
        "v": values.get, "vl": values.getlist, "project_options": PROJECT_OPTIONS,
        "projects": None, "projects_error": "", "split_options": split_options,
        "destinations": plane.list_destinations(), "value_pickers": VALUE_PICKERS,
        "picker_account": ds.account, "skip_check": SKIP_CHECK,
    }  # fmt: skip
    context.update(schedule_context(request, values, account))
    context.update(update_context(values, report))
    if report and any(o.name in PROJECT_OPTIONS for o in report.options):
        context["projects"], context["projects_error"] = project_choices(plane, ds.account)
    return render(request, "datasets/edit.html", status_code=400 if errors else 200, **context)


@router.get("/datasets/{name}/edit", response_class=HTMLResponse)
def edit_dataset_page(request: Request, name: str) -> Response:
    """The dataset's settings as a form."""
    ds = control_plane(request).get_dataset(name)
    return _render_edit(request, ds, _edit_values(ds))


@router.post("/datasets/{name}/edit", response_class=HTMLResponse)
async def edit_dataset(request: Request, name: str) -> Response:
    """Save the changed settings, or show the form again with the messages."""
    plane = control_plane(request)
    ds = plane.get_dataset(name)
    values = FormValues.from_form(await request.form())
    errors: FieldErrors = {}
    spec = forms.schedule_spec(values, errors)
    forms.time_zone(values, "timezone", errors)
    if not errors:
        check_schedule(request, spec, errors)
    retries = forms.int_in_range(values, "retries", "Retries", errors, low=0, high=10)
    interval = forms.duration(values, "retry_interval", "The wait between retries", errors)
    if errors:
        return _render_edit(request, ds, values, errors)
    changes: dict[str, Any] = {
        "description": values.get("description"), "schedule": spec,
        "timezone": values.get("timezone") or None, "retries": retries,
        "retry_interval": interval, "enabled": bool(values.get("enabled")),
        "update_mode": values.get("update_mode") or ds.update_mode,
        "options": forms.report_options(values),
        "destination": values.get("destination") or ds.destination,
    }  # fmt: skip
    try:
        plane.update_dataset(name, check_options=not values.get(SKIP_CHECK), **changes)
    except BacklogConnectorError as exc:
        text = str(exc)
        field = next((f for word, _slug, f in ERROR_FIELDS if f and word in text.lower()), "")
        field = field or option_field(values, text)
        return _render_edit(request, ds, values, {field: text})
    wake_scheduler(request)
    flash(request, "success", f"Saved the changes to {name}.")
    return redirect(f"/datasets/{quote(name, safe='')}")


@router.get("/datasets/{name}/delete", response_class=HTMLResponse)
def delete_dataset_page(request: Request, name: str) -> Response:
    """Ask before deleting."""
    return render(request, "datasets/delete.html", nav="datasets",
                   ds=control_plane(request).get_dataset(name))  # fmt: skip


@router.post("/datasets/{name}/delete", response_class=HTMLResponse)
async def delete_dataset(request: Request, name: str) -> Response:
    """Delete the dataset (and, when ticked, its table)."""
    plane = control_plane(request)
    values = FormValues.from_form(await request.form())
    try:
        plane.delete_dataset(name, drop_table=bool(values.get("drop_table")))
    except NotFoundError:
        raise
    except BacklogConnectorError as exc:
        return render(request, "datasets/delete.html", status_code=409, nav="datasets",
                       ds=plane.get_dataset(name), errors={"": str(exc)})  # fmt: skip
    flash(request, "success", f"Dataset {name} deleted.")
    return redirect("/datasets")


router.include_router(dataset_actions.router)  # download, full refresh (after the routes above)
