"""The HTML pages of the web UI: sign in, datasets (list, wizard, page, edit, delete) and
accounts (list, add, edit, verify, remove).

Server-rendered with Jinja2; every page works without JavaScript (``static/app.js`` only adds
conveniences such as following a run's progress). Every POST carries the session's CSRF token
(checked for the whole router by ``csrf.verify_csrf``); every page but the sign-in page needs a
signed-in session. Pages talk to the control plane and the scheduler only, never around them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from backlog_connector.backlog.errors import BacklogConnectorError, NotFoundError
from backlog_connector.datasets.errors import NameTakenError
from backlog_connector.scheduler.schedule import Schedule, next_due, parse_schedule
from backlog_connector.web import auth, forms
from backlog_connector.web.charts import RunPoint, runs_chart
from backlog_connector.web.csrf import CsrfError, csrf_token, verify_csrf
from backlog_connector.web.forms import STEPS, FieldErrors, FormValues, Step

if TYPE_CHECKING:
    from backlog_connector.datasets.info import (
        AccountInfo,
        DatasetInfo,
        ReportInfo,
        RunInfo,
    )
    from backlog_connector.datasets.service import ControlPlane

_HERE = Path(__file__).parent
_ASSET_VERSION = "1"
NEW_ACCOUNT = "__new__"
#: report options filled by the project picker
PROJECT_OPTIONS = frozenset({"projects"})
#: hosts of Backlog's cloud: accounts there are edited by FQDN, others by base URL
CLOUD_SUFFIXES = (".backlog.com", ".backlog.jp", ".backlogtool.com")
#: datasets per page of the list
PAGE_SIZE = 100
RUN_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled", "skipped")
UPDATE_MODE_HELP = {
    "replace": "each run rewrites the whole table",
    "append": "each run adds its rows as a new snapshot (with _run_id and _loaded_at)",
    "merge": "each run updates changed rows and removes deleted ones; only changes are read",
}


class NotSignedIn(Exception):
    """A page was requested without a signed-in session."""


class PageRoute(APIRoute):
    """Turns the pages' own exceptions into pages: CSRF failures into a 403 page, a missing
    sign-in into a redirect to the sign-in page, an unknown name into a 404 page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except NotSignedIn:
                target = request.url.path
                if request.url.query:
                    target += "?" + request.url.query
                if request.method != "GET":
                    target = "/datasets"
                return RedirectResponse(f"/login?next={quote(target, safe='')}", 303)
            except CsrfError as exc:
                return _render(
                    request, "error.html", status_code=403, heading="Please try again",
                    message=str(exc), back_url=request.headers.get("referer") or "/datasets",
                    back_label="Back",
                )  # fmt: skip
            except NotFoundError as exc:
                return _render(
                    request, "error.html", status_code=404, heading="Not found",
                    message=getattr(exc, "message", str(exc)),
                )  # fmt: skip

        return handle


def require_signed_in(request: Request) -> str:
    """Router dependency: the signed-in user, or ``NotSignedIn`` (a redirect to sign in)."""
    user = auth.session_user(request)
    if user is None:
        raise NotSignedIn
    return user


router = APIRouter(route_class=PageRoute, dependencies=[Depends(verify_csrf)])
pages = APIRouter(route_class=PageRoute, dependencies=[Depends(require_signed_in)])


# --- rendering --------------------------------------------------------------------------------


def _ago(value: datetime | None, now: datetime | None = None) -> str:
    if value is None:
        return "—"
    now = now or datetime.now(UTC)
    seconds = (now - value).total_seconds()
    future = seconds < 0
    seconds = abs(seconds)
    if seconds < 45:
        text = "a few seconds"
    elif seconds < 90 * 60:
        text = f"{max(1, round(seconds / 60))} min"
    elif seconds < 36 * 3600:
        text = f"{round(seconds / 3600)} h"
    else:
        text = f"{round(seconds / 86400)} days"
    return f"in {text}" if future else f"{text} ago"


def _fulltime(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if value else ""


def _number(value: int | float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,}"


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}" if value < 100 else f"{value:,.0f}"


templates = Jinja2Templates(directory=str(_HERE / "templates"))
templates.env.filters.update(ago=_ago, fulltime=_fulltime, number=_number, seconds=_seconds)
templates.env.globals.update(asset_version=_ASSET_VERSION)


def _flash(request: Request, kind: str, text: str) -> None:
    """Show ``text`` once on the next rendered page (``kind``: success, error, info)."""
    request.session.setdefault("flash", [])
    request.session["flash"] = [*request.session["flash"], [kind, text]]


def _render(
    request: Request, template: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    flashes = request.session.pop("flash", []) if "session" in request.scope else []
    context.setdefault("errors", {})
    context.update(
        csrf=csrf_token(request),
        signed_in=auth.session_user(request) is not None,
        flashes=flashes,
    )
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _plane(request: Request) -> ControlPlane:
    plane: ControlPlane = request.app.state.control_plane
    return plane


def _scheduler(request: Request) -> Any:
    """The service's scheduler (None when the app runs without one, e.g. in a bench)."""
    return getattr(request.app.state, "scheduler", None)


def _message(exc: BaseException) -> str:
    return str(exc)


def _safe_next(target: str) -> str:
    """Only same-site paths may follow the sign-in (no open redirect)."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/datasets"
    return target


# --- sign in ----------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/datasets") -> Response:
    """The sign-in form (signed-in users go straight on)."""
    if auth.session_user(request) is not None:
        return _redirect(_safe_next(next))
    return _render(request, "login.html", next_url=_safe_next(next))


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    """Check the admin password; sign in and go on, or show the form with the error."""
    values = FormValues.from_form(await request.form())
    target = _safe_next(values.get("next", "/datasets"))
    password = values.get("password")
    home = _plane(request).home
    if not password:
        errors: FieldErrors = {"password": "Enter the admin password."}
    elif auth.check_admin_password(home, password):
        auth.sign_in(request)
        return _redirect(target)
    else:
        errors = {"password": "That password is not right. Check BACKLOG_CONNECTOR_ADMIN_PASSWORD "
                              "or the password serve showed at its first start."}  # fmt: skip
    return _render(request, "login.html", status_code=400, errors=errors, next_url=target)


@router.post("/logout")
def logout(request: Request) -> Response:
    """End the session."""
    auth.sign_out(request)
    return _redirect("/login")


@pages.get("/", include_in_schema=False)
def home() -> Response:
    """The datasets are the home page."""
    return _redirect("/datasets")


# --- datasets list ----------------------------------------------------------------------------


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
    return next_due(schedule, tz, minute, minute) if schedule is not None else None


def _next_run(request: Request, ds: DatasetInfo, now: datetime) -> datetime | None:
    """When the scheduler will next start ``ds``, by the scheduler's own pure function: an
    interval from the last due time it saved, a calendar schedule's next wall-clock time."""
    schedule = _schedule(ds.schedule)
    if schedule is None or schedule.is_manual or not ds.enabled:
        return None
    if schedule.kind == "interval":
        scheduler = _scheduler(request)
        last = None
        if scheduler is not None:
            last = scheduler.due_times.last_due(ds.name, schedule.spec, ds.timezone)
        return next_due(schedule, ds.timezone, last, now)
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
    return _ago(when, now)


@pages.get("/datasets", response_class=HTMLResponse)
def datasets_page(
    request: Request,
    q: str = "",
    report: str = "",
    account: str = "",
    status: str = "",
    page: int = 1,
) -> Response:
    """Every dataset with its report, account, rows, last and next run; search and filters."""
    plane = _plane(request)
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
        last_status = last.status if last else ""
        if status and (last_status != status and not (status == "never" and last is None)):
            continue
        rows.append(ds)
    pages_total = max(1, math.ceil(len(rows) / PAGE_SIZE))
    page = min(max(page, 1), pages_total)
    shown = [_list_row(request, ds, now) for ds in rows[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]]
    filters = {k: v for k, v in (("q", q), ("report", report), ("account", account),
                                 ("status", status)) if v}  # fmt: skip
    return _render(
        request, "datasets/list.html", nav="datasets", rows=shown, matched=len(rows),
        total=len(datasets), q=q, report=report, account=account, status=status,
        page=page, pages_total=pages_total, first=(page - 1) * PAGE_SIZE + 1,
        prev_url=_page_url(filters, page - 1) if page > 1 else "",
        next_url=_page_url(filters, page + 1) if page < pages_total else "",
        report_names=sorted({d.report for d in datasets}),
        account_names=sorted({d.account for d in datasets}),
        statuses=(*RUN_STATUSES, "never"),
    )  # fmt: skip


def _page_url(filters: dict[str, str], page: int) -> str:
    return "/datasets?" + urlencode({**filters, "page": str(page)})


def _list_row(request: Request, ds: DatasetInfo, now: datetime) -> dict[str, Any]:
    last = ds.last_run
    last_at = (last.finished_at or last.started_at or last.created_at) if last else None
    return {
        "name": ds.name, "url": "/datasets/" + quote(ds.name, safe=""),
        "report": ds.report, "account": ds.account, "rows": _number(ds.rows),
        "enabled": ds.enabled, "schedule": ds.schedule,
        "last_status": last.status if last else "",
        "last_ago": _ago(last_at, now), "last_full": _fulltime(last_at),
        "next_run": _next_run_text(request, ds, now),
    }  # fmt: skip


# --- the new-dataset wizard --------------------------------------------------------------------


def _report(plane: ControlPlane, name: str) -> ReportInfo | None:
    return next((r for r in plane.list_reports() if r.name == name), None)


def _split_options(report: ReportInfo) -> tuple[list[Any], list[Any]]:
    """The options shown up front (projects, required ones, choices) and the optional filters
    folded away below them."""
    main: list[Any] = []
    filters: list[Any] = []
    for opt in report.options:
        up_front = opt.name in PROJECT_OPTIONS or opt.required or opt.kind == "choice"
        (main if up_front or len(report.options) <= 2 else filters).append(opt)
    return main, filters


def _projects(plane: ControlPlane, account: str) -> tuple[list[dict[str, Any]] | None, str]:
    """The account's projects for the picker, or None and why they could not be listed."""
    if not account or account == NEW_ACCOUNT:
        return None, ""
    try:
        return plane.list_projects(account), ""
    except BacklogConnectorError as exc:
        return None, f"Could not list the projects ({_message(exc)})."


def _wizard_context(
    request: Request, values: FormValues, step: Step, errors: FieldErrors
) -> dict[str, Any]:
    plane = _plane(request)
    accounts = plane.list_accounts()
    account = next((a for a in accounts if a.name == values.get("account")), None)
    report = _report(plane, values.get("report")) if values.get("report") else None
    context: dict[str, Any] = {
        "nav": "datasets", "step": step, "steps": STEPS, "errors": errors,
        "carried": forms.carried_fields(values, step), "accounts": accounts,
        "v": values.get, "vl": values.getlist, "report": report,
        "project_options": PROJECT_OPTIONS, "projects": None, "projects_error": "",
        "split_options": _split_options,
    }  # fmt: skip
    if step.slug == "data":
        context["reports"] = plane.list_reports()
        if report and any(o.name in PROJECT_OPTIONS for o in report.options):
            context["projects"], context["projects_error"] = _projects(plane, values.get("account"))
    elif step.slug == "schedule":
        context.update(_schedule_context(request, values, account))
    elif step.slug == "update":
        context.update(_update_context(values, report))
    elif step.slug == "name":
        context["summary"] = _summary(values, report)
    return context


def _schedule_context(
    request: Request, values: FormValues, account: AccountInfo | None
) -> dict[str, Any]:
    if "schedule_mode" in values:
        sched = forms.ScheduleFields(
            mode=values.get("schedule_mode", "manual"), kind=values.get("kind", "every"),
            every_n=values.get("every_n", "1"), every_unit=values.get("every_unit", "h"),
            at_time=values.get("at_time", "09:00"),
            days=tuple(values.getlist("days")) or ("mon",), cron=values.get("cron"),
        )  # fmt: skip
    else:
        sched = forms.ScheduleFields()
    return {
        "sched": sched, "weekdays": forms.WEEKDAYS, "timezones": forms.time_zones(),
        "tz_value": values.get("timezone"),
        "default_tz": account.space_timezone if account else "",
        "min_interval": _plane(request).settings.scheduler.min_interval_seconds,
    }  # fmt: skip


def _update_context(values: FormValues, report: ReportInfo | None) -> dict[str, Any]:
    modes = report.update_modes if report else ("replace",)
    default = report.default_update_mode if report else "replace"
    chosen = values.get("update_mode")
    return {
        "modes": modes, "default_mode": default, "mode_help": UPDATE_MODE_HELP,
        "mode_value": chosen if chosen in modes else default,
        "retries_value": values.get("retries", "0"),
        "retry_interval_value": values.get("retry_interval", "5m"),
    }  # fmt: skip


def _summary(values: FormValues, report: ReportInfo | None) -> dict[str, Any]:
    scratch: FieldErrors = {}
    return {
        "account": values.get("account"),
        "report": f"{report.title} ({report.name})" if report else values.get("report"),
        "options": forms.report_options(values),
        "schedule": forms.schedule_spec(values, scratch),
        "timezone": values.get("timezone"),
        "update_mode": values.get("update_mode") or (report.default_update_mode if report else ""),
        "retries": values.get("retries", "0"),
        "retry_interval": values.get("retry_interval", "5m"),
    }


def _render_wizard(
    request: Request, values: FormValues, step: Step, errors: FieldErrors | None = None
) -> HTMLResponse:
    errors = errors or {}
    return _render(
        request, "datasets/wizard.html", status_code=400 if errors else 200,
        **_wizard_context(request, values, step, errors),
    )  # fmt: skip


@pages.get("/datasets/new", response_class=HTMLResponse)
def new_dataset_page(request: Request, account: str = "") -> Response:
    """Step 1 of the wizard (``?account=NAME`` preselects a saved account)."""
    values = FormValues([("account", account)] if account else [])
    return _render_wizard(request, values, STEPS[0])


@pages.post("/datasets/new", response_class=HTMLResponse)
async def new_dataset_step(request: Request) -> Response:
    """Validate the posted step; show the next one, the same one with its errors, or create
    the dataset after the last."""
    values = FormValues.from_form(await request.form())
    try:
        number = int(values.get("step", "1"))
    except ValueError:
        number = 1
    step = forms.step_by_number(number)
    action = values.get("action", "next")
    if action == "back":
        return _render_wizard(request, values, forms.step_by_number(step.number - 1))
    if action == "refresh":
        return _render_wizard(request, values, step)
    errors = _validate_step(request, values, step)
    if errors:
        return _render_wizard(request, values, step, errors)
    if step.number < len(STEPS):
        return _render_wizard(request, values, forms.step_by_number(step.number + 1))
    return _create_dataset(request, values)


def _validate_step(request: Request, values: FormValues, step: Step) -> FieldErrors:
    errors: FieldErrors = {}
    if step.slug == "credentials":
        _choose_account(request, values, errors)
    elif step.slug == "data":
        report = _report(_plane(request), values.get("report"))
        if report is None:
            errors["report"] = "Pick a report."
        else:
            for opt in report.options:
                if opt.required and not values.getlist("opt." + opt.name):
                    errors["opt." + opt.name] = f"{opt.name} is required: {opt.description}"
    elif step.slug == "schedule":
        spec = forms.schedule_spec(values, errors)
        forms.time_zone(values, "timezone", errors)
        if not errors:
            _check_schedule(request, spec, errors)
    elif step.slug == "update":
        report = _report(_plane(request), values.get("report"))
        if report is not None and values.get("update_mode") not in report.update_modes:
            errors["update_mode"] = "Choose one of: " + ", ".join(report.update_modes) + "."
        forms.int_in_range(values, "retries", "Retries", errors, low=0, high=10)
        forms.duration(values, "retry_interval", "The wait between retries", errors)
    elif step.slug == "name":
        name = forms.dataset_name(values, errors)
        if name and any(d.name == name for d in _plane(request).list_datasets()):
            errors["name"] = f"A dataset named {name!r} exists already: pick another name."
    return errors


def _check_schedule(request: Request, spec: str, errors: FieldErrors) -> None:
    minimum = _plane(request).settings.scheduler.min_interval_seconds
    try:
        parse_schedule(spec, min_interval_seconds=minimum)
    except BacklogConnectorError as exc:
        field = "cron" if spec.startswith("cron") else "schedule"
        if spec.startswith("every"):
            field = "every_n"
        errors[field] = _message(exc)


def _choose_account(request: Request, values: FormValues, errors: FieldErrors) -> None:
    """Step 1: a saved account, or a new one verified and saved now."""
    plane = _plane(request)
    chosen = values.get("account")
    if not chosen:
        errors["account"] = "Pick a saved account or add a new one."
        return
    if chosen != NEW_ACCOUNT:
        try:
            plane.get_account(chosen)
        except NotFoundError:
            errors["account"] = f"There is no account named {chosen!r} any more; pick another."
        return
    info = _add_account(request, values, errors, name_field="new_name")
    if info is not None:
        values.set("account", info.name)
        for name in ("new_name", "fqdn", "base_url", "api_key", "api_key_in_query"):
            values.set(name)
        _flash(request, "success", f"Account {info.name} verified and saved.")


def _add_account(
    request: Request, values: FormValues, errors: FieldErrors, *, name_field: str
) -> AccountInfo | None:
    """Verify and save a new account from the form; messages land next to their fields."""
    name = forms.dataset_name(values, errors, name_field)
    fqdn, base_url = values.get("fqdn"), values.get("base_url")
    if not fqdn and not base_url:
        errors["fqdn"] = "Enter the space's address (yourspace.backlog.com), or a base URL below."
    elif fqdn and base_url:
        errors["base_url"] = "Give either the space address or a base URL, not both."
    api_key = required(values, "api_key", "The API key", errors)
    if errors:
        return None
    try:
        return _plane(request).add_account(
            name, fqdn=fqdn or None, base_url=base_url or None, api_key=api_key,
            api_key_in_query=bool(values.get("api_key_in_query")),
        )  # fmt: skip
    except BacklogConnectorError as exc:
        field = forms.account_error_field(exc, uses_base_url=bool(base_url))
        errors[name_field if field == "name" else field] = _message(exc)
        return None


def required(values: FormValues, name: str, label: str, errors: FieldErrors) -> str:
    """``forms.required`` (a short alias used by the account forms)."""
    return forms.required(values, name, label, errors)


#: where a control-plane error about a dataset belongs in the wizard, by the words it uses
_ERROR_STEPS = (
    ("option", "data", ""),
    ("schedule", "schedule", "schedule"),
    ("time zone", "schedule", "timezone"),
    ("update mode", "update", "update_mode"),
    ("retry interval", "update", "retry_interval"),
    ("retries", "update", "retries"),
)


def _create_dataset(request: Request, values: FormValues) -> Response:
    plane = _plane(request)
    spec = forms.schedule_spec(values, {})
    try:
        info = plane.create_dataset(
            values.get("name"),
            account=values.get("account"),
            report=values.get("report"),
            options=forms.report_options(values),
            update_mode=values.get("update_mode") or None,
            schedule=spec,
            timezone=values.get("timezone") or None,
            retries=int(values.get("retries", "0") or 0),
            retry_interval=values.get("retry_interval", "5m") or "5m",
            description=values.get("description"),
        )
    except BacklogConnectorError as exc:
        text = _message(exc)
        lowered = text.lower()
        if isinstance(exc, NameTakenError):
            return _render_wizard(request, values, STEPS[-1], {"name": text})
        for word, slug, field in _ERROR_STEPS:
            if word in lowered:
                step = next(s for s in STEPS if s.slug == slug)
                option = next((n for n in values.names() if n.startswith("opt.")
                               and f"'{n[4:]}'" in text), "")  # fmt: skip
                return _render_wizard(request, values, step, {field or option or "": text})
        return _render_wizard(request, values, STEPS[-1], {"": text})
    _scheduler_wake(request)
    _flash(request, "success", f"Dataset {info.name} created. Run it now to fill its table.")
    return _redirect(f"/datasets/{quote(info.name, safe='')}")


def _scheduler_wake(request: Request) -> None:
    scheduler = _scheduler(request)
    if scheduler is not None:
        scheduler.wake()


# --- one dataset ------------------------------------------------------------------------------


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
        RunPoint(r.id, r.status, r.rows_written, r.duration_seconds, r.started_at or r.created_at)
        for r in reversed(history)
        if r.status != "skipped"
    ]
    return runs_chart(points)


@pages.get("/datasets/{name}", response_class=HTMLResponse)
def dataset_page(request: Request, name: str, run: int | None = None) -> Response:
    """Description, schema, preview, run history with its chart, and the actions."""
    plane = _plane(request)
    ds = plane.get_dataset(name)
    history = plane.history(name, limit=50)
    active = _active_run(history, run)
    schema_note = preview_note = ""
    try:
        schema = plane.schema(name)
        table = plane.preview(name, limit=20)
        columns = list(table.column_names)
        preview_rows = [[_cell(v) for v in row.values()] for row in table.to_pylist()]
    except BacklogConnectorError as exc:
        schema, columns, preview_rows = [], [], []
        schema_note = preview_note = _message(exc)
    report = _report(plane, ds.report)
    return _render(
        request, "datasets/detail.html", nav="datasets", ds=ds, history=history,
        chart=_chart(history) if history else "", schema=schema, schema_note=schema_note,
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


@pages.post("/datasets/{name}/run")
def run_dataset(request: Request, name: str) -> Response:
    """Start a run now (through the scheduler, so a dataset never runs twice at once) and
    come back to the dataset page, which follows its progress."""
    plane = _plane(request)
    plane.get_dataset(name)
    target = f"/datasets/{quote(name, safe='')}"
    scheduler = _scheduler(request)
    if scheduler is None:
        _flash(request, "error", "Runs start from the service (backlog-connector serve).")
        return _redirect(target)
    try:
        job = scheduler.run_now(name)
    except BacklogConnectorError as exc:
        _flash(request, "error", _message(exc))
        return _redirect(target)
    return _redirect(f"{target}?run={job.run_id}")


@pages.get("/datasets/{name}/runs/{run_id}.json")
def run_status(request: Request, name: str, run_id: int) -> Response:
    """A run's status and live progress, for the page's progress box."""
    run = _plane(request).get_run(run_id)
    if run.dataset != name:
        return JSONResponse({"detail": f"run {run_id} is not a run of {name!r}"}, 404)
    data: dict[str, Any] = {
        "id": run.id, "status": run.status, "rows_read": run.rows_read,
        "rows_written": run.rows_written, "error": run.error, "message": "",
    }  # fmt: skip
    scheduler = _scheduler(request)
    job = scheduler.job_for_run(run_id) if scheduler is not None else None
    if job is not None and run.status in ("queued", "running"):
        live = job.to_dict()
        data["status"] = live["status"] if live["status"] in ("queued", "running") else run.status
        data["rows_read"] = max(run.rows_read, int(live["progress"]["rows"]))
        data["message"] = live["progress"]["message"]
    return JSONResponse(data)


def _edit_values(ds: DatasetInfo) -> FormValues:
    sched = forms.schedule_fields(ds.schedule)
    pairs: list[tuple[str, str]] = [
        ("description", ds.description), ("update_mode", ds.update_mode),
        ("retries", str(ds.retries)), ("retry_interval", ds.retry_interval),
        ("schedule_mode", sched.mode), ("kind", sched.kind), ("every_n", sched.every_n),
        ("every_unit", sched.every_unit), ("at_time", sched.at_time), ("cron", sched.cron),
        ("timezone", ds.timezone if ds.timezone else ""),
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
    plane = _plane(request)
    report = _report(plane, ds.report)
    account = next((a for a in plane.list_accounts() if a.name == ds.account), None)
    context: dict[str, Any] = {
        "nav": "datasets", "ds": ds, "report": report, "errors": errors or {},
        "v": values.get, "vl": values.getlist, "project_options": PROJECT_OPTIONS,
        "projects": None, "projects_error": "", "split_options": _split_options,
    }  # fmt: skip
    context.update(_schedule_context(request, values, account))
    context.update(_update_context(values, report))
    if report and any(o.name in PROJECT_OPTIONS for o in report.options):
        context["projects"], context["projects_error"] = _projects(plane, ds.account)
    return _render(
        request, "datasets/edit.html", status_code=400 if errors else 200, **context
    )


@pages.get("/datasets/{name}/edit", response_class=HTMLResponse)
def edit_dataset_page(request: Request, name: str) -> Response:
    """The dataset's settings as a form."""
    ds = _plane(request).get_dataset(name)
    return _render_edit(request, ds, _edit_values(ds))


@pages.post("/datasets/{name}/edit", response_class=HTMLResponse)
async def edit_dataset(request: Request, name: str) -> Response:
    """Save the changed settings, or show the form again with the messages."""
    plane = _plane(request)
    ds = plane.get_dataset(name)
    values = FormValues.from_form(await request.form())
    errors: FieldErrors = {}
    spec = forms.schedule_spec(values, errors)
    forms.time_zone(values, "timezone", errors)
    if not errors:
        _check_schedule(request, spec, errors)
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
    }  # fmt: skip
    try:
        plane.update_dataset(name, **changes)
    except BacklogConnectorError as exc:
        text = _message(exc)
        field = next((f for word, _slug, f in _ERROR_STEPS if f and word in text.lower()), "")
        return _render_edit(request, ds, values, {field: text})
    _scheduler_wake(request)
    _flash(request, "success", f"Saved the changes to {name}.")
    return _redirect(f"/datasets/{quote(name, safe='')}")


@pages.get("/datasets/{name}/delete", response_class=HTMLResponse)
def delete_dataset_page(request: Request, name: str) -> Response:
    """Ask before deleting."""
    return _render(request, "datasets/delete.html", nav="datasets",
                   ds=_plane(request).get_dataset(name))  # fmt: skip


@pages.post("/datasets/{name}/delete", response_class=HTMLResponse)
async def delete_dataset(request: Request, name: str) -> Response:
    """Delete the dataset (and, when ticked, its table)."""
    plane = _plane(request)
    values = FormValues.from_form(await request.form())
    try:
        plane.delete_dataset(name, drop_table=bool(values.get("drop_table")))
    except NotFoundError:
        raise
    except BacklogConnectorError as exc:
        return _render(request, "datasets/delete.html", status_code=409, nav="datasets",
                       ds=plane.get_dataset(name), errors={"": _message(exc)})  # fmt: skip
    _flash(request, "success", f"Dataset {name} deleted.")
    return _redirect("/datasets")


# --- accounts ---------------------------------------------------------------------------------


def _budget_rows(budget: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for category, figures in sorted(budget.items()):
        if not isinstance(figures, dict):
            continue
        reset = figures.get("reset")
        try:
            at = datetime.fromisoformat(str(reset)) if reset else None
        except ValueError:
            at = None
        if at is None:
            when = "—"
        elif at <= datetime.now(UTC):
            when = "already reset"
        else:
            when = _ago(at)
        rows.append({"category": category, "limit": figures.get("limit"),
                     "remaining": figures.get("remaining"), "reset": when})  # fmt: skip
    return rows


@pages.get("/accounts", response_class=HTMLResponse)
def accounts_page(request: Request) -> Response:
    """Every saved account: space, user, datasets using it, last known rate budget."""
    plane = _plane(request)
    accounts = [
        {"info": a, "budget": _budget_rows(plane.rate_budget(a.name))}
        for a in plane.list_accounts()
    ]
    return _render(request, "accounts/list.html", nav="accounts", accounts=accounts)


def _render_account_form(
    request: Request,
    values: FormValues,
    account: AccountInfo | None = None,
    errors: FieldErrors | None = None,
) -> HTMLResponse:
    action = f"/accounts/{quote(account.name, safe='')}/edit" if account else "/accounts/new"
    return _render(
        request, "accounts/form.html", status_code=400 if errors else 200, nav="accounts",
        account=account, action=action, v=values.get, errors=errors or {},
    )  # fmt: skip


@pages.get("/accounts/new", response_class=HTMLResponse)
def new_account_page(request: Request) -> Response:
    """The add-account form."""
    return _render_account_form(request, FormValues())


@pages.post("/accounts/new", response_class=HTMLResponse)
async def new_account(request: Request) -> Response:
    """Verify and save; a wrong key or address shows next to its field."""
    values = FormValues.from_form(await request.form())
    errors: FieldErrors = {}
    info = _add_account(request, values, errors, name_field="new_name")
    if info is None:
        return _render_account_form(request, values, errors=errors)
    _flash(request, "success", f"Account {info.name} verified and saved.")
    return _redirect(f"/accounts#account-{quote(info.name, safe='')}")


@pages.get("/accounts/{name}/edit", response_class=HTMLResponse)
def edit_account_page(request: Request, name: str) -> Response:
    """The account's address (the key is never shown: leave it empty to keep it)."""
    info = _plane(request).get_account(name)
    cloud = info.space.endswith(CLOUD_SUFFIXES) and info.base_url == f"https://{info.space}"
    values = FormValues([("fqdn", info.space)] if cloud else [("base_url", info.base_url)])
    return _render_account_form(request, values, info)


@pages.post("/accounts/{name}/edit", response_class=HTMLResponse)
async def edit_account(request: Request, name: str) -> Response:
    """Verify the new address and/or key against the space, then save."""
    plane = _plane(request)
    info = plane.get_account(name)
    values = FormValues.from_form(await request.form())
    errors: FieldErrors = {}
    fqdn, base_url, api_key = values.get("fqdn"), values.get("base_url"), values.get("api_key")
    if fqdn and base_url:
        errors["base_url"] = "Give either the space address or a base URL, not both."
    elif not fqdn and not base_url:
        errors["fqdn"] = "Enter the space's address (yourspace.backlog.com), or a base URL below."
    if not errors:
        try:
            plane.update_account(name, api_key=api_key or None, fqdn=fqdn or None,
                                 base_url=base_url or None)  # fmt: skip
        except BacklogConnectorError as exc:
            errors[forms.account_error_field(exc, uses_base_url=bool(base_url)) or ""] = (
                _message(exc)
            )
    if errors:
        return _render_account_form(request, values, info, errors)
    _flash(request, "success", f"Account {name} verified and saved.")
    return _redirect(f"/accounts#account-{quote(name, safe='')}")


@pages.post("/accounts/{name}/verify")
def verify_account(request: Request, name: str) -> Response:
    """Ask the space again whom the key belongs to (and refresh the rate budget)."""
    try:
        info = _plane(request).verify_account(name)
        _flash(request, "success", f"Account {name} works: signed in as {info.user_name}.")
    except NotFoundError:
        raise
    except BacklogConnectorError as exc:
        _flash(request, "error", f"Account {name} failed verification: {_message(exc)}")
    return _redirect(f"/accounts#account-{quote(name, safe='')}")


@pages.get("/accounts/{name}/remove", response_class=HTMLResponse)
def remove_account_page(request: Request, name: str) -> Response:
    """Ask before removing; say which datasets block it."""
    return _render(request, "accounts/remove.html", nav="accounts",
                   account=_plane(request).get_account(name))  # fmt: skip


@pages.post("/accounts/{name}/remove", response_class=HTMLResponse)
def remove_account(request: Request, name: str) -> Response:
    """Remove the account, refused while datasets use it (the message names them)."""
    plane = _plane(request)
    try:
        plane.remove_account(name)
    except NotFoundError:
        raise
    except BacklogConnectorError as exc:
        return _render(request, "accounts/remove.html", status_code=409, nav="accounts",
                       account=plane.get_account(name), errors={"": _message(exc)})  # fmt: skip
    _flash(request, "success", f"Account {name} removed.")
    return _redirect("/accounts")


router.include_router(pages)
