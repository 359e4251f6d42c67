"""The catalog, option validation and custom-field column planning (no server needed)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from backlog_connector.backlog.errors import InvalidOptionError
from backlog_connector.reports.base import UpdateMode
from backlog_connector.reports.catalog import REPORTS, get_report
from backlog_connector.reports.custom_fields import plan_columns, table_columns

ORIGINAL_NINE = [
    "space",
    "projects",
    "users",
    "teams",
    "issue_types",
    "categories",
    "issues",
    "recent_updates",
    "rate_limit",
]
BEYOND = [
    "statuses",
    "priorities",
    "resolutions",
    "versions",
    "custom_fields",
    "comments",
    "issue_status_history",
]
REST_OF_THE_API = ["git_repositories", "pull_requests", "wikis", "documents", "project_members"]
DERIVED = ["cycle_times", "cumulative_flow", "throughput"]


def test_catalog_holds_every_report_with_a_sound_spec() -> None:
    assert [n for n in REPORTS if n not in DERIVED] == ORIGINAL_NINE + BEYOND + REST_OF_THE_API
    assert list(REPORTS)[-len(DERIVED) :] == DERIVED  # the derived reports close the catalog
    for name, report in REPORTS.items():
        assert report.name == name
        assert report.default_update_mode in report.update_modes
        assert report.tables[0].suffix == ""
        for table in report.tables:
            names = table.schema.names
            assert "_space" in names
            assert all(k in names for k in (*table.key, *table.parent_key))
            assert all(n == n.lower() for n in names), names


def test_update_modes_per_report() -> None:
    assert REPORTS["issues"].update_modes[0] is UpdateMode.MERGE
    assert REPORTS["issues"].default_update_mode is UpdateMode.MERGE
    assert set(REPORTS["issues"].update_modes) == set(UpdateMode)
    assert REPORTS["recent_updates"].default_update_mode is UpdateMode.APPEND
    assert set(REPORTS["recent_updates"].update_modes) == {UpdateMode.APPEND, UpdateMode.MERGE}
    assert REPORTS["comments"].default_update_mode is UpdateMode.MERGE
    for snapshot in ("space", "rate_limit"):
        assert set(REPORTS[snapshot].update_modes) == {UpdateMode.REPLACE, UpdateMode.APPEND}


def test_unknown_report_lists_the_valid_names() -> None:
    with pytest.raises(InvalidOptionError) as caught:
        get_report("isues")
    assert "isues" in str(caught.value)
    assert all(name in str(caught.value) for name in ORIGINAL_NINE)
    assert get_report(" Issues ") is REPORTS["issues"]


def test_defaults_fill_in() -> None:
    assert REPORTS["projects"].validate_options({}) == {"archived": "all"}
    issues = REPORTS["issues"].validate_options({})
    assert issues["projects"] is None
    assert issues["parent_child"] == "all"


def test_good_values_are_typed() -> None:
    options = REPORTS["issues"].validate_options(
        {
            "projects": "blg, 12",
            "statuses": "1, In Progress",
            "created_since": "2025-01-01",
            "keyword": "login",
            "parent_child": "Parent",
        }
    )
    assert options["projects"] == ["BLG", 12]
    assert options["statuses"] == [1, "In Progress"]
    assert options["created_since"] == "2025-01-01"
    assert options["parent_child"] == "parent"
    assert REPORTS["recent_updates"].validate_options({"activity_types": "1,2, 3"}) == {
        "activity_types": [1, 2, 3]
    }
    assert REPORTS["categories"].validate_options({"projects": "all"}) == {"projects": None}


@pytest.mark.parametrize(
    ("report", "raw", "fragments"),
    [
        ("projects", {"archive": "all"}, ["'archive'", "Accepted options: archived"]),
        ("projects", {"archived": "yes"}, ["'archived'", "all, active, archived", "'yes'"]),
        ("space", {"x": "1"}, ["'x'", "Accepted options: none"]),
        ("issues", {"created_since": "01/02/2025"}, ["created_since", "yyyy-MM-dd"]),
        ("issues", {"parent_child": "kids"}, ["parent_child", "not_child"]),
        ("issues", {"projects": "a-b"}, ["projects", "project key"]),
        (
            "issues",
            {"updated_since": "2025-02-01", "updated_until": "2025-01-01"},
            ["updated_since", "updated_until"],
        ),
        ("recent_updates", {"activity_types": "1,999"}, ["999", "Issue created"]),
        ("recent_updates", {"activity_types": "one"}, ["activity_types", "numeric ids"]),
    ],
)
def test_bad_options_name_the_problem_and_the_fix(
    report: str, raw: dict[str, str], fragments: list[str]
) -> None:
    with pytest.raises(InvalidOptionError) as caught:
        REPORTS[report].validate_options(raw)
    for fragment in fragments:
        assert fragment in str(caught.value), str(caught.value)


def test_custom_field_columns_are_unique_stable_and_typed() -> None:
    definitions = [
        {"id": 30, "projectId": 2, "typeId": 5, "name": "Severity"},
        {"id": 10, "projectId": 1, "typeId": 6, "name": "Severity"},  # same name, list: shared
        {"id": 20, "projectId": 1, "typeId": 3, "name": "Severity"},  # numeric: must differ
        {"id": 40, "projectId": 1, "typeId": 4, "name": "Due (JST)"},
        {"id": 50, "projectId": 1, "typeId": 1, "name": "!!!"},
        {"id": 60, "projectId": 1, "typeId": 1, "name": "見積もり"},
    ]
    planned = plan_columns(definitions)
    by_name = {c.name: c for c in planned}
    assert set(by_name) == {"cf_severity", "cf_severity_20", "cf_due_jst", "cf_50", "cf_見積もり"}
    assert by_name["cf_severity"].field_ids == (10, 30)
    types = {c.name: c.type for c in table_columns(planned)}
    assert types["cf_severity_20"] == pa.float64()
    assert types["cf_due_jst"] == pa.date32()
    assert types["cf_severity"] == pa.string()
    assert plan_columns(list(reversed(definitions))) == planned
