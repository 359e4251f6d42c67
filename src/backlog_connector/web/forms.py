"""Form handling for the HTML pages: reading posted values, validating them with a message per
field, and the state of the new-dataset wizard.

Validation here catches what can be checked without the control plane (empty fields, malformed
times, numbers out of range) so that the message lands next to the field; the control plane
still validates everything again when the dataset or account is saved.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from starlette.datastructures import FormData

from backlog_connector.backlog.errors import (
    AuthenticationError,
    BacklogConnectorError,
    InvalidAddressError,
    PermissionDeniedError,
)
from backlog_connector.datasets.errors import NameTakenError

#: field name -> message; the key "" holds a message for the form as a whole
FieldErrors = dict[str, str]

WEEKDAYS: tuple[tuple[str, str], ...] = (
    ("mon", "Mon"),
    ("tue", "Tue"),
    ("wed", "Wed"),
    ("thu", "Thu"),
    ("fri", "Fri"),
    ("sat", "Sat"),
    ("sun", "Sun"),
)
_DAY_NAMES = tuple(code for code, _label in WEEKDAYS)
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_NAME_MAX = 100


class FormValues:
    """Posted form values: one or several strings per field name, whitespace-trimmed."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._values: dict[str, list[str]] = {}
        for key, value in items:
            self._values.setdefault(key, []).append(value.strip())

    @classmethod
    def from_form(cls, form: FormData) -> FormValues:
        """The string fields of a parsed form (uploads are ignored)."""
        return cls((k, v) for k, v in form.multi_items() if isinstance(v, str))

    def get(self, name: str, default: str = "") -> str:
        """The first value of ``name``, or ``default``."""
        values = self._values.get(name)
        return values[0] if values else default

    def getlist(self, name: str) -> list[str]:
        """Every non-empty value of ``name`` (checkbox groups, multi-selects)."""
        return [v for v in self._values.get(name, []) if v]

    def set(self, name: str, *values: str) -> None:
        """Replace the values of ``name``."""
        self._values[name] = list(values)

    def names(self) -> list[str]:
        """Field names, in the order they were first posted."""
        return list(self._values)

    def items(self) -> list[tuple[str, str]]:
        """Every (name, value) pair, for carrying the values along in hidden fields."""
        return [(k, v) for k, values in self._values.items() for v in values]

    def __contains__(self, name: object) -> bool:
        return name in self._values


# --- small validators: each returns the cleaned value or records a message ---------------------


def space_address(values: FormValues, errors: FieldErrors) -> tuple[str, str]:
    """The form's ``fqdn`` and ``base_url``: exactly one of them must be given."""
    fqdn, base_url = values.get("fqdn"), values.get("base_url")
    if not fqdn and not base_url:
        errors["fqdn"] = "Enter the space's address (yourspace.backlog.com), or a base URL below."
    elif fqdn and base_url:
        errors["base_url"] = "Give either the space address or a base URL, not both."
    return fqdn, base_url


def required(values: FormValues, name: str, label: str, errors: FieldErrors) -> str:
    """The trimmed value of ``name``; records "<label> is required" when it is empty."""
    value = values.get(name)
    if not value:
        errors[name] = f"{label} is required."
    return value


def dataset_name(values: FormValues, errors: FieldErrors, name: str = "name") -> str:
    """A dataset or account name: required, at most 100 characters, no control characters."""
    value = required(values, name, "A name", errors)
    if value and len(value) > _NAME_MAX:
        errors[name] = f"Use at most {_NAME_MAX} characters (this one has {len(value)})."
    elif value and any(ord(c) < 32 for c in value):
        errors[name] = "Remove the control characters (tabs, line breaks) from the name."
    return value


def int_in_range(
    values: FormValues, name: str, label: str, errors: FieldErrors, *, low: int, high: int
) -> int:
    """A whole number between ``low`` and ``high`` (inclusive)."""
    raw = values.get(name)
    try:
        number = int(raw)
    except ValueError:
        errors[name] = f"{label} must be a whole number from {low} to {high}."
        return low
    if not low <= number <= high:
        errors[name] = f"{label} must be from {low} to {high} (got {number})."
    return number


def duration(values: FormValues, name: str, label: str, errors: FieldErrors) -> str:
    """A duration such as ``30s``, ``5m``, ``2h`` or ``1d``, normalised to that form."""
    raw = values.get(name)
    match = _DURATION.match(raw)
    if not match or int(match.group(1)) == 0:
        errors[name] = f"{label}: write a number and a unit, e.g. 30s, 5m, 2h or 1d."
        return raw
    return f"{int(match.group(1))}{match.group(2)}"


def clock_time(values: FormValues, name: str, errors: FieldErrors) -> str:
    """A time of day ``HH:MM`` (24-hour clock), normalised to two-digit hours."""
    raw = values.get(name)
    match = _TIME.match(raw)
    if not match:
        errors[name] = "Write the time as HH:MM on a 24-hour clock, e.g. 09:00 or 18:30."
        return raw
    return f"{int(match.group(1)):02d}:{match.group(2)}"


@lru_cache(maxsize=1)
def time_zones() -> tuple[str, ...]:
    """Every IANA time zone name known to this Python, sorted."""
    return tuple(sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC"))


def time_zone(values: FormValues, name: str, errors: FieldErrors) -> str:
    """An IANA time zone name such as ``Asia/Tokyo``; empty means the space's zone."""
    value = values.get(name)
    if value and value not in time_zones():
        errors[name] = f"Unknown time zone {value!r}: pick one from the list, e.g. Asia/Tokyo."
    return value


# --- schedules: the wizard's fields <-> the schedule strings of the CLI ------------------------


@dataclass(frozen=True)
class ScheduleFields:
    """The schedule as the form shows it: a mode and the fields of that mode."""

    mode: str = "manual"  # manual | basic | advanced
    kind: str = "every"  # basic only: every | daily | weekly
    every_n: str = "1"
    every_unit: str = "h"  # s | m | h
    at_time: str = "09:00"
    days: tuple[str, ...] = ("mon",)
    cron: str = "0 9 * * 1-5"


_EVERY = re.compile(r"^every\s+(\d+)\s*([smh])$")
_DAILY = re.compile(r"^daily\s+(\d{1,2}:\d{2})$")
_WEEKLY = re.compile(r"^weekly\s+([a-z,]+)\s+(\d{1,2}:\d{2})$")


def schedule_fields(spec: str) -> ScheduleFields:
    """Split a schedule string into form fields (an unrecognised one lands in the cron box
    as an advanced schedule so nothing is lost)."""
    text = " ".join(spec.strip().lower().split())
    if text in ("", "manual"):
        return ScheduleFields()
    if match := _EVERY.match(text):
        return ScheduleFields("basic", "every", match.group(1), match.group(2))
    if match := _DAILY.match(text):
        return ScheduleFields("basic", "daily", at_time=match.group(1))
    if match := _WEEKLY.match(text):
        days = tuple(d for d in match.group(1).split(",") if d)
        return ScheduleFields("basic", "weekly", at_time=match.group(2), days=days)
    if text.startswith("cron "):
        return ScheduleFields("advanced", cron=spec.strip()[5:].strip())
    return ScheduleFields("advanced", cron=spec.strip())


def schedule_spec(values: FormValues, errors: FieldErrors) -> str:
    """The schedule string (``manual``, ``every 2h``, ``daily 09:00``, ``weekly mon,thu 09:00``,
    ``cron 0 9 * * 1-5``) that the posted schedule fields describe."""
    mode = values.get("schedule_mode", "manual")
    if mode == "manual":
        return "manual"
    if mode == "advanced":
        cron = " ".join(values.get("cron").split())
        if len(cron.split()) != 5:
            errors["cron"] = (
                "A cron expression has five fields: minute hour day-of-month month day-of-week,"
                " e.g. 0 9 * * 1-5 (09:00 on weekdays)."
            )
        return f"cron {cron}"
    if mode != "basic":
        errors["schedule_mode"] = "Choose manual, basic or advanced."
        return "manual"
    kind = values.get("kind", "every")
    if kind == "every":
        n = int_in_range(values, "every_n", "The interval", errors, low=1, high=10_000)
        unit = values.get("every_unit", "h")
        if unit not in ("s", "m", "h"):
            errors["every_unit"] = "Choose seconds, minutes or hours."
        return f"every {n}{unit}"
    at = clock_time(values, "at_time", errors)
    if kind == "daily":
        return f"daily {at}"
    if kind == "weekly":
        days = [d for d in values.getlist("days") if d in _DAY_NAMES]
        if not days:
            errors["days"] = "Tick at least one day of the week."
        ordered = [d for d in _DAY_NAMES if d in days]
        return f"weekly {','.join(ordered)} {at}"
    errors["kind"] = "Choose every N minutes/hours, daily or weekly."
    return "manual"


# --- where a control-plane error belongs on a form ---------------------------------------------


def account_error_field(exc: BacklogConnectorError, *, uses_base_url: bool) -> str:
    """The account form field an error from adding or updating an account belongs to."""
    if isinstance(exc, AuthenticationError | PermissionDeniedError):
        return "api_key"
    if isinstance(exc, InvalidAddressError):
        return "base_url" if uses_base_url else "fqdn"
    if isinstance(exc, NameTakenError):
        return "name"
    return ""


# --- the new-dataset wizard ----------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One page of the wizard and the fields it owns."""

    number: int
    slug: str
    title: str
    fields: frozenset[str] = field(default_factory=frozenset)
    prefixes: tuple[str, ...] = ()

    def owns(self, name: str) -> bool:
        """Whether the field ``name`` is edited on this step."""
        return name in self.fields or any(name.startswith(p) for p in self.prefixes)


ACCOUNT_FIELDS = frozenset(
    {"account", "account_choice", "new_name", "fqdn", "base_url", "api_key", "api_key_in_query"}
)
SCHEDULE_FIELDS = frozenset(
    {"schedule_mode", "kind", "every_n", "every_unit", "at_time", "days", "cron", "timezone"}
)

STEPS: tuple[Step, ...] = (
    Step(1, "credentials", "Credentials", ACCOUNT_FIELDS),
    Step(2, "data", "Data selection", frozenset({"report", "skip_option_check"}), ("opt.",)),
    Step(3, "schedule", "Scheduling", SCHEDULE_FIELDS),
    Step(
        4,
        "update",
        "Update method and retry",
        frozenset({"update_mode", "retries", "retry_interval"}),
    ),
    Step(5, "name", "Name and destination", frozenset({"name", "description", "destination"})),
)


def step_by_number(number: int) -> Step:
    """The wizard step ``number`` (clamped to 1..5)."""
    return STEPS[min(max(number, 1), len(STEPS)) - 1]


def carried_fields(values: FormValues, step: Step) -> list[tuple[str, str]]:
    """The values of every other step, to carry along in hidden fields (never the API key
    being typed, nor the CSRF token and navigation fields that each page renders itself)."""
    skip = {"csrf_token", "step", "action", "api_key"}
    return [(k, v) for k, v in values.items() if k not in skip and not step.owns(k)]


def report_options(values: FormValues) -> dict[str, str]:
    """The posted report options (fields ``opt.<name>``) as the control plane takes them:
    list options joined with commas, empty ones left out."""
    options: dict[str, str] = {}
    for name in values.names():
        if not name.startswith("opt."):
            continue
        parts = values.getlist(name)
        if parts:
            options[name[4:]] = ",".join(parts)
    return options


def option_values(options: Mapping[str, object]) -> dict[str, list[str]]:
    """A saved dataset's options as the form shows them (lists split on commas)."""
    shown: dict[str, list[str]] = {}
    for name, value in options.items():
        if value is None:
            continue
        if isinstance(value, list | tuple):
            shown[name] = [str(v) for v in value]
        elif isinstance(value, bool):
            shown[name] = ["true" if value else "false"]
        else:
            shown[name] = [p.strip() for p in str(value).split(",") if p.strip()]
    return shown
