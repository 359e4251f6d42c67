"""``users`` and ``teams`` (paged, with a child table of members)."""

from __future__ import annotations

from collections.abc import Iterator

from backlog_connector.backlog.shapes import get_list
from backlog_connector.reports.base import RunContext, TableBatch
from backlog_connector.reports.batching import ChildTable, batches_of
from backlog_connector.reports.columns import (
    Row,
    Rows,
    TableShape,
    count_of,
    derived,
    field,
    names_of,
    user_fields,
)
from backlog_connector.reports.common import CatalogReport, as_rows, counted
from backlog_connector.reports.project_lists import ProjectListReport
from backlog_connector.reports.values import INT, STRING, TIMESTAMP

#: Backlog's roleType values (their meaning on the classic plans)
ROLE_NAMES = {
    1: "Administrator",
    2: "Normal User",
    3: "Reporter",
    4: "Viewer",
    5: "Guest Reporter",
    6: "Guest Viewer",
}

USERS_TABLE = TableShape(
    "",
    (
        field("id", INT),
        field("userId", STRING),
        field("name", STRING),
        field("roleType", INT),
        derived(
            "role_name",
            STRING,
            lambda lookup: [
                ROLE_NAMES.get(r) if isinstance(r, int) else None
                for r in lookup.values(("roleType",))
            ],
        ),
        field("lang", STRING),
        field("mailAddress", STRING),
        field("nulabAccount.nulabId", STRING),
        field("nulabAccount.name", STRING),
        field("nulabAccount.uniqueId", STRING),
        field("lastLoginTime", TIMESTAMP),
    ),
    extra=True,
    key=("id",),
    description="one row per user of the space",
)

TEAMS_TABLE = TableShape(
    "",
    (
        field("id", INT),
        field("name", STRING),
        field("displayOrder", INT),
        derived("member_count", INT, count_of("members")),
        derived("member_names", STRING, names_of("members")),
        *user_fields("createdUser"),
        field("created", TIMESTAMP),
        *user_fields("updatedUser"),
        field("updated", TIMESTAMP),
    ),
    extra=True,
    known=frozenset({"members"}),
    key=("id",),
    description="one row per team: member count and names",
)

TEAM_MEMBERS_TABLE = TableShape(
    "members",
    (
        field("teamId", INT),
        *user_fields("member"),
        field("member.roleType", INT),
    ),
    key=("team_id", "member_id"),
    description="one row per (team, member)",
    parent_key=("team_id",),
)


def team_members(teams: Rows) -> list[Row]:
    """The (team, member) pairs of ``teams``."""
    return [
        {"teamId": team.get("id"), "member": member}
        for team in teams
        for member in as_rows(team.get("members"))
    ]


class UsersReport(CatalogReport):
    name = "users"
    title = "Users"
    description = "The users of the space (needs an administrator's key on Backlog)."
    tables = (USERS_TABLE.spec(),)

    def read(self, ctx: RunContext) -> Iterator[TableBatch]:
        rows = get_list(ctx.client, "/users")
        yield from batches_of(USERS_TABLE, counted(ctx, [rows]), space=ctx.space)


class TeamsReport(CatalogReport):
    name = "teams"
    title = "Teams"
    description = "The teams of the space with member count and names, and their members."
    tables = (TEAMS_TABLE.spec(), TEAM_MEMBERS_TABLE.spec())

    def read(self, ctx: RunContext) -> Iterator[TableBatch]:
        pages = ctx.client.iter_offset("/teams", {"order": "asc"}, page_size=100)
        yield from batches_of(
            TEAMS_TABLE,
            counted(ctx, pages),
            space=ctx.space,
            limit=self.batch_rows,
            children=(ChildTable(TEAM_MEMBERS_TABLE, team_members),),
        )


PROJECT_MEMBERS_TABLE = TableShape(
    "",
    (
        field("projectId", INT),
        field("projectKey", STRING),
        *USERS_TABLE.columns,
    ),
    extra=True,
    key=("project_id", "id"),
    description="one row per (project, member): the users of each chosen project",
)


class ProjectMembersReport(ProjectListReport):
    name = "project_members"
    title = "Project members"
    description = "The members (users) of each chosen project, one row per project and user."
    path = "/users"
    shape = PROJECT_MEMBERS_TABLE
    tables = (PROJECT_MEMBERS_TABLE.spec(),)
