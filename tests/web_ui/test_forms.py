"""The wizard's form helpers: schedule fields <-> schedule strings, validators, step state."""

from __future__ import annotations

import pytest

from backlog_connector.backlog.address import SpaceAddress
from backlog_connector.backlog.errors import AuthenticationError, InvalidAddressError
from backlog_connector.datasets.schedules import parse_schedule
from backlog_connector.web import forms
from backlog_connector.web.account_pages import is_cloud_address
from backlog_connector.web.forms import FormValues


def values(**fields: str | list[str]) -> FormValues:
    pairs: list[tuple[str, str]] = []
    for name, value in fields.items():
        for v in value if isinstance(value, list) else [value]:
            pairs.append((name, v))
    return FormValues(pairs)


@pytest.mark.parametrize(
    ("fields", "spec"),
    [
        ({"schedule_mode": "manual"}, "manual"),
        (
            {"schedule_mode": "basic", "kind": "every", "every_n": "15", "every_unit": "m"},
            "every 15m",
        ),
        ({"schedule_mode": "basic", "kind": "daily", "at_time": "9:05"}, "daily 09:05"),
        (
            {
                "schedule_mode": "basic",
                "kind": "weekly",
                "days": ["thu", "mon"],
                "at_time": "18:30",
            },
            "weekly mon,thu 18:30",
        ),
        ({"schedule_mode": "advanced", "cron": " 0  9 * * 1-5 "}, "cron 0 9 * * 1-5"),
    ],
)
def test_schedule_spec_builds_what_the_scheduler_accepts(
    fields: dict[str, str | list[str]], spec: str
) -> None:
    errors: forms.FieldErrors = {}
    built = forms.schedule_spec(values(**fields), errors)
    assert errors == {}
    assert built == spec
    assert parse_schedule(built, min_interval_seconds=60).spec == spec
    # and the edit form shows the same schedule again
    shown = forms.schedule_fields(built)
    assert shown.mode == fields["schedule_mode"]


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"schedule_mode": "basic", "kind": "every", "every_n": "abc"}, "every_n", "whole number"),
        ({"schedule_mode": "basic", "kind": "daily", "at_time": "25:00"}, "at_time", "HH:MM"),
        ({"schedule_mode": "basic", "kind": "weekly", "at_time": "09:00"}, "days", "Tick"),
        ({"schedule_mode": "advanced", "cron": "0 9 *"}, "cron", "five fields"),
        ({"schedule_mode": "sometimes"}, "schedule_mode", "manual, basic or advanced"),
    ],
)
def test_schedule_errors_name_the_field_and_the_fix(
    fields: dict[str, str | list[str]], field: str, words: str
) -> None:
    errors: forms.FieldErrors = {}
    forms.schedule_spec(values(**fields), errors)
    assert words in errors[field]


def test_schedule_fields_keep_an_unknown_spec_as_cron() -> None:
    shown = forms.schedule_fields("cron 5 4 * * sun")
    assert (shown.mode, shown.cron) == ("advanced", "5 4 * * sun")
    assert forms.schedule_fields("weekly mon,fri 07:00").days == ("mon", "fri")
    assert forms.schedule_fields("every 2h").every_n == "2"


def test_validators() -> None:
    errors: forms.FieldErrors = {}
    assert forms.duration(values(w=" 5 m"), "w", "Wait", errors) == "5m"
    assert forms.int_in_range(values(r="3"), "r", "Retries", errors, low=0, high=10) == 3
    assert errors == {}
    forms.int_in_range(values(r="11"), "r", "Retries", errors, low=0, high=10)
    forms.duration(values(w="soon"), "w", "Wait", errors)
    forms.dataset_name(values(name="x" * 101), errors)
    forms.time_zone(values(tz="Mars/Olympus"), "tz", errors)
    assert "from 0 to 10" in errors["r"]
    assert "30s, 5m" in errors["w"]
    assert "at most 100" in errors["name"]
    assert "Asia/Tokyo" in errors["tz"]
    assert "Asia/Tokyo" in forms.time_zones()


def test_report_options_join_lists_and_drop_empty_ones() -> None:
    posted = values(**{"opt.projects": ["PRJ", "SALES"], "opt.keyword": "", "report": "issues"})
    assert forms.report_options(posted) == {"projects": "PRJ,SALES"}
    assert forms.option_values({"projects": "PRJ,SALES", "archived": None}) == {
        "projects": ["PRJ", "SALES"]
    }


def test_carried_fields_never_carry_the_api_key_or_the_current_step() -> None:
    posted = values(
        account="acme",
        api_key="secret-key",
        report="issues",
        csrf_token="t",
        step="2",
        **{"opt.projects": "PRJ"},
    )
    step = forms.step_by_number(2)
    carried = forms.carried_fields(posted, step)
    assert ("account", "acme") in carried
    assert all(
        name not in ("api_key", "csrf_token", "step", "report", "opt.projects")
        for name, _ in carried
    )


def test_account_errors_land_next_to_their_field() -> None:
    assert forms.account_error_field(AuthenticationError("bad key"), uses_base_url=False) == (
        "api_key"
    )
    assert forms.account_error_field(InvalidAddressError("bad"), uses_base_url=False) == "fqdn"
    assert forms.account_error_field(InvalidAddressError("bad"), uses_base_url=True) == ("base_url")


@pytest.mark.parametrize(
    ("space", "base_url", "cloud"),
    [
        ("acme.backlog.com", "https://acme.backlog.com", True),
        ("acme.backlog.jp", "https://acme.backlog.jp", True),
        ("acme.backlogtool.com", "https://acme.backlogtool.com", True),
        # a deeper host under a cloud domain is no cloud space: parse_fqdn refuses it, so the
        # edit page must offer it as a base URL, not as an FQDN that cannot be saved again
        ("team.acme.backlog.com", "https://team.acme.backlog.com", False),
        ("acme.backlog.com", "https://acme.backlog.com/proxy", False),
        ("127.0.0.1:8000", "http://127.0.0.1:8000", False),
        ("backlog.example.com", "https://backlog.example.com", False),
    ],
)
def test_accounts_edited_by_fqdn_are_exactly_the_cloud_addresses(
    space: str, base_url: str, cloud: bool
) -> None:
    assert is_cloud_address(space, base_url) is cloud
    try:
        fqdn_ok = SpaceAddress.parse_fqdn(space).base_url == base_url
    except InvalidAddressError:
        fqdn_ok = False
    assert fqdn_ok is cloud  # the same rule as the address parser's
