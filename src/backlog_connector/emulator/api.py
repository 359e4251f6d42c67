"""The Backlog API v2 endpoints: a route table from (method, path) to handler methods."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from .devapi import DevApi
from .errors import ApiError, forbidden, invalid, not_found
from .ratelimit import RateLimiter
from .render import Json, Renderer, custom_field, space_info, version
from .routing import ROUTES, Call, Reply, ok, route
from .search import IssueQuery
from .space import Space
from .writes import Writer

# a 1x1 transparent PNG, the body of every icon endpoint
ICON = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
SEARCH_PATHS = {"/issues", "/issues/count", "/wikis", "/wikis/count"}
_ICON_PATH = re.compile(
    r"/(space/image|users/\d+/icon|projects/[^/]+/image|groups/\d+/icon"
    r"|teams/\d+/icon)"
)


def category_of(method: str, path: str) -> str:
    """The rate-limit category of a request to ``/api/v2{path}`` (backlog-api.md §3.1)."""
    if method != "GET":
        return "update"
    if path in SEARCH_PATHS:
        return "search"
    if _ICON_PATH.fullmatch(path):
        return "icon"
    return "read"


class Api(DevApi):
    """Answers API calls from the space; writes go through :class:`~.writes.Writer`."""

    def __init__(self, space: Space, renderer: Renderer, limiter: RateLimiter) -> None:
        self.space = space
        self.render = renderer
        self.limiter = limiter
        self.writer = Writer(space, renderer)

    def dispatch(self, call: Call) -> Reply:
        path_known = False
        for method, pattern, name in ROUTES:
            match = pattern.fullmatch(call.path)
            if match is None:
                continue
            path_known = True
            if method == call.method:
                handler: Callable[[Call, tuple[str, ...]], Reply] = getattr(self, name)
                # one request at a time touches the space: a reader can never cache the JSON
                # of an issue that a concurrent write has just changed
                with self.space.lock:
                    return handler(call, match.groups())
        if path_known:
            raise ApiError(405, 7, f"{call.method} is not allowed on {call.path}.")
        raise not_found("No such API.", f"/api/v2{call.path} is not an endpoint of Backlog API v2.")

    def _admin_only(self, call: Call) -> None:
        if not self.space.is_admin(call.user_id):
            raise forbidden("Only administrators may use this API.")

    # ---- space, users, teams -------------------------------------------------------------

    @route("GET", r"/space")
    def get_space(self, call: Call, args: tuple[str, ...]) -> Reply:
        return ok(space_info(self.space))

    @route("GET", r"/space/image")
    def get_space_image(self, call: Call, args: tuple[str, ...]) -> Reply:
        return Reply(200, ICON, "image/png")

    @route("GET", r"/users")
    def get_users(self, call: Call, args: tuple[str, ...]) -> Reply:
        self._admin_only(call)
        return ok([self.render.user(u) for u in self.space.users])

    @route("GET", r"/users/myself")
    def get_myself(self, call: Call, args: tuple[str, ...]) -> Reply:
        return ok(self.render.user(call.user_id))

    @route("GET", r"/users/(\d+)")
    def get_user(self, call: Call, args: tuple[str, ...]) -> Reply:
        return ok(self.render.user(self._user_id(args[0])))

    @route("GET", r"/users/(\d+)/icon")
    def get_user_icon(self, call: Call, args: tuple[str, ...]) -> Reply:
        self._user_id(args[0])
        return Reply(200, ICON, "image/png")

    @route("GET", r"/users/(\d+)/activities")
    def get_user_activities(self, call: Call, args: tuple[str, ...]) -> Reply:
        uid = self._user_id(args[0])
        return self._activities(call, lambda index: self.space.a_user[index] == uid)

    def _user_id(self, text: str) -> int:
        uid = int(text)
        if uid not in self.space.users:
            raise not_found("No user.", f"No user with id {uid}.")
        return uid

    @route("GET", r"/teams")
    def get_teams(self, call: Call, args: tuple[str, ...]) -> Reply:
        self._admin_only(call)
        q = call.query
        count, offset, order = q.count(), q.offset(), q.order()
        teams = sorted(self.space.teams, key=lambda t: t.id, reverse=order == "desc")
        return ok([self.render.team(t) for t in teams[offset : offset + count]])

    @route("GET", r"/teams/(\d+)")
    def get_team(self, call: Call, args: tuple[str, ...]) -> Reply:
        self._admin_only(call)
        return ok(self.render.team(self._team(args[0])))

    @route("GET", r"/teams/(\d+)/icon")
    def get_team_icon(self, call: Call, args: tuple[str, ...]) -> Reply:
        self._team(args[0])
        return Reply(200, ICON, "image/png")

    def _team(self, text: str) -> Any:
        team = next((t for t in self.space.teams if t.id == int(text)), None)
        if team is None:
            raise not_found("No team.", f"No team with id {text}.")
        return team

    @route("GET", r"/priorities")
    def get_priorities(self, call: Call, args: tuple[str, ...]) -> Reply:
        return ok([{"id": i, "name": n} for i, n in self.space.priorities])

    @route("GET", r"/resolutions")
    def get_resolutions(self, call: Call, args: tuple[str, ...]) -> Reply:
        return ok([{"id": i, "name": n} for i, n in self.space.resolutions])

    @route("GET", r"/rateLimit")
    def get_rate_limit(self, call: Call, args: tuple[str, ...]) -> Reply:
        out = {}
        for category in ("read", "update", "search", "icon"):
            b = self.limiter.peek(call.user_id, category)
            out[category] = {"limit": b.limit, "remaining": b.remaining, "reset": b.reset}
        return ok({"rateLimit": out})

    # ---- projects ------------------------------------------------------------------------

    @route("GET", r"/projects")
    def get_projects(self, call: Call, args: tuple[str, ...]) -> Reply:
        archived = call.query.get_bool("archived")
        everything = call.query.get_bool("all") and self.space.is_admin(call.user_id)
        projects = [
            p
            for p in sorted(self.space.projects.values(), key=lambda p: (p.display_order, p.id))
            if (everything or call.user_id in p.member_ids)
            and (archived is None or p.archived == archived)
        ]
        return ok([self.render.project(p.id) for p in projects])

    @route("GET", r"/projects/([^/]+)")
    def get_project(self, call: Call, args: tuple[str, ...]) -> Reply:
        return ok(self.render.project(self.space.project(args[0], call.user_id).id))

    @route("GET", r"/projects/([^/]+)/image")
    def get_project_image(self, call: Call, args: tuple[str, ...]) -> Reply:
        self.space.project(args[0], call.user_id)
        return Reply(200, ICON, "image/png")

    @route("GET", r"/projects/([^/]+)/issueTypes")
    def get_issue_types(self, call: Call, args: tuple[str, ...]) -> Reply:
        pid = self.space.project(args[0], call.user_id).id
        return ok(
            [
                self.render.issue_type(t.id)
                for t in self.space.issue_types.values()
                if t.project_id == pid
            ]
        )

    @route("GET", r"/projects/([^/]+)/categories")
    def get_categories(self, call: Call, args: tuple[str, ...]) -> Reply:
        pid = self.space.project(args[0], call.user_id).id
        return ok(
            [
                self.render.category(c.id)
                for c in self.space.categories.values()
                if c.project_id == pid
            ]
        )

    @route("GET", r"/projects/([^/]+)/statuses")
    def get_statuses(self, call: Call, args: tuple[str, ...]) -> Reply:
        pid = self.space.project(args[0], call.user_id).id
        return ok([self.render.status(pid, sid) for sid in self.space.statuses[pid]])

    @route("GET", r"/projects/([^/]+)/versions")
    def get_versions(self, call: Call, args: tuple[str, ...]) -> Reply:
        pid = self.space.project(args[0], call.user_id).id
        return ok([version(v) for v in self.space.versions.values() if v.project_id == pid])

    @route("GET", r"/projects/([^/]+)/customFields")
    def get_custom_fields(self, call: Call, args: tuple[str, ...]) -> Reply:
        pid = self.space.project(args[0], call.user_id).id
        return ok([custom_field(cf) for cf in self.space.project_fields[pid]])

    @route("GET", r"/projects/([^/]+)/users")
    def get_project_users(self, call: Call, args: tuple[str, ...]) -> Reply:
        project = self.space.project(args[0], call.user_id)
        return ok([self.render.user(u) for u in project.member_ids])

    @route("GET", r"/projects/([^/]+)/teams")
    def get_project_teams(self, call: Call, args: tuple[str, ...]) -> Reply:
        project = self.space.project(args[0], call.user_id)
        members = set(project.member_ids)
        return ok(
            [self.render.team(t) for t in self.space.teams if members.issuperset(t.member_ids)]
        )

    @route("GET", r"/projects/([^/]+)/activities")
    def get_project_activities(self, call: Call, args: tuple[str, ...]) -> Reply:
        pid = self.space.project(args[0], call.user_id).id
        return self._activities(call, lambda index: self.space.a_project[index] == pid)

    # ---- issues --------------------------------------------------------------------------

    @route("GET", r"/issues")
    def get_issues(self, call: Call, args: tuple[str, ...]) -> Reply:
        count, offset = call.query.count(), call.query.offset()
        page = IssueQuery(self.space, call.user_id, call.query).page(offset, count)
        expand = call.query.all("expand[]")
        unknown = [e for e in expand if e != "childIssueSummary"]
        if unknown:
            raise invalid(f"expand[] does not know {unknown[0]!r}.", "Use childIssueSummary.")
        if expand:
            return ok([self.render.issue_with_summary(i) for i in page])
        return Reply(200, self.render.issues_bytes(page))

    @route("GET", r"/issues/count")
    def get_issue_count(self, call: Call, args: tuple[str, ...]) -> Reply:
        call.query.count()
        call.query.offset()
        return ok({"count": IssueQuery(self.space, call.user_id, call.query).count()})

    @route("GET", r"/issues/([^/]+)")
    def get_issue(self, call: Call, args: tuple[str, ...]) -> Reply:
        return Reply(200, self.render.issue_bytes(self.space.issue(args[0], call.user_id)))

    @route("GET", r"/issues/([^/]+)/comments")
    def get_comments(self, call: Call, args: tuple[str, ...]) -> Reply:
        issue = self.space.issue(args[0], call.user_id)
        q = call.query
        count, order = q.count(), q.order()
        min_id, max_id = q.get_int("minId"), q.get_int("maxId")
        entries = [
            (cid, make)
            for cid, make in self._comment_entries(issue.id)
            if (min_id is None or cid > min_id) and (max_id is None or cid < max_id)
        ]
        if order == "desc":
            entries.reverse()
        return ok([make() for _, make in entries[:count]])

    @route("GET", r"/issues/([^/]+)/comments/count")
    def get_comment_count(self, call: Call, args: tuple[str, ...]) -> Reply:
        issue = self.space.issue(args[0], call.user_id)
        return ok({"count": sum(1 for _ in self._comment_entries(issue.id))})

    @route("GET", r"/issues/([^/]+)/comments/(\d+)")
    def get_comment(self, call: Call, args: tuple[str, ...]) -> Reply:
        issue = self.space.issue(args[0], call.user_id)
        for cid, make in self._comment_entries(issue.id):
            if cid == int(args[1]):
                return ok(make())
        raise not_found("No comment.", f"No comment {args[1]} on this issue.")

    def _comment_entries(self, issue_id: int) -> Iterator[tuple[int, Callable[[], Json]]]:
        """(id, renderer) of every comment of an issue, oldest first."""
        space = self.space
        issue = space.any_issue(issue_id)
        for pos in range(issue.comment_pos, issue.comment_pos + issue.comment_n):
            yield space.c_id[pos], partial(self.render.generated_comment, pos)
        for cid in issue.extra_comment_ids or ():
            yield cid, partial(self.render.comment, space.comments[cid])

    @route("POST", r"/issues")
    def post_issue(self, call: Call, args: tuple[str, ...]) -> Reply:
        return Reply(201, self.render.issue_bytes(self.writer.create(call.user_id, call.form)))

    @route("PATCH", r"/issues/([^/]+)")
    def patch_issue(self, call: Call, args: tuple[str, ...]) -> Reply:
        issue = self.writer.update(call.user_id, args[0], call.form)
        return Reply(200, self.render.issue_bytes(issue))

    @route("DELETE", r"/issues/([^/]+)")
    def delete_issue(self, call: Call, args: tuple[str, ...]) -> Reply:
        return ok(self.writer.delete(call.user_id, args[0]))

    @route("POST", r"/issues/([^/]+)/comments")
    def post_comment(self, call: Call, args: tuple[str, ...]) -> Reply:
        return ok(self.writer.comment(call.user_id, args[0], call.form), 201)

    # ---- activities ----------------------------------------------------------------------

    @route("GET", r"/space/activities")
    def get_space_activities(self, call: Call, args: tuple[str, ...]) -> Reply:
        return self._activities(call, lambda index: True)

    def _activities(self, call: Call, keep: Callable[[int], bool]) -> Reply:
        """Keyset paging on the activity id; ``minId``/``maxId`` are exclusive."""
        space, q = self.space, call.query
        count, order = q.count(), q.order()
        min_id, max_id = q.get_int("minId"), q.get_int("maxId")
        types = set(q.get_ints("activityTypeId[]"))
        visible = space.visible_project_ids(call.user_id)
        size = len(space.a_time)
        lo = max(0, min_id) if min_id is not None else 0  # index of id min_id + 1
        hi = min(size, max_id - 1) if max_id is not None else size
        indexes = range(hi - 1, lo - 1, -1) if order == "desc" else range(lo, hi)
        out: list[Json] = []
        for index in indexes:
            if (
                space.a_project[index] in visible
                and (not types or space.a_type[index] in types)
                and keep(index)
            ):
                out.append(self.render.activity(index))
                if len(out) == count:
                    break
        return ok(out)
