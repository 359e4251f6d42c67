"""The new-dataset wizard, in the order users of BI connectors know: 1 credentials, 2 data
selection, 3 scheduling, 4 update method and retry, 5 name, describe and pick the destination
(default: the built-in DuckDB warehouse).

Each step posts every earlier answer along in hidden fields (never the API key being typed), so
the wizard keeps no server-side state; the dataset is created after the last step."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import HTMLResponse

from backlog_connector.backlog.errors import BacklogConnectorError, NotFoundError
from backlog_connector.datasets.errors import NameTakenError
from backlog_connector.web import forms
from backlog_connector.web.account_pages import add_account_from_form
from backlog_connector.web.dataset_forms import (
    ERROR_FIELDS,
    NEW_ACCOUNT,
    PROJECT_OPTIONS,
    SKIP_CHECK,
    VALUE_PICKERS,
    check_in_space,
    check_schedule,
    option_field,
    project_choices,
    report_info,
    schedule_context,
    split_options,
    update_context,
    wake_scheduler,
)
from backlog_connector.web.forms import STEPS, FieldErrors, FormValues, Step
from backlog_connector.web.rendering import (
    control_plane,
    flash,
    redirect,
    render,
    signed_in_router,
)

if TYPE_CHECKING:
    from backlog_connector.datasets.info import ReportInfo

router = signed_in_router()


def _wizard_context(
    request: Request, values: FormValues, step: Step, errors: FieldErrors
) -> dict[str, Any]:
    plane = control_plane(request)
    accounts = plane.list_accounts()
    account = next((a for a in accounts if a.name == values.get("account")), None)
    report = report_info(plane, values.get("report")) if values.get("report") else None
    context: dict[str, Any] = {
        "nav": "datasets", "step": step, "steps": STEPS, "errors": errors,
        "carried": forms.carried_fields(values, step), "accounts": accounts,
        "v": values.get, "vl": values.getlist, "report": report,
        "project_options": PROJECT_OPTIONS, "projects": None, "projects_error": "",
        "split_options": split_options, "value_pickers": VALUE_PICKERS,
        "picker_account": account.name if account else "", "skip_check": SKIP_CHECK,
    }  # fmt: skip
    if step.slug == "data":
        context["reports"] = plane.list_reports()
        if report and any(o.name in PROJECT_OPTIONS for o in report.options):
            chosen = values.get("account")
            context["projects"], context["projects_error"] = project_choices(plane, chosen)
    elif step.slug == "schedule":
        context.update(schedule_context(request, values, account))
    elif step.slug == "update":
        context.update(update_context(values, report))
    elif step.slug == "name":
        context["summary"] = _summary(values, report)
        context["destinations"] = plane.list_destinations()
    return context


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
    return render(
        request, "datasets/wizard.html", status_code=400 if errors else 200,
        **_wizard_context(request, values, step, errors),
    )  # fmt: skip


@router.get("/datasets/new", response_class=HTMLResponse)
def new_dataset_page(request: Request, account: str = "") -> Response:
    """Step 1 of the wizard (``?account=NAME`` preselects a saved account)."""
    values = FormValues([("account", account)] if account else [])
    return _render_wizard(request, values, STEPS[0])


@router.post("/datasets/new", response_class=HTMLResponse)
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
        report = report_info(control_plane(request), values.get("report"))
        if report is None:
            errors["report"] = "Pick a report."
        else:
            for opt in report.options:
                if opt.required and not values.getlist("opt." + opt.name):
                    errors["opt." + opt.name] = f"{opt.name} is required: {opt.description}"
            if not errors:
                _check_options(request, values, report.name, errors)
    elif step.slug == "schedule":
        spec = forms.schedule_spec(values, errors)
        forms.time_zone(values, "timezone", errors)
        if not errors:
            check_schedule(request, spec, errors)
    elif step.slug == "update":
        report = report_info(control_plane(request), values.get("report"))
        if report is not None and values.get("update_mode") not in report.update_modes:
            errors["update_mode"] = "Choose one of: " + ", ".join(report.update_modes) + "."
        forms.int_in_range(values, "retries", "Retries", errors, low=0, high=10)
        forms.duration(values, "retry_interval", "The wait between retries", errors)
    elif step.slug == "name":
        name = forms.dataset_name(values, errors)
        if name and any(d.name == name for d in control_plane(request).list_datasets()):
            errors["name"] = f"A dataset named {name!r} exists already: pick another name."
        destination = values.get("destination")
        if destination:
            try:
                control_plane(request).get_destination(destination)
            except NotFoundError:
                errors["destination"] = (
                    f"There is no destination named {destination!r} any more; pick another."
                )
    return errors


def _check_options(request: Request, values: FormValues, report: str, errors: FieldErrors) -> None:
    """Step 2: the report's own checks of its options, then its names against the space,
    shown next to the option they name."""
    plane = control_plane(request)
    try:
        plane.check_report_options(report, forms.report_options(values))
    except BacklogConnectorError as exc:
        text = str(exc)
        errors[option_field(values, text) or "report"] = text
        return
    check_in_space(plane, values, values.get("account"), report, errors)


def _choose_account(request: Request, values: FormValues, errors: FieldErrors) -> None:
    """Step 1: a saved account, or a new one verified and saved now."""
    plane = control_plane(request)
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
    info = add_account_from_form(request, values, errors, name_field="new_name")
    if info is not None:
        values.set("account", info.name)
        for name in ("new_name", "fqdn", "base_url", "api_key", "api_key_in_query"):
            values.set(name)
        flash(request, "success", f"Account {info.name} verified and saved.")


def _create_dataset(request: Request, values: FormValues) -> Response:
    plane = control_plane(request)
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
            destination=values.get("destination") or None,
            check_options=not values.get(SKIP_CHECK),
        )
    except BacklogConnectorError as exc:
        text = str(exc)
        lowered = text.lower()
        if isinstance(exc, NameTakenError):
            return _render_wizard(request, values, STEPS[-1], {"name": text})
        for word, slug, field in ERROR_FIELDS:
            if word in lowered:
                step = next(s for s in STEPS if s.slug == slug)
                option = option_field(values, text)
                return _render_wizard(request, values, step, {field or option or "": text})
        return _render_wizard(request, values, STEPS[-1], {"": text})
    wake_scheduler(request)
    flash(request, "success", f"Dataset {info.name} created. Run it now to fill its table.")
    return redirect(f"/datasets/{quote(info.name, safe='')}")
