"""The development endpoints: Git repositories, pull requests and their comments, Wiki pages
and documents. Choices where Backlog is silent: pull requests come newest number first;
documents sort by ``created`` ascending unless ``sort``/``order`` say otherwise."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .devmodel import PullRequest, Repository, WikiPage
from .errors import invalid, not_found
from .routing import Call, Reply, ok, route
from .space import Space

if TYPE_CHECKING:
    from .render import Renderer


class DevApi:
    """Routes of the development side, mixed into :class:`.api.Api`."""

    space: Space
    render: Renderer

    # ---- Git and pull requests -----------------------------------------------------------

    @route("GET", r"/projects/([^/]+)/git/repositories")
    def get_repositories(self, call: Call, args: tuple[str, ...]) -> Reply:
        pid = self.space.project(args[0], call.user_id).id
        return ok([self.render.repository(r) for r in self.space.dev.repositories.get(pid, [])])

    @route("GET", r"/projects/([^/]+)/git/repositories/([^/]+)")
    def get_repository(self, call: Call, args: tuple[str, ...]) -> Reply:
        return ok(self.render.repository(self._repo(call, args)))

    @route("GET", r"/projects/([^/]+)/git/repositories/([^/]+)/pullRequests")
    def get_pull_requests(self, call: Call, args: tuple[str, ...]) -> Reply:
        q = call.query
        count, offset = q.count(), q.offset()
        found = self._pull_requests(call, self._repo(call, args))
        return ok([self.render.pull_request(p) for p in found[offset : offset + count]])

    @route("GET", r"/projects/([^/]+)/git/repositories/([^/]+)/pullRequests/count")
    def get_pull_request_count(self, call: Call, args: tuple[str, ...]) -> Reply:
        return ok({"count": len(self._pull_requests(call, self._repo(call, args)))})

    @route("GET", r"/projects/([^/]+)/git/repositories/([^/]+)/pullRequests/(\d+)")
    def get_pull_request(self, call: Call, args: tuple[str, ...]) -> Reply:
        return ok(self.render.pull_request(self._pull_request(call, args)))

    @route("GET", r"/projects/([^/]+)/git/repositories/([^/]+)/pullRequests/(\d+)/comments")
    def get_pull_request_comments(self, call: Call, args: tuple[str, ...]) -> Reply:
        q = call.query
        count, order = q.count(), q.order()
        min_id, max_id = q.get_int("minId"), q.get_int("maxId")
        comments = [
            c
            for c in self._pull_request(call, args).comments
            if (min_id is None or c.id > min_id) and (max_id is None or c.id < max_id)
        ]
        if order == "desc":
            comments.reverse()
        return ok([self.render.pull_request_comment(c) for c in comments[:count]])

    @route("GET", r"/projects/([^/]+)/git/repositories/([^/]+)/pullRequests/(\d+)/comments/count")
    def get_pull_request_comment_count(self, call: Call, args: tuple[str, ...]) -> Reply:
        return ok({"count": len(self._pull_request(call, args).comments)})

    def _repo(self, call: Call, args: tuple[str, ...]) -> Repository:
        pid = self.space.project(args[0], call.user_id).id
        repo = self.space.dev.repository(pid, args[1])
        if repo is None:
            raise not_found("No repository.", f"No Git repository {args[1]!r} in this project.")
        return repo

    def _pull_requests(self, call: Call, repo: Repository) -> list[PullRequest]:
        q = call.query
        filters: dict[str, Callable[[PullRequest], int | None]] = {
            "statusId[]": lambda p: p.status_id,
            "assigneeId[]": lambda p: p.assignee_id,
            "issueId[]": lambda p: p.issue_id,
            "createdUserId[]": lambda p: p.created_user_id,
        }
        found = list(reversed(self.space.dev.pull_requests.get(repo.id, [])))
        for name, getter in filters.items():
            wanted = set(q.get_ints(name))
            if wanted:
                found = [p for p in found if getter(p) in wanted]
        return found

    def _pull_request(self, call: Call, args: tuple[str, ...]) -> PullRequest:
        repo = self._repo(call, args)
        for p in self.space.dev.pull_requests.get(repo.id, []):
            if p.number == int(args[2]):
                return p
        raise not_found("No pull request.", f"No pull request #{args[2]} in {repo.name}.")

    # ---- Wiki ----------------------------------------------------------------------------

    @route("GET", r"/wikis")
    def get_wikis(self, call: Call, args: tuple[str, ...]) -> Reply:
        pages = self._wiki_pages(call)
        keyword = (call.query.get("keyword") or "").lower()
        if keyword:
            pages = [w for w in pages if keyword in w.name.lower() or keyword in w.content]
        return ok([self.render.wiki_item(w) for w in pages])

    @route("GET", r"/wikis/count")
    def get_wiki_count(self, call: Call, args: tuple[str, ...]) -> Reply:
        return ok({"count": len(self._wiki_pages(call))})

    @route("GET", r"/wikis/(\d+)")
    def get_wiki(self, call: Call, args: tuple[str, ...]) -> Reply:
        visible = self.space.visible_project_ids(call.user_id)
        for pid, pages in self.space.dev.wikis.items():
            for w in pages:
                if w.id == int(args[0]) and pid in visible:
                    return ok(self.render.wiki(w))
        raise not_found("No wiki.", f"No Wiki page {args[0]}.")

    def _wiki_pages(self, call: Call) -> list[WikiPage]:
        which = call.query.get("projectIdOrKey")
        if not which:
            raise invalid(
                "projectIdOrKey is required.", "Name the project whose Wiki pages to list."
            )
        pid = self.space.project(which, call.user_id).id
        return list(self.space.dev.wikis.get(pid, []))

    # ---- documents -----------------------------------------------------------------------

    @route("GET", r"/documents")
    def get_documents(self, call: Call, args: tuple[str, ...]) -> Reply:
        q = call.query
        if q.get("offset") is None:
            raise invalid("offset is required.", "Send offset=0 for the first page.")
        count, offset, order = q.count(), q.offset(), q.order("asc")
        sort = q.get("sort") or "created"
        if sort not in ("created", "updated"):
            raise invalid(f"sort must be created or updated, not {sort!r}.")
        visible = self.space.visible_project_ids(call.user_id)
        wanted = set(q.get_ints("projectId[]")) or visible
        docs = [
            d
            for pid, found in self.space.dev.documents.items()
            if pid in visible and pid in wanted
            for d in found
        ]
        docs.sort(key=lambda d: (d.created if sort == "created" else d.updated, d.id))
        if order == "desc":
            docs.reverse()
        return ok([self.render.document(d) for d in docs[offset : offset + count]])

    @route("GET", r"/documents/([0-9a-f]{32})")
    def get_document(self, call: Call, args: tuple[str, ...]) -> Reply:
        visible = self.space.visible_project_ids(call.user_id)
        for pid, docs in self.space.dev.documents.items():
            for d in docs:
                if d.id == args[0] and pid in visible:
                    return ok(self.render.document(d))
        raise not_found("No document.", f"No document {args[0]}.")
