"""The ``issues`` report's filter options and their translation into ``GET /issues`` params.

Statuses, issue types, categories, milestones and assignees may be given by numeric id or by
name; names are looked up in the chosen projects at run time (``resolve_filter``), and an
unknown name is an ``InvalidOptionError`` that lists some of the names that exist. Saving a
dataset runs the same resolution (``datasets.option_check``), so a name a run would refuse is
refused when the dataset is created or changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from backlog_connector.backlog.errors import InvalidOptionError
from backlog_connector.backlog.shapes import get_list
from backlog_connector.reports.base import OptionSpec, RunContext
from backlog_connector.reports.columns import Row
from backlog_connector.reports.common import PROJECTS_OPTION, PROJECTS_PARSER
from backlog_connector.reports.options import Parser, parse_ids_or_names, sample_of

Params = list[tuple[str, Any]]

#: option value -> Backlog's ``parentChild`` parameter
PARENT_CHILD = {
    "all": 0,
    "not_child": 1,
    "child": 2,  # a child or grandchild
    "standalone": 3,
    "parent": 4,
    # three-level spaces (grandchildIssueEnabled)
    "grandchild": 5,
    "child_only": 6,
    "top_level": 7,
    "not_grandchild": 8,
    "not_top_level": 9,
    "leaf": 10,
}


@dataclass(frozen=True)
class NamedFilter:
    """A filter option whose items are ids or names of a per-project list."""

    option: str
    param: str
    path: str  # under /projects/:id
    what: str
    names: Callable[[Row], Iterable[Any]] = lambda row: (row.get("name"),)


NAMED_FILTERS = (
    NamedFilter("statuses", "statusId[]", "/statuses", "status"),
    NamedFilter("issue_types", "issueTypeId[]", "/issueTypes", "issue type"),
    NamedFilter("categories", "categoryId[]", "/categories", "category"),
    NamedFilter("milestones", "milestoneId[]", "/versions", "milestone"),
    NamedFilter(
        "assignees",
        "assigneeId[]",
        "/users",
        "user",
        lambda row: (row.get("userId"), row.get("name")),
    ),
)
#: option name -> its filter
NAMED_BY_OPTION = {f.option: f for f in NAMED_FILTERS}

DATE_FILTERS = (
    ("created_since", "createdSince"),
    ("created_until", "createdUntil"),
    ("updated_since", "updatedSince"),
    ("updated_until", "updatedUntil"),
)

ISSUE_OPTIONS: tuple[OptionSpec, ...] = (
    PROJECTS_OPTION,
    *(
        OptionSpec(f.option, f"only these {f.what} ids or names, comma-separated", kind="list")
        for f in NAMED_FILTERS
    ),
    *(
        OptionSpec(name, f"{name.replace('_', ' ')} date, yyyy-MM-dd", kind="date")
        for name, _param in DATE_FILTERS
    ),
    OptionSpec("keyword", "free-text search, as in Backlog's issue search"),
    OptionSpec(
        "parent_child",
        "parent/child issues: " + ", ".join(PARENT_CHILD),
        kind="choice",
        choices=tuple(PARENT_CHILD),
        default="all",
    ),
    OptionSpec(
        "has_due_date",
        "false: only issues without a due date (Backlog's hasDueDate supports only false)",
        kind="bool",
    ),
)

ISSUE_PARSERS: dict[str, Parser] = {
    **PROJECTS_PARSER,
    **{f.option: parse_ids_or_names for f in NAMED_FILTERS},
}


def check_dates(options: dict[str, Any]) -> None:
    """A since date after its until date can match nothing: say so instead; and
    ``has_due_date=true``, which Backlog refuses, is refused here with the fix."""
    if options.get("has_due_date") is True:
        raise InvalidOptionError(
            "Option 'has_due_date': Backlog's issue search supports only false (issues "
            "without a due date); for issues with one, drop the option and filter on due_date."
        )
    for field in ("created", "updated"):
        since, until = options.get(f"{field}_since"), options.get(f"{field}_until")
        if since and until and since > until:
            raise InvalidOptionError(
                f"Option '{field}_since' ({since}) is after '{field}_until' ({until}); "
                "swap them or drop one."
            )


def search_params(ctx: RunContext, projects: list[Row], *, all_projects: bool) -> Params:
    """The filter parameters of ``GET /issues`` and ``/issues/count`` for ``ctx.options``."""
    options = ctx.options
    params: Params = []
    if not all_projects:
        params += [("projectId[]", p["id"]) for p in projects]
    for spec in NAMED_FILTERS:
        items = options.get(spec.option)
        if items:
            params += [(spec.param, i) for i in resolve_filter(ctx, spec, projects, items)]
    for option, param in DATE_FILTERS:
        if options.get(option):
            params.append((param, options[option]))
    if options.get("keyword"):
        params.append(("keyword", options["keyword"]))
    parent_child = PARENT_CHILD[options.get("parent_child") or "all"]
    if parent_child:
        params.append(("parentChild", parent_child))
    if options.get("has_due_date") is False:
        params.append(("hasDueDate", False))
    return params


def filter_rows(ctx: RunContext, spec: NamedFilter, projects: list[Row]) -> list[Row]:
    """The rows of ``spec``'s list in each chosen project (one request per project), each
    tagged with ``_project`` (its key): what names are resolved against, and what the
    wizard's pickers offer."""
    rows: list[Row] = []
    for project in projects:
        key = project.get("projectKey")
        for row in get_list(ctx.client, f"/projects/{project['id']}{spec.path}"):
            rows.append({**row, "_project": key})
    return rows


def resolve_names(spec: NamedFilter, items: list[int | str], rows: list[Row]) -> list[int]:
    """The ids that ``items`` (ids, or names matched case-insensitively) stand for among
    ``rows``: a name may stand for several ids (an issue type "Bug" in each project). An
    unknown name is an ``InvalidOptionError`` naming a few of the names that exist."""
    ids = [i for i in items if isinstance(i, int)]
    wanted = [i for i in items if isinstance(i, str)]
    if not wanted:
        return ids
    known: dict[str, list[int]] = {}
    shown: dict[str, None] = {}
    for row in rows:
        for name in spec.names(row):
            if name is not None and isinstance(row.get("id"), int):
                known.setdefault(str(name).casefold(), []).append(row["id"])
                shown.setdefault(str(name))
    for name in wanted:
        found = known.get(name.casefold())
        if found is None:
            raise InvalidOptionError(
                f"Option {spec.option!r}: no {spec.what} named {name!r} in the chosen projects. "
                f"Known: {sample_of(sorted(shown, key=str.casefold))} (or give numeric ids)."
            )
        ids.extend(i for i in found if i not in ids)
    return ids


def resolve_filter(
    ctx: RunContext, spec: NamedFilter, projects: list[Row], items: list[int | str]
) -> list[int]:
    """The ids of ``spec``'s filter items in ``projects``: the lists are read only when a
    name needs resolving (a run and the check on saving share this)."""
    if not any(isinstance(i, str) for i in items):
        return [i for i in items if isinstance(i, int)]
    return resolve_names(spec, items, filter_rows(ctx, spec, projects))
