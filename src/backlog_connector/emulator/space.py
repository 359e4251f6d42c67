"""The in-memory space: every record, the indexes that searches use, and the comment and
activity columns. ``Emulator.state`` is one of these; tests use it as ground truth."""

from __future__ import annotations

import bisect
import threading
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .devmodel import DevSpace
from .errors import not_found
from .model import (
    Category,
    Comment,
    CustomField,
    Issue,
    IssueType,
    Project,
    SharedFile,
    Status,
    Team,
    User,
    Version,
)

ADMIN_ROLE = 1


@dataclass
class SpaceInfo:
    space_key: str
    name: str
    owner_id: int
    lang: str
    timezone: str
    report_send_time: str
    text_formatting_rule: str
    created: int
    updated: int


@dataclass
class Space:
    """Everything one emulated Backlog space holds. Mutate only under ``lock``."""

    info: SpaceInfo
    users: dict[int, User] = field(default_factory=dict)
    projects: dict[int, Project] = field(default_factory=dict)
    issue_types: dict[int, IssueType] = field(default_factory=dict)
    #: project id -> status id -> status (ids 1-4 are shared by every project)
    statuses: dict[int, dict[int, Status]] = field(default_factory=dict)
    categories: dict[int, Category] = field(default_factory=dict)
    versions: dict[int, Version] = field(default_factory=dict)
    custom_fields: dict[int, CustomField] = field(default_factory=dict)
    #: project id -> its custom fields in display order (an issue's ``custom`` follows it)
    project_fields: dict[int, list[CustomField]] = field(default_factory=dict)
    priorities: list[tuple[int, str]] = field(default_factory=list)
    resolutions: list[tuple[int, str]] = field(default_factory=list)
    teams: list[Team] = field(default_factory=list)
    #: API key -> user id (the admin has two keys)
    api_keys: dict[str, int] = field(default_factory=dict)
    oauth_client: dict[str, str] = field(default_factory=dict)
    issues: dict[int, Issue] = field(default_factory=dict)
    deleted_issues: dict[int, Issue] = field(default_factory=dict)
    issue_keys: dict[str, int] = field(default_factory=dict)
    #: live issues sorted by (created, id): the default sort without a sort step
    order: list[Issue] = field(default_factory=list)
    by_project: dict[int, list[Issue]] = field(default_factory=dict)
    children: dict[int, list[int]] = field(default_factory=dict)
    #: project id -> the files of its shared-file area
    shared_files: dict[int, list[SharedFile]] = field(default_factory=dict)
    #: Git repositories, pull requests, Wiki pages, documents
    dev: DevSpace = field(default_factory=DevSpace)
    next_key_id: dict[int, int] = field(default_factory=dict)
    # generated comments, one column per attribute, indexed by position
    c_issue: array[int] = field(default_factory=lambda: array("q"))
    c_id: array[int] = field(default_factory=lambda: array("q"))
    c_time: array[int] = field(default_factory=lambda: array("q"))
    c_user: array[int] = field(default_factory=lambda: array("q"))
    c_status_from: array[int] = field(default_factory=lambda: array("i"))
    c_status_to: array[int] = field(default_factory=lambda: array("i"))  # 0: no status change
    c_resolution: array[int] = field(default_factory=lambda: array("i"))  # -1: no change
    c_text: array[int] = field(default_factory=lambda: array("i"))  # index into words.COMMENTS
    #: comments added through the API
    comments: dict[int, Comment] = field(default_factory=dict)
    # activities, one column per attribute; activity id = index + 1
    a_time: array[int] = field(default_factory=lambda: array("q"))
    a_type: array[int] = field(default_factory=lambda: array("b"))
    a_issue: array[int] = field(default_factory=lambda: array("q"))
    a_cpos: array[int] = field(default_factory=lambda: array("q"))  # -1: no generated comment
    a_user: array[int] = field(default_factory=lambda: array("q"))
    a_project: array[int] = field(default_factory=lambda: array("q"))
    #: activity id -> content, for activities recorded by writes
    a_content: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: derives a generated issue's custom-field values from (seed, issue id)
    derive_custom: Callable[[Issue], tuple[Any, ...]] | None = None
    next_issue_id: int = 1
    next_comment_id: int = 1
    next_attachment_id: int = 1
    lock: threading.RLock = field(default_factory=threading.RLock)

    # ---- who sees what -------------------------------------------------------------------

    def is_admin(self, user_id: int) -> bool:
        return self.users[user_id].role_type == ADMIN_ROLE

    def visible_project_ids(self, user_id: int) -> set[int]:
        """The admin sees every project; anyone else the projects they joined."""
        if self.is_admin(user_id):
            return set(self.projects)
        return {p.id for p in self.projects.values() if user_id in p.member_ids}

    def keys_of(self, user_id: int) -> list[str]:
        """Every API key of one user."""
        return [key for key, uid in self.api_keys.items() if uid == user_id]

    # ---- lookups that 404 ----------------------------------------------------------------

    def project(self, id_or_key: str, user_id: int) -> Project:
        """A project the user may see, by numeric id or key; else 404 code 6."""
        project: Project | None = None
        if id_or_key.isdigit():
            project = self.projects.get(int(id_or_key))
        else:
            project = next((p for p in self.projects.values() if p.key == id_or_key), None)
        if project is None or project.id not in self.visible_project_ids(user_id):
            raise not_found("No project.", f"No project {id_or_key!r} that this user can see.")
        return project

    def issue(self, id_or_key: str, user_id: int) -> Issue:
        """An issue the user may see, by numeric id or key (``WEB-12``); else 404 code 6."""
        issue: Issue | None = None
        if id_or_key.isdigit():
            issue = self.issues.get(int(id_or_key))
        else:
            issue_id = self.issue_keys.get(id_or_key)
            issue = self.issues.get(issue_id) if issue_id is not None else None
        if issue is None or issue.project_id not in self.visible_project_ids(user_id):
            raise not_found("No issue.", f"No issue {id_or_key!r} that this user can see.")
        return issue

    def issue_key(self, issue: Issue) -> str:
        return f"{self.projects[issue.project_id].key}-{issue.key_id}"

    def shared_files_of(self, issue: Issue) -> list[SharedFile]:
        """The shared files linked to ``issue`` (every ninth issue links one of its project's)."""
        files = self.shared_files.get(issue.project_id)
        if not files or issue.id % 9:
            return []
        return [files[issue.id // 9 % len(files)]]

    def custom_of(self, issue: Issue) -> tuple[Any, ...]:
        """The issue's custom-field values, one per field of its project."""
        if issue.custom is None:
            assert self.derive_custom is not None
            issue.custom = self.derive_custom(issue)
        return issue.custom

    def status(self, project_id: int, status_id: int) -> Status:
        return self.statuses[project_id][status_id]

    # ---- index upkeep (writes) -----------------------------------------------------------

    def add_issue(self, issue: Issue) -> None:
        """Index a new issue (keeps ``order`` and ``by_project`` sorted by (created, id))."""
        self.issues[issue.id] = issue
        self.issue_keys[self.issue_key(issue)] = issue.id
        bisect.insort(self.order, issue, key=_order_key)
        bisect.insort(self.by_project.setdefault(issue.project_id, []), issue, key=_order_key)
        if issue.parent_issue_id is not None:
            self.children.setdefault(issue.parent_issue_id, []).append(issue.id)

    def remove_issue(self, issue: Issue) -> None:
        """Drop a deleted issue from every index; its record stays for its activities."""
        del self.issues[issue.id]
        self.deleted_issues[issue.id] = issue
        self.issue_keys.pop(self.issue_key(issue), None)
        self.order.remove(issue)
        self.by_project[issue.project_id].remove(issue)
        if issue.parent_issue_id is not None:
            siblings = self.children.get(issue.parent_issue_id, [])
            if issue.id in siblings:
                siblings.remove(issue.id)

    def set_parent(self, issue: Issue, parent_id: int | None) -> None:
        if issue.parent_issue_id is not None:
            siblings = self.children.get(issue.parent_issue_id, [])
            if issue.id in siblings:
                siblings.remove(issue.id)
        issue.parent_issue_id = parent_id
        if parent_id is not None:
            self.children.setdefault(parent_id, []).append(issue.id)

    def any_issue(self, issue_id: int) -> Issue:
        """A live or deleted issue (activities of deleted issues still render)."""
        return self.issues.get(issue_id) or self.deleted_issues[issue_id]

    def add_activity(
        self, type_: int, issue: Issue, user_id: int, when: int, content: dict[str, Any]
    ) -> int:
        """Record an activity of a write; returns its id (larger than every earlier one)."""
        self.a_time.append(when)
        self.a_type.append(type_)
        self.a_issue.append(issue.id)
        self.a_cpos.append(-1)
        self.a_user.append(user_id)
        self.a_project.append(issue.project_id)
        activity_id = len(self.a_time)
        self.a_content[activity_id] = content
        return activity_id


def _order_key(issue: Issue) -> tuple[int, int]:
    return (issue.created, issue.id)
