"""What most reports share: option validation, project selection, progress-reporting pages."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sized
from typing import Any, ClassVar, TypeVar

from backlog_connector.backlog.errors import InvalidOptionError
from backlog_connector.backlog.shapes import get_list
from backlog_connector.reports.base import OptionSpec, ProgressEvent, Report, RunContext
from backlog_connector.reports.batching import BATCH_ROWS
from backlog_connector.reports.columns import Row
from backlog_connector.reports.options import Parser, parse_projects, sample_of, validate_options

PROJECTS_OPTION = OptionSpec(
    "projects",
    "which projects: all (default), or project keys / numeric ids separated by commas",
    kind="list",
    default=None,
)
PROJECTS_PARSER: dict[str, Parser] = {"projects": parse_projects}

#: GET /projects answers an administrator with the joined projects only unless ``all=true``
#: (Backlog ignores the parameter for other roles), while the project picker lists them all
ALL_PROJECTS: dict[str, str] = {"all": "true"}


class CatalogReport(Report):
    """A report whose options are validated from its ``OptionSpec``s (plus ``parsers``)."""

    parsers: ClassVar[Mapping[str, Parser]] = {}

    def __init__(self, *, batch_rows: int = BATCH_ROWS) -> None:
        #: rows per yielded batch (memory bound); tests lower it to interleave with paging
        self.batch_rows = batch_rows

    def validate_options(self, raw: Mapping[str, str]) -> dict[str, Any]:
        return validate_options(self.name, self.options, raw, self.parsers)

    def describe(self) -> dict[str, Any]:
        """Plain data for a catalog listing (``backlog-connector reports``)."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "options": [
                {
                    "name": o.name,
                    "description": o.description,
                    "kind": o.kind,
                    "choices": list(o.choices),
                    "default": o.default,
                    "required": o.required,
                }
                for o in self.options
            ],
            "key": list(self.key),
            "update_modes": [m.value for m in self.update_modes],
            "default_update_mode": self.default_update_mode.value,
            "incremental": self.incremental,
            "tables": [t.suffix for t in self.tables],
        }


def resolve_projects(ctx: RunContext, selector: list[int | str] | None) -> list[Row]:
    """The project objects chosen by the ``projects`` option (None = every visible project).

    An unknown key or id is an ``InvalidOptionError`` that lists the keys that do exist.
    """
    projects: list[Row] = get_list(ctx.client, "/projects", ALL_PROJECTS)
    if selector is None:
        return projects
    by_id = {p.get("id"): p for p in projects}
    by_key = {str(p.get("projectKey", "")).upper(): p for p in projects}
    chosen: list[Row] = []
    for item in selector:
        project = by_id.get(item) if isinstance(item, int) else by_key.get(item.upper())
        if project is None:
            keys = sample_of(sorted(k for k in by_key if k))
            raise InvalidOptionError(
                f"Option 'projects': no project {item!r} is visible to this account. "
                f"Projects it can see: {keys}."
            )
        if project not in chosen:
            chosen.append(project)
    return chosen


#: a page of rows: their list, or a natively parsed page
PageT = TypeVar("PageT", bound=Sized)


def counted(ctx: RunContext, pages: Iterable[PageT]) -> Iterator[PageT]:
    """Pass pages through, counting rows into ``ctx.rows_read`` and reporting progress."""
    for number, page in enumerate(pages, start=1):
        ctx.rows_read += len(page)
        ctx.progress(ProgressEvent("page", rows=ctx.rows_read, pages=number))
        yield page


def as_rows(value: Any) -> list[Row]:
    """The objects of a JSON list (anything else in it is ignored)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def tagged(rows: list[Row], **extra: Any) -> list[Row]:
    """Copies of ``rows`` with ``extra`` keys added (e.g. the project a list belongs to)."""
    return [{**row, **extra} for row in rows]
