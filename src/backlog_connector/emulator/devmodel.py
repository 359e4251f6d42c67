"""Records of the development side of a space: Git repositories, pull requests and their
comments, Wiki pages and documents. Few per project, so plain dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Repository:
    id: int
    project_id: int
    name: str
    description: str
    display_order: int
    pushed_at: int | None
    created_user_id: int
    created: int
    updated_user_id: int
    updated: int


@dataclass(slots=True)
class PullRequestComment:
    id: int
    pull_request_id: int
    content: str
    #: ``[{"field", "newValue", "originalValue"}]``: a status change of the pull request
    change_log: list[dict[str, Any]]
    user_id: int
    created: int
    updated: int


@dataclass(slots=True)
class PullRequest:
    """``status_id``: 1 Open, 2 Closed, 3 Merged."""

    id: int
    project_id: int
    repository_id: int
    number: int
    summary: str
    description: str
    base: str
    branch: str
    status_id: int
    assignee_id: int | None
    issue_id: int | None
    created_user_id: int
    created: int
    updated_user_id: int
    updated: int
    close_at: int | None = None
    merge_at: int | None = None
    comments: list[PullRequestComment] = field(default_factory=list)


@dataclass(slots=True)
class WikiPage:
    id: int
    project_id: int
    name: str
    content: str
    tags: list[tuple[int, str]]
    created_user_id: int
    created: int
    updated_user_id: int
    updated: int


@dataclass(slots=True)
class Document:
    """A page of the Document API; its id is a 32-character hex string."""

    id: str
    project_id: int
    title: str
    plain: str
    status_id: int
    emoji: str | None
    tags: list[tuple[int, str]]
    created_user_id: int
    created: int
    updated_user_id: int
    updated: int


@dataclass
class DevSpace:
    """The development records of a space, by project."""

    repositories: dict[int, list[Repository]] = field(default_factory=dict)
    #: repository id -> its pull requests by number (ascending)
    pull_requests: dict[int, list[PullRequest]] = field(default_factory=dict)
    wikis: dict[int, list[WikiPage]] = field(default_factory=dict)
    documents: dict[int, list[Document]] = field(default_factory=dict)

    def repository(self, project_id: int, id_or_name: str) -> Repository | None:
        """A repository of the project by numeric id or name."""
        for repo in self.repositories.get(project_id, []):
            if str(repo.id) == id_or_name or repo.name == id_or_name:
                return repo
        return None
