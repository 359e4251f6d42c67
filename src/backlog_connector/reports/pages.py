"""``wikis`` (the Wiki page list of each project) and ``documents`` (the Document API).

The Wiki list and ``wikis/count`` are in Backlog's *search* rate category (150 a minute on paid
plans), so a run asks each project once for its list and once for its count; a difference
marks the run incomplete. Documents come from ``GET /documents`` with offset paging over the
chosen projects, oldest first.
"""

from __future__ import annotations

from collections.abc import Iterator

from backlog_connector.backlog.shapes import get_list, get_object
from backlog_connector.reports.base import RunContext, TableBatch, UpdateMode
from backlog_connector.reports.batching import batches_of
from backlog_connector.reports.columns import (
    Row,
    TableShape,
    count_of,
    derived,
    field,
    names_of,
    user_fields,
)
from backlog_connector.reports.common import (
    PROJECTS_OPTION,
    PROJECTS_PARSER,
    CatalogReport,
    counted,
    resolve_projects,
)
from backlog_connector.reports.values import INT, STRING, TIMESTAMP

PAGE_SIZE = 100

WIKIS_TABLE = TableShape(
    "",
    (
        field("id", INT),
        field("projectId", INT),
        field("projectKey", STRING),
        field("name", STRING),
        derived("tag_names", STRING, names_of("tags"), sources=("tags",)),
        *user_fields("createdUser"),
        field("created", TIMESTAMP),
        *user_fields("updatedUser"),
        field("updated", TIMESTAMP),
    ),
    extra=True,
    key=("id",),
    description="one row per Wiki page of the chosen projects (the page list: no content)",
)

DOCUMENTS_TABLE = TableShape(
    "",
    (
        field("id", STRING),
        field("projectId", INT),
        field("projectKey", STRING),
        field("title", STRING),
        field("plain", STRING),
        field("json", STRING),
        field("statusId", INT),
        field("emoji", STRING),
        derived("tag_names", STRING, names_of("tags"), sources=("tags",)),
        derived("attachment_count", INT, count_of("attachments"), sources=("attachments",)),
        *user_fields("createdUser"),
        field("created", TIMESTAMP),
        *user_fields("updatedUser"),
        field("updated", TIMESTAMP),
    ),
    extra=True,
    key=("id",),
    description="one row per document of the chosen projects (plain text and JSON body)",
)


class WikisReport(CatalogReport):
    name = "wikis"
    title = "Wiki pages"
    description = (
        "The Wiki page list of the chosen projects (name, tags, who and when); the list "
        "and count requests are in Backlog's search rate category."
    )
    options = (PROJECTS_OPTION,)
    parsers = PROJECTS_PARSER
    tables = (WIKIS_TABLE.spec(),)

    def read(self, ctx: RunContext) -> Iterator[TableBatch]:
        projects = resolve_projects(ctx, ctx.options.get("projects"))
        problems: list[str] = []

        def pages() -> Iterator[list[Row]]:
            for project in projects:
                if project.get("useWiki") is False:
                    continue
                where = {"projectIdOrKey": project["id"]}
                rows = get_list(ctx.client, "/wikis", where)
                expected = get_object(ctx.client, "/wikis/count", where, keys=("count",))
                if expected["count"] != len(rows):
                    problems.append(
                        f"{project.get('projectKey')}: listed {len(rows)}, "
                        f"count {expected['count']}"
                    )
                yield [{**r, "projectKey": project.get("projectKey")} for r in rows]

        yield from batches_of(WIKIS_TABLE, counted(ctx, pages()), space=ctx.space)
        ctx.complete = not problems
        if problems:
            ctx.incomplete_reason = "Wiki pages changed during the run: " + "; ".join(problems)


class DocumentsReport(CatalogReport):
    name = "documents"
    title = "Documents"
    description = "The documents (Document API) of the chosen projects, oldest first."
    options = (PROJECTS_OPTION,)
    parsers = PROJECTS_PARSER
    tables = (DOCUMENTS_TABLE.spec(),)
    update_modes = (UpdateMode.REPLACE, UpdateMode.APPEND, UpdateMode.MERGE)

    def read(self, ctx: RunContext) -> Iterator[TableBatch]:
        projects = [
            p
            for p in resolve_projects(ctx, ctx.options.get("projects"))
            if p.get("useDocument") is not False
        ]
        if not projects:
            return
        keys = {p["id"]: p.get("projectKey") for p in projects}
        params = [
            *(("projectId[]", p["id"]) for p in projects),
            ("sort", "created"),
            ("order", "asc"),
        ]
        pages = (
            [{**d, "projectKey": keys.get(d.get("projectId"))} for d in page]
            for page in ctx.client.iter_offset("/documents", params, page_size=PAGE_SIZE)
        )
        yield from batches_of(
            DOCUMENTS_TABLE, counted(ctx, pages), space=ctx.space, limit=self.batch_rows
        )
