"""The records of an emulated space. Plain slotted dataclasses: 200,000 issues must stay small."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class User:
    id: int
    user_id: str | None
    name: str
    role_type: int
    lang: str | None
    nulab_account: dict[str, str] | None
    mail_address: str
    last_login: int | None


@dataclass(slots=True)
class Project:
    id: int
    key: str
    name: str
    archived: bool
    display_order: int
    text_formatting_rule: str
    chart_enabled: bool
    subtasking_enabled: bool
    use_wiki: bool
    use_dev_attributes: bool
    member_ids: list[int] = field(default_factory=list)
    #: three-level issues (a child may have children of its own)
    grandchild_enabled: bool = False


@dataclass(slots=True)
class IssueType:
    id: int
    project_id: int
    name: str
    color: str
    display_order: int
    template_summary: str | None
    template_description: str | None


@dataclass(slots=True)
class Status:
    id: int
    project_id: int
    name: str
    color: str
    display_order: int


@dataclass(slots=True)
class Category:
    id: int
    project_id: int
    name: str
    display_order: int


@dataclass(slots=True)
class Version:
    id: int
    project_id: int
    name: str
    description: str
    start_day: int | None
    release_due_day: int | None
    archived: bool
    display_order: int


@dataclass(slots=True)
class ListItem:
    id: int
    name: str
    display_order: int


@dataclass(slots=True)
class CustomField:
    """A custom-field definition; ``type_id`` 1 text, 2 textarea, 3 number, 4 date,
    5 single list, 6 multiple list, 7 checkbox, 8 radio."""

    id: int
    project_id: int
    type_id: int
    name: str
    description: str
    required: bool
    applicable_issue_types: list[int]
    display_order: int
    items: list[ListItem] = field(default_factory=list)
    #: type-specific extras (min/max/unit/initialValue/initialDate/allowAddItem/allowInput)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Team:
    id: int
    name: str
    member_ids: list[int]
    created_user_id: int
    created: int
    updated_user_id: int
    updated: int


@dataclass(slots=True)
class Attachment:
    id: int
    name: str
    size: int
    created_user_id: int
    created: int


@dataclass(slots=True)
class SharedFile:
    """A file of a project's shared-file area."""

    id: int
    project_id: int
    dir: str
    name: str
    size: int
    created_user_id: int
    created: int
    updated_user_id: int
    updated: int


@dataclass(slots=True)
class Issue:
    """One issue. Times are epoch seconds, dates day numbers; related objects are ids.

    ``custom`` holds one raw value per custom field of the project, in the project's field order:
    str / float / day number / item id / tuple of item ids, or None; checkbox and radio values
    are ``(items, other_value)``. None until first needed: generated values are derived from
    (seed, issue id) on demand, see ``Space.custom_of``. Generated comments live in the
    space's comment columns at positions ``comment_pos .. comment_pos + comment_n``;
    comments added through the API are in ``extra_comment_ids``.
    """

    id: int
    project_id: int
    key_id: int
    issue_type_id: int
    summary: str
    description: str
    resolution_id: int | None
    priority_id: int
    status_id: int
    assignee_id: int | None
    category_ids: tuple[int, ...]
    version_ids: tuple[int, ...]
    milestone_ids: tuple[int, ...]
    start_day: int | None
    due_day: int | None
    estimated_hours: float | None
    actual_hours: float | None
    parent_issue_id: int | None
    created_user_id: int
    created: int
    updated_user_id: int
    updated: int
    custom: tuple[Any, ...] | None
    attachments: tuple[Attachment, ...] = ()
    comment_pos: int = 0
    comment_n: int = 0
    extra_comment_ids: list[int] | None = None


@dataclass(slots=True)
class Comment:
    """A comment added through the API (generated comments live in column arrays)."""

    id: int
    issue_id: int
    project_id: int
    content: str
    change_log: list[dict[str, Any]]
    user_id: int
    created: int
    updated: int
