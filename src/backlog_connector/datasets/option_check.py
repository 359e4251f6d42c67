"""Report options checked against the space when a dataset is saved, and the values the
wizard's pickers offer.

A run resolves the names of its filters (projects, statuses, issue types, categories,
milestones, assignees; the flow reports' start and closed status) in the space and refuses an
unknown one. Saving a dataset runs that same resolution (``reports.common.resolve_projects``,
``reports.issue_filters.resolve_filter``, ``reports.flow.resolve_status``), so what a run would
refuse is refused now, with the names that do exist. It is cheap: nothing is asked when the
options name nothing (ids and the defaults need no lookup), else one request per list (the
projects, then each chosen project's list), each read once per check.

When the space cannot be reached, saving is refused (``SpaceUncheckedError``) rather than
saving names nobody checked; the message says how to save anyway: ``--no-check-options`` (CLI),
``"check_options": false`` (API), the form's "Save without checking the names" box (web).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from backlog_connector.backlog.errors import InvalidOptionError, RetryLaterError
from backlog_connector.datasets.errors import UnknownNameError
from backlog_connector.datasets.plane import PlaneCore, address_of

if TYPE_CHECKING:
    from backlog_connector.reports.base import Report, RunContext

#: how to save without the check, on each surface
SKIP_HINT = (
    'save without checking: --no-check-options (CLI), "check_options": false (API), or'
    ' untick "Check the names against the space" (web)'
)
#: the flow reports' options that name one status
STATUS_OPTIONS = ("start_status", "closed_status")


class SpaceUncheckedError(RetryLaterError):
    """The space could not be reached to check a dataset's options; nothing was saved."""


def pickable_options() -> tuple[str, ...]:
    """The options whose values the pickers can list: projects and the issue filters."""
    from backlog_connector.reports.issue_filters import NAMED_BY_OPTION

    return ("projects", *NAMED_BY_OPTION)


def check_in_space(ctx: RunContext, report: Report) -> None:
    """Resolve the names ``ctx.options`` (validated for ``report``) gives, as a run would;
    raise the run's ``InvalidOptionError`` for one the space lacks. No request when the
    options name nothing."""
    from backlog_connector.reports.common import resolve_projects
    from backlog_connector.reports.flow import resolve_status
    from backlog_connector.reports.issue_filters import NAMED_BY_OPTION, resolve_filter
    from backlog_connector.reports.timeline import ProjectStatuses

    accepted = {o.name for o in report.options}
    options = ctx.options
    named = [
        (spec, options[name])
        for name, spec in NAMED_BY_OPTION.items()
        if name in accepted and any(isinstance(i, str) for i in options.get(name) or ())
    ]
    statuses = [
        (name, options[name])
        for name in STATUS_OPTIONS
        if name in accepted and isinstance(options.get(name), str) and not options[name].isdigit()
    ]
    selector = options.get("projects") if "projects" in accepted else None
    if selector is None and not named and not statuses:
        return
    projects = resolve_projects(ctx, selector)
    for spec, items in named:
        resolve_filter(ctx, spec, projects, items)
    if statuses:
        known = ProjectStatuses(ctx)
        for name, value in statuses:
            for project in projects:
                resolve_status(known, project, name, value, 0)


def picker_values(
    ctx: RunContext, option: str, projects: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """What the picker of the issue filter ``option`` offers in ``projects``: one entry per
    name (case-insensitively), with its ids and the projects it is in, sorted by name."""
    from backlog_connector.reports.issue_filters import NAMED_BY_OPTION, filter_rows

    spec = NAMED_BY_OPTION[option]
    by_name: dict[str, dict[str, Any]] = {}
    for row in filter_rows(ctx, spec, projects):
        name = row.get("name")
        if not isinstance(name, str) or not name or not isinstance(row.get("id"), int):
            continue
        entry = by_name.setdefault(name.casefold(), {
            "value": name, "label": name, "ids": [], "projects": [],
            "detail": row.get("userId") if option == "assignees" else None,
        })  # fmt: skip
        if row["id"] not in entry["ids"]:
            entry["ids"].append(row["id"])
        if row.get("_project") and row["_project"] not in entry["projects"]:
            entry["projects"].append(row["_project"])
    return sorted(by_name.values(), key=lambda e: str(e["value"]).casefold())


class OptionCheckMixin(PlaneCore):
    """Options checked against the space, and picker values (see ``ControlPlane``)."""

    def check_options_in_space(self, account: str, report: str, options: Mapping[str, Any]) -> None:
        """Raise what a run would raise for a name in ``options`` that the account's space
        lacks (``InvalidOptionError`` naming a few valid ones), or ``SpaceUncheckedError``
        when the space cannot be reached; change nothing."""
        from backlog_connector.reports.catalog import get_report

        spec = get_report(report)
        validated = spec.validate_options({str(k): str(v) for k, v in options.items()})
        with self._space_context(account, validated) as ctx:
            check_in_space(ctx, spec)

    def option_values(
        self, account: str, option: str, projects: str | Sequence[str] | None = None
    ) -> list[dict[str, Any]]:
        """The values the picker of ``option`` offers for the account: ``projects`` (keys),
        or statuses, issue types, categories, milestones, assignees of the chosen projects
        (keys or ids; None or "all": every project the account sees). Each value is
        ``{"value", "label", "ids", "projects", "detail"}``; ``value`` is what the option
        takes."""
        from backlog_connector.reports.common import resolve_projects
        from backlog_connector.reports.options import OptionValueError, parse_projects

        if option not in pickable_options():
            raise UnknownNameError(
                f"no picker for the option {option!r}; pickers exist for:"
                f" {', '.join(pickable_options())}"
            )
        text = projects if isinstance(projects, str) or projects is None else ",".join(projects)
        try:
            selector = parse_projects(text or "all")
        except OptionValueError as exc:
            raise InvalidOptionError(f"invalid projects {text!r}: {exc}") from None
        with self._space_context(account, {}) as ctx:
            chosen = resolve_projects(ctx, None if option == "projects" else selector)
            if option == "projects":
                return [
                    {"value": p.get("projectKey"), "label": p.get("name"), "ids": [p.get("id")],
                     "projects": [p.get("projectKey")],
                     "detail": "archived" if p.get("archived") else None}
                    for p in chosen
                ]  # fmt: skip
            return picker_values(ctx, option, chosen)

    @contextmanager
    def _space_context(self, account: str, options: dict[str, Any]) -> Iterator[RunContext]:
        """A run context over a client of the account; transient failures to reach the space
        become ``SpaceUncheckedError`` naming the space and how to skip the check."""
        from backlog_connector.backlog.client import BacklogClient, user_key_for
        from backlog_connector.backlog.retry import RetryBudget, RetryPolicy
        from backlog_connector.reports.base import RunContext

        with self._sessions() as s:
            row = self._account(s, account)
            address = address_of(row)
            creds = self._credentials(row)
            user_id = row.user_id
        # a short allowance: a person waits on this check (a run retries far longer)
        client = BacklogClient(
            address, creds, account_name=account,
            user_key=user_key_for(address, {"id": user_id}) if user_id is not None else None,
            retry=RetryPolicy(max_attempts=3, max_seconds=20.0), timeout=20.0,
            retry_budget=RetryBudget(retries=0, seconds=0.0),
        )  # fmt: skip
        try:
            with client:
                yield RunContext(client=client, options=options, space=address.fqdn)
        except SpaceUncheckedError:
            raise
        except RetryLaterError as exc:
            raise SpaceUncheckedError(
                f"could not reach the space {address.fqdn} to check the option names"
                f" ({exc}); nothing was saved. Try again when it answers, or {SKIP_HINT}"
            ) from None
