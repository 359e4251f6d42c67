"""What the wizard and the edit page share: report lookup, the project picker, the schedule and
update-method fields, and where a control-plane error belongs on the form."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import Request

from backlog_connector.backlog.errors import BacklogConnectorError
from backlog_connector.datasets.schedules import parse_schedule
from backlog_connector.web import forms
from backlog_connector.web.forms import FieldErrors, FormValues
from backlog_connector.web.rendering import control_plane, scheduler_of

if TYPE_CHECKING:
    from backlog_connector.datasets.info import AccountInfo, ReportInfo
    from backlog_connector.datasets.service import ControlPlane

#: the wizard's value of the account choice "add a new account"
NEW_ACCOUNT = "__new__"
#: report options filled by the project picker
PROJECT_OPTIONS = frozenset({"projects"})
#: report options with a picker of the space's values (``static/app.js`` fills it from
#: ``GET /api/accounts/{name}/values/{option}``; without JavaScript they stay text fields)
VALUE_PICKERS = frozenset({"statuses", "issue_types", "categories", "milestones", "assignees"})
#: the checkbox "save without checking the names against the space"
SKIP_CHECK = "skip_option_check"


UPDATE_MODE_HELP = {
    "replace": "each run rewrites the whole table",
    "append": "each run adds its rows as a new snapshot (with _run_id and _loaded_at)",
    "merge": "each run updates changed rows and removes deleted ones; only changes are read",
}


#: where a control-plane error about a dataset belongs in the wizard, by the words it uses
ERROR_FIELDS = (
    ("option", "data", ""),
    ("schedule", "schedule", "schedule"),
    ("time zone", "schedule", "timezone"),
    ("update mode", "update", "update_mode"),
    ("retry interval", "update", "retry_interval"),
    ("retries", "update", "retries"),
    ("destination", "name", "destination"),
)


def report_info(plane: ControlPlane, name: str) -> ReportInfo | None:
    """The catalog entry of the report ``name``, or None."""
    return next((r for r in plane.list_reports() if r.name == name), None)


def split_options(report: ReportInfo) -> tuple[list[Any], list[Any]]:
    """The options shown up front (projects, required ones, choices) and the optional filters
    folded away below them."""
    main: list[Any] = []
    filters: list[Any] = []
    for opt in report.options:
        up_front = opt.name in PROJECT_OPTIONS or opt.required or opt.kind == "choice"
        (main if up_front or len(report.options) <= 2 else filters).append(opt)
    return main, filters


def project_choices(plane: ControlPlane, account: str) -> tuple[list[dict[str, Any]] | None, str]:
    """The account's projects for the picker, or None and why they could not be listed."""
    if not account or account == NEW_ACCOUNT:
        return None, ""
    try:
        return plane.list_projects(account), ""
    except BacklogConnectorError as exc:
        return None, f"Could not list the projects ({exc!s})."


def schedule_context(
    request: Request, values: FormValues, account: AccountInfo | None
) -> dict[str, Any]:
    """What the schedule fields need: the posted schedule (or manual), zones, the minimum."""
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
        "min_interval": control_plane(request).settings.scheduler.min_interval_seconds,
    }  # fmt: skip


def update_context(values: FormValues, report: ReportInfo | None) -> dict[str, Any]:
    """What the update fields need: only the report's modes, its default first choice."""
    modes = report.update_modes if report else ("replace",)
    default = report.default_update_mode if report else "replace"
    chosen = values.get("update_mode")
    return {
        "modes": modes, "default_mode": default, "mode_help": UPDATE_MODE_HELP,
        "mode_value": chosen if chosen in modes else default,
        "retries_value": values.get("retries", "0"),
        "retry_interval_value": values.get("retry_interval", "5m"),
    }  # fmt: skip


def check_schedule(request: Request, spec: str, errors: FieldErrors) -> None:
    """Validate ``spec`` with the scheduler's own parser; the message goes next to its field."""
    minimum = control_plane(request).settings.scheduler.min_interval_seconds
    try:
        parse_schedule(spec, min_interval_seconds=minimum)
    except BacklogConnectorError as exc:
        field = "cron" if spec.startswith("cron") else "schedule"
        if spec.startswith("every"):
            field = "every_n"
        errors[field] = str(exc)


def wake_scheduler(request: Request) -> None:
    """Let the scheduler see a new or changed dataset now rather than at its next tick."""
    scheduler = scheduler_of(request)
    if scheduler is not None:
        scheduler.wake()


def option_field(values: FormValues, text: str) -> str:
    """The ``opt.NAME`` field an error message names (quoted), or ""."""
    return next((n for n in values.names() if n.startswith("opt.") and f"'{n[4:]}'" in text), "")


def check_in_space(
    plane: ControlPlane, values: FormValues, account: str, report: str, errors: FieldErrors
) -> None:
    """The option names checked against the account's space (unless the form says to skip
    it); a refusal lands next to the option it names, or on the form."""
    if values.get(SKIP_CHECK) or not account or account == NEW_ACCOUNT:
        return
    try:
        plane.check_options_in_space(account, report, forms.report_options(values))
    except BacklogConnectorError as exc:
        text = str(exc)
        errors[option_field(values, text) or ""] = text
