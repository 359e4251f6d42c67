"""Git repositories, pull requests, Wiki pages and documents to Backlog's JSON."""

from __future__ import annotations

from typing import Any

from .devmodel import Document, PullRequest, PullRequestComment, Repository, WikiPage
from .space import Space
from .timefmt import iso

Json = dict[str, Any]

PULL_REQUEST_STATUSES = {1: "Open", 2: "Closed", 3: "Merged"}


def _when(epoch: int | None) -> str | None:
    return iso(epoch) if epoch is not None else None


class DevRenderer:
    """The development side's bodies; uses the renderer's pre-rendered users."""

    space: Space
    _users: dict[int, Json]

    def repository(self, r: Repository) -> Json:
        key = self.space.projects[r.project_id].key
        return {
            "id": r.id,
            "projectId": r.project_id,
            "name": r.name,
            "description": r.description,
            "hookUrl": None,
            "httpUrl": f"https://emulator.backlog.com/git/{key}/{r.name}.git",
            "sshUrl": f"emulator@emulator.git.backlog.com:/{key}/{r.name}.git",
            "displayOrder": r.display_order,
            "pushedAt": _when(r.pushed_at),
            "createdUser": self._users[r.created_user_id],
            "created": iso(r.created),
            "updatedUser": self._users[r.updated_user_id],
            "updated": iso(r.updated),
        }

    def pull_request(self, p: PullRequest) -> Json:
        issue = self.space.issues.get(p.issue_id) if p.issue_id is not None else None
        return {
            "id": p.id,
            "projectId": p.project_id,
            "repositoryId": p.repository_id,
            "number": p.number,
            "summary": p.summary,
            "description": p.description,
            "base": p.base,
            "branch": p.branch,
            "status": {"id": p.status_id, "name": PULL_REQUEST_STATUSES[p.status_id]},
            "assignee": self._users[p.assignee_id] if p.assignee_id is not None else None,
            # the linked issue comes back as a stub holding its id
            "issue": {"id": issue.id} if issue is not None else None,
            "baseCommit": None,
            "branchCommit": None,
            "mergeCommit": None,
            "closeAt": _when(p.close_at),
            "mergeAt": _when(p.merge_at),
            "createdUser": self._users[p.created_user_id],
            "created": iso(p.created),
            "updatedUser": self._users[p.updated_user_id],
            "updated": iso(p.updated),
            "attachments": [],
            "stars": [],
        }

    def pull_request_comment(self, c: PullRequestComment) -> Json:
        return {
            "id": c.id,
            "content": c.content,
            "changeLog": list(c.change_log),
            "createdUser": self._users[c.user_id],
            "created": iso(c.created),
            "updated": iso(c.updated),
            "stars": [],
            "notifications": [],
        }

    def wiki_item(self, w: WikiPage) -> Json:
        """A page of the Wiki page list."""
        return {
            "id": w.id,
            "projectId": w.project_id,
            "name": w.name,
            "tags": [{"id": i, "name": n} for i, n in w.tags],
            "createdUser": self._users[w.created_user_id],
            "created": iso(w.created),
            "updatedUser": self._users[w.updated_user_id],
            "updated": iso(w.updated),
        }

    def wiki(self, w: WikiPage) -> Json:
        """One page in full (``GET /wikis/:id``)."""
        return {
            **self.wiki_item(w),
            "content": w.content,
            "attachments": [],
            "sharedFiles": [],
            "stars": [],
        }

    def document(self, d: Document) -> Json:
        return {
            "id": d.id,
            "projectId": d.project_id,
            "title": d.title,
            "plain": d.plain,
            "json": '{"type":"doc","content":[]}',
            "statusId": d.status_id,
            "emoji": d.emoji,
            "attachments": [],
            "tags": [{"id": i, "name": n} for i, n in d.tags],
            "createdUser": self._users[d.created_user_id],
            "created": iso(d.created),
            "updatedUser": self._users[d.updated_user_id],
            "updated": iso(d.updated),
        }
