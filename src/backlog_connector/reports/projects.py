"""``projects``: the space's projects, all, active or archived."""

from __future__ import annotations

from collections.abc import Iterator

from backlog_connector.backlog.shapes import get_list
from backlog_connector.reports.base import OptionSpec, RunContext, TableBatch
from backlog_connector.reports.batching import batches_of
from backlog_connector.reports.columns import TableShape, field
from backlog_connector.reports.common import ALL_PROJECTS, CatalogReport, counted
from backlog_connector.reports.values import BOOL, INT, STRING

PROJECT_FLAGS = (
    "chartEnabled",
    "useResolvedForChart",
    "subtaskingEnabled",
    "projectLeaderCanEditProjectLeader",
    "useWiki",
    "useDocument",
    "useFileSharing",
    "useWikiTreeView",
    "useSubversion",
    "useGit",
    "useOriginalImageSizeAtWiki",
    "useDevAttributes",
    "grandchildIssueEnabled",
    "archived",
)

PROJECTS_TABLE = TableShape(
    "",
    (
        field("id", INT),
        field("projectKey", STRING),
        field("name", STRING),
        field("textFormattingRule", STRING),
        field("displayOrder", INT),
        *(field(flag, BOOL) for flag in PROJECT_FLAGS),
    ),
    extra=True,
    key=("id",),
    description="one row per project with its settings",
)

#: option value -> the ``archived`` query parameter of GET /projects (None: not sent)
ARCHIVED_PARAM = {"all": None, "active": "false", "archived": "true"}


class ProjectsReport(CatalogReport):
    name = "projects"
    title = "Projects"
    description = "The projects of the space with their settings."
    options = (
        OptionSpec(
            "archived",
            "which projects: all, active or archived",
            kind="choice",
            choices=tuple(ARCHIVED_PARAM),
            default="all",
        ),
    )
    tables = (PROJECTS_TABLE.spec(),)

    def read(self, ctx: RunContext) -> Iterator[TableBatch]:
        archived = ARCHIVED_PARAM[ctx.options.get("archived") or "all"]
        params = dict(ALL_PROJECTS) if archived is None else {**ALL_PROJECTS, "archived": archived}
        rows = get_list(ctx.client, "/projects", params)
        yield from batches_of(PROJECTS_TABLE, counted(ctx, [rows]), space=ctx.space)
