"""``git_repositories`` and ``pull_requests`` (with their comments as a child table).

Pull requests are listed per repository with offset paging; Backlog has no ``updatedSince``
filter on them, so every run lists them all (they are few) but a merge run with a cursor keeps
only those updated at or after the repository's greatest ``updated`` of the last run, and reads
comments for those alone: the comment pages are where the requests go. Each repository's total
is checked against ``pullRequests/count``; a difference marks the run incomplete.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from backlog_connector.backlog.shapes import get_list, get_object
from backlog_connector.reports.base import OptionSpec, RunContext, TableBatch, UpdateMode
from backlog_connector.reports.batching import BatchBuffer, ChildTable, batches_of
from backlog_connector.reports.columns import (
    Lookup,
    Row,
    Rows,
    TableShape,
    count_of,
    derived,
    field,
    user_fields,
)
from backlog_connector.reports.common import (
    PROJECTS_OPTION,
    PROJECTS_PARSER,
    CatalogReport,
    as_rows,
    counted,
    resolve_projects,
)
from backlog_connector.reports.options import Parser, parse_ids_or_names
from backlog_connector.reports.sync import fingerprint, iso_timestamp
from backlog_connector.reports.values import INT, STRING, TIMESTAMP, parse_timestamp

CURSOR_VERSION = 1
PAGE_SIZE = 100

_PROJECT_COLUMNS = (field("projectId", INT), field("projectKey", STRING))

REPOSITORIES_TABLE = TableShape(
    "",
    (
        field("id", INT),
        *_PROJECT_COLUMNS,
        field("name", STRING),
        field("description", STRING),
        field("hookUrl", STRING),
        field("httpUrl", STRING),
        field("sshUrl", STRING),
        field("displayOrder", INT),
        field("pushedAt", TIMESTAMP),
        *user_fields("createdUser"),
        field("created", TIMESTAMP),
        *user_fields("updatedUser"),
        field("updated", TIMESTAMP),
    ),
    extra=True,
    key=("id",),
    description="one row per Git repository of the chosen projects",
)

PULL_REQUESTS_TABLE = TableShape(
    "",
    (
        field("id", INT),
        *_PROJECT_COLUMNS,
        field("repositoryId", INT),
        field("repositoryName", STRING),
        field("number", INT),
        field("summary", STRING),
        field("description", STRING),
        field("base", STRING),
        field("branch", STRING),
        field("status.id", INT),
        field("status.name", STRING),
        *user_fields("assignee"),
        field("issue.id", INT),
        field("baseCommit", STRING),
        field("branchCommit", STRING),
        field("mergeCommit", STRING),
        field("closeAt", TIMESTAMP),
        field("mergeAt", TIMESTAMP),
        *user_fields("createdUser"),
        field("created", TIMESTAMP),
        *user_fields("updatedUser"),
        field("updated", TIMESTAMP),
        derived("attachment_count", INT, count_of("attachments"), sources=("attachments",)),
        derived("star_count", INT, count_of("stars"), sources=("stars",)),
    ),
    extra=True,
    # the comments travel with their pull request: not an unknown field of it
    known=frozenset({"_comments"}),
    key=("id",),
    description="one row per pull request: repository, number, branches, status, issue",
)


def _status_change(lookup: Lookup, which: str) -> list[Any]:
    out: list[Any] = []
    for log in lookup.values(("changeLog",)):
        found = next((c for c in as_rows(log) if c.get("field") == "status"), None)
        out.append(found.get(which) if found else None)
    return out


PULL_REQUEST_COMMENTS_TABLE = TableShape(
    "comments",
    (
        field("pullRequestId", INT),
        field("id", INT, name="comment_id"),
        field("content", STRING),
        derived(
            "changed_fields",
            STRING,
            lambda lookup: [
                ", ".join(str(c.get("field")) for c in as_rows(log)) or None
                for log in lookup.values(("changeLog",))
            ],
        ),
        derived("status_from", STRING, lambda lookup: _status_change(lookup, "originalValue")),
        derived("status_to", STRING, lambda lookup: _status_change(lookup, "newValue")),
        *user_fields("createdUser"),
        field("created", TIMESTAMP),
        field("updated", TIMESTAMP),
        derived("star_count", INT, count_of("stars")),
    ),
    key=("pull_request_id", "comment_id"),
    description="one row per pull-request comment (not an issue comment); status changes",
    parent_key=("pull_request_id",),
)


def repositories_of(ctx: RunContext, projects: list[Row]) -> Iterator[list[Row]]:
    """The Git repositories of each project that uses Git, tagged with the project."""
    for project in projects:
        if project.get("useGit") is False:
            continue
        rows = get_list(ctx.client, f"/projects/{project['id']}/git/repositories")
        yield [{**r, "projectKey": project.get("projectKey")} for r in rows]


class GitRepositoriesReport(CatalogReport):
    name = "git_repositories"
    title = "Git repositories"
    description = "The Git repositories of the chosen projects."
    options = (PROJECTS_OPTION,)
    parsers = PROJECTS_PARSER
    tables = (REPOSITORIES_TABLE.spec(),)

    def read(self, ctx: RunContext) -> Iterator[TableBatch]:
        projects = resolve_projects(ctx, ctx.options.get("projects"))
        pages = counted(ctx, repositories_of(ctx, projects))
        yield from batches_of(REPOSITORIES_TABLE, pages, space=ctx.space, limit=self.batch_rows)


class PullRequestsReport(CatalogReport):
    name = "pull_requests"
    title = "Pull requests"
    description = (
        "The pull requests of the chosen projects' Git repositories, with their comments "
        "(pull_requests__comments); merge runs read comments only of pull requests updated "
        "since the last run."
    )
    options = (
        PROJECTS_OPTION,
        OptionSpec(
            "repositories", "only these repository names or ids, comma-separated", kind="list"
        ),
    )
    parsers: ClassVar[Mapping[str, Parser]] = {
        **PROJECTS_PARSER,
        "repositories": parse_ids_or_names,
    }
    tables = (PULL_REQUESTS_TABLE.spec(), PULL_REQUEST_COMMENTS_TABLE.spec())
    update_modes = (UpdateMode.MERGE, UpdateMode.REPLACE, UpdateMode.APPEND)
    default_update_mode = UpdateMode.MERGE
    incremental = True

    def read(self, ctx: RunContext) -> Iterator[TableBatch]:
        digest = fingerprint(ctx.options)
        cursor = ctx.cursor
        usable = (
            ctx.mode is UpdateMode.MERGE
            and cursor is not None
            and cursor.get("version") == CURSOR_VERSION
            and cursor.get("options") == digest
        )
        since: dict[str, Any] = dict(cursor.get("updated", {})) if usable and cursor else {}
        wanted = ctx.options.get("repositories")
        projects = resolve_projects(ctx, ctx.options.get("projects"))
        buffer = BatchBuffer(
            PULL_REQUESTS_TABLE,
            (ChildTable(PULL_REQUEST_COMMENTS_TABLE, _comments_of),),
            space=ctx.space,
            limit=self.batch_rows,
        )
        newest: dict[str, Any] = dict(since)
        problems: list[str] = []
        for repos in repositories_of(ctx, projects):
            for repo in repos:
                if wanted and not ({repo.get("id"), repo.get("name")} & set(wanted)):
                    continue
                base = f"/projects/{repo['projectId']}/git/repositories/{repo['id']}"
                listed = 0
                previous = since.get(str(repo["id"]))
                bound = parse_timestamp(previous) if isinstance(previous, str) else None
                greatest = bound
                pages = ctx.client.iter_offset(f"{base}/pullRequests", [], page_size=PAGE_SIZE)
                for page in counted(ctx, pages):
                    listed += len(page)
                    changed = []
                    for pr in page:
                        updated = parse_timestamp(str(pr.get("updated") or ""))
                        if updated is not None and (greatest is None or updated > greatest):
                            greatest = updated
                        if bound is None or updated is None or updated >= bound:
                            changed.append(self._with_comments(ctx, base, pr, repo))
                    yield from buffer.add(changed)
                count = get_object(ctx.client, f"{base}/pullRequests/count", keys=("count",))
                if count["count"] != listed:
                    problems.append(f"{repo.get('name')}: listed {listed}, count {count['count']}")
                if greatest is not None:
                    newest[str(repo["id"])] = iso_timestamp(greatest)
        yield from buffer.flush()
        ctx.complete = not problems
        if problems:
            ctx.incomplete_reason = (
                "pull requests changed while the run listed them (" + "; ".join(problems) + ")"
            )
        ctx.new_cursor = {
            "version": CURSOR_VERSION,
            "options": digest,
            # an incomplete run keeps the old bounds: the next run reads the same window again
            "updated": newest if ctx.complete else since,
        }

    @staticmethod
    def _with_comments(ctx: RunContext, base: str, pr: Row, repo: Row) -> Row:
        comments: list[Row] = []
        path = f"{base}/pullRequests/{pr['number']}/comments"
        for page in ctx.client.iter_ids(path, [], order="asc", page_size=PAGE_SIZE):
            comments.extend(page)
        return {
            **pr,
            "projectKey": repo.get("projectKey"),
            "repositoryName": repo.get("name"),
            "_comments": comments,
        }


def _comments_of(prs: Rows) -> list[Row]:
    return [
        {**c, "pullRequestId": pr.get("id")} for pr in prs for c in as_rows(pr.get("_comments"))
    ]
