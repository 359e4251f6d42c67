"""Write endpoints: add, update and delete issues, add comments.

Every input is validated before anything changes, so a refused request changes nothing. Each
write sets ``updated``/``updatedUser`` with the real current time, writes a comment with its
``changeLog`` where Backlog does (updates and comments), and records the activity (1 created,
2 updated, 3 commented, 4 deleted) with a new, larger id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import forbidden, invalid
from .model import Comment, CustomField, Issue, Project
from .params import Params
from .render import Json, Renderer, change_log_entry
from .space import Space
from .timefmt import day_iso, now, parse_body_date

_ADDERS = (1, 2, 3, 5)  # roles that may add issues and comments
_EDITORS = (1, 2)  # roles that may update issues


@dataclass
class _Change:
    attr: str  # Issue attribute, or "custom:<index>"
    value: Any
    field: str  # the name in changeLog / activity changes
    new: str
    old: str
    attribute: dict[str, int] | None = None
    old_raw: Any = None


class Writer:
    """Applies writes to the space (under its lock) and drops stale cached JSON."""

    def __init__(self, space: Space, renderer: Renderer) -> None:
        self.space = space
        self.render = renderer

    # ---- POST /issues --------------------------------------------------------------------

    def create(self, user_id: int, form: Params) -> Issue:
        space = self.space
        self._require_role(user_id, _ADDERS, "add issues")
        with space.lock:
            project_id = form.get_int("projectId")
            if project_id is None:
                raise invalid("projectId is required.", "Send the id of the issue's project.")
            project = space.projects.get(project_id)
            if project is None or project_id not in space.visible_project_ids(user_id):
                raise invalid(f"No project with id {project_id} that this user can see.")
            if project.archived:
                raise invalid("The project is archived.", "Add issues to an active project.")
            summary = (form.get("summary") or "").strip()
            if not summary:
                raise invalid("summary is required.", "Send a non-empty summary.")
            for required in ("issueTypeId", "priorityId"):
                if form.get(required) in (None, ""):
                    raise invalid(f"{required} is required.")
            draft = Issue(
                id=0,
                project_id=project.id,
                key_id=0,
                issue_type_id=0,
                summary=summary,
                description="",
                resolution_id=None,
                priority_id=3,
                status_id=1,
                assignee_id=None,
                category_ids=(),
                version_ids=(),
                milestone_ids=(),
                start_day=None,
                due_day=None,
                estimated_hours=None,
                actual_hours=None,
                parent_issue_id=None,
                created_user_id=user_id,
                created=0,
                updated_user_id=user_id,
                updated=0,
                custom=tuple(_empty(cf) for cf in space.project_fields[project.id]),
            )
            changes = self._changes(draft, project, form, creating=True)
            for change in changes:
                self._apply(draft, change)
            when = now()
            draft.id = space.next_issue_id
            draft.key_id = space.next_key_id[project.id]
            draft.created = draft.updated = when
            space.next_issue_id += 1
            space.next_key_id[project.id] += 1
            space.add_issue(draft)
            space.add_activity(
                1,
                draft,
                user_id,
                when,
                {
                    "id": draft.id,
                    "key_id": draft.key_id,
                    "summary": draft.summary,
                    "description": draft.description,
                },
            )
            if draft.parent_issue_id is not None:
                self.render.forget(draft.parent_issue_id)
            return draft

    # ---- PATCH /issues/:idOrKey ----------------------------------------------------------

    def update(self, user_id: int, id_or_key: str, form: Params) -> Issue:
        space = self.space
        with space.lock:
            issue = space.issue(id_or_key, user_id)
            self._require_role(user_id, _EDITORS, "update issues")
            project = space.projects[issue.project_id]
            changes = self._changes(issue, project, form, creating=False)
            text = form.get("comment") or ""
            if not changes and not text:
                return issue
            old_parent = issue.parent_issue_id
            for change in changes:
                self._apply(issue, change)
            when = now()
            comment = self._add_comment(issue, user_id, text, changes, when)
            space.add_activity(2, issue, user_id, when, self._content(issue, comment, changes))
            self.render.forget(issue.id)
            for parent in (old_parent, issue.parent_issue_id):
                if parent is not None:
                    self.render.forget(parent)
            return issue

    # ---- DELETE /issues/:idOrKey ---------------------------------------------------------

    def delete(self, user_id: int, id_or_key: str) -> Json:
        space = self.space
        with space.lock:
            issue = space.issue(id_or_key, user_id)
            if not space.is_admin(user_id) and issue.created_user_id != user_id:
                raise forbidden("Only an administrator or the issue's creator may delete it.")
            body = self.render.issue(issue)
            for child_id in list(space.children.get(issue.id, [])):
                space.set_parent(space.issues[child_id], None)
                self.render.forget(child_id)
            if issue.parent_issue_id is not None:
                self.render.forget(issue.parent_issue_id)
            space.remove_issue(issue)
            space.add_activity(4, issue, user_id, now(), {"id": issue.id, "key_id": issue.key_id})
            self.render.forget(issue.id)
            return body

    # ---- POST /issues/:idOrKey/comments --------------------------------------------------

    def comment(self, user_id: int, id_or_key: str, form: Params) -> Json:
        space = self.space
        with space.lock:
            issue = space.issue(id_or_key, user_id)
            self._require_role(user_id, _ADDERS, "comment on issues")
            text = form.get("content") or ""
            if not text.strip():
                raise invalid("No comment content.", "Send the comment text in content.")
            when = now()
            comment = self._add_comment(issue, user_id, text, [], when)
            space.add_activity(3, issue, user_id, when, self._content(issue, comment, []))
            self.render.forget(issue.id)
            return self.render.comment(comment)

    # ---- helpers -------------------------------------------------------------------------

    def _require_role(self, user_id: int, roles: tuple[int, ...], what: str) -> None:
        if self.space.users[user_id].role_type not in roles:
            raise forbidden(f"This user's role may not {what}.")

    def _add_comment(
        self, issue: Issue, user_id: int, text: str, changes: list[_Change], when: int
    ) -> Comment:
        space = self.space
        log = [change_log_entry(c.field, c.new, c.old) for c in changes]
        for entry, change in zip(log, changes, strict=True):
            entry["attributeInfo"] = change.attribute
        comment = Comment(
            space.next_comment_id, issue.id, issue.project_id, text, log, user_id, when, when
        )
        space.next_comment_id += 1
        space.comments[comment.id] = comment
        if issue.extra_comment_ids is None:
            issue.extra_comment_ids = []
        issue.extra_comment_ids.append(comment.id)
        issue.updated = when
        issue.updated_user_id = user_id
        return comment

    @staticmethod
    def _content(issue: Issue, comment: Comment, changes: list[_Change]) -> Json:
        return {
            "id": issue.id,
            "key_id": issue.key_id,
            "summary": issue.summary,
            "description": issue.description,
            "comment": {"id": comment.id, "content": comment.content},
            "changes": [
                {
                    "field": c.field,
                    "new_value": _activity_value(c, "new"),
                    "old_value": _activity_value(c, "old"),
                    "type": "standard",
                }
                for c in changes
            ],
            "attachments": [],
            "shared_files": [],
            "external_file_links": [],
        }

    def _apply(self, issue: Issue, change: _Change) -> None:
        if change.attr.startswith("custom:"):
            index = int(change.attr.removeprefix("custom:"))
            values = list(self.space.custom_of(issue))
            values[index] = change.value
            issue.custom = tuple(values)
        elif change.attr == "parent_issue_id":
            if issue.id:
                self.space.set_parent(issue, change.value)
            else:
                issue.parent_issue_id = change.value
        else:
            setattr(issue, change.attr, change.value)

    def _changes(
        self, issue: Issue, project: Project, form: Params, creating: bool
    ) -> list[_Change]:
        """Validate every field in the form; return what would change (nothing applied yet)."""
        space = self.space
        out: list[_Change] = []

        def add(attr: str, value: Any, field: str, new: str, old: str) -> None:
            if creating or value != getattr(issue, attr):
                out.append(_Change(attr, value, field, new, old, old_raw=getattr(issue, attr)))

        if "summary" in form and not creating:
            summary = (form.get("summary") or "").strip()
            if not summary:
                raise invalid("summary must not be empty.")
            add("summary", summary, "summary", summary, issue.summary)
        if "description" in form:
            text = form.get("description") or ""
            add("description", text, "description", text, issue.description)
        if "issueTypeId" in form:
            type_id = form.get_int("issueTypeId")
            types = {t.id: t for t in space.issue_types.values() if t.project_id == project.id}
            if type_id not in types:
                raise invalid(
                    f"No issue type {type_id} in project {project.key}.",
                    "Use an id from /projects/:key/issueTypes.",
                )
            assert type_id is not None
            old = space.issue_types.get(issue.issue_type_id)
            add("issue_type_id", type_id, "issueType", types[type_id].name, old.name if old else "")
        if "priorityId" in form:
            names = dict(space.priorities)
            priority = form.get_int("priorityId")
            if priority not in names:
                raise invalid(f"No priority {priority}.", "Use an id from /priorities.")
            assert priority is not None
            add(
                "priority_id",
                priority,
                "priority",
                names[priority],
                names.get(issue.priority_id, ""),
            )
        statuses = space.statuses[project.id]
        if "statusId" in form and not creating:
            status = form.get_int("statusId")
            if status not in statuses:
                raise invalid(
                    f"No status {status} in project {project.key}.",
                    "Use an id from /projects/:key/statuses.",
                )
            assert status is not None
            add(
                "status_id", status, "status", statuses[status].name, statuses[issue.status_id].name
            )
        if "resolutionId" in form:
            names = dict(space.resolutions)
            resolution = form.get_int("resolutionId")
            if resolution is not None and resolution not in names:
                raise invalid(f"No resolution {resolution}.", "Use an id from /resolutions.")
            add(
                "resolution_id",
                resolution,
                "resolution",
                names[resolution] if resolution is not None else "",
                names[issue.resolution_id] if issue.resolution_id is not None else "",
            )
        if "assigneeId" in form:
            assignee = form.get_int("assigneeId")
            if assignee is not None and assignee not in project.member_ids:
                raise invalid(
                    f"User {assignee} is not a member of project {project.key}.",
                    "Assign the issue to a project member.",
                )
            users = space.users
            add(
                "assignee_id",
                assignee,
                "assigner",
                users[assignee].name if assignee is not None else "",
                users[issue.assignee_id].name if issue.assignee_id is not None else "",
            )
        for param, attr, field, table in (
            ("categoryId[]", "category_ids", "category", space.categories),
            ("versionId[]", "version_ids", "version", space.versions),
            ("milestoneId[]", "milestone_ids", "milestone", space.versions),
        ):
            if param not in form:
                continue
            ids = tuple(dict.fromkeys(form.get_ints(param)))
            for item_id in ids:
                if item_id not in table or table[item_id].project_id != project.id:
                    raise invalid(f"{param} {item_id} is not in project {project.key}.")
            add(
                attr,
                ids,
                field,
                ",".join(table[i].name for i in ids),
                ",".join(table[i].name for i in getattr(issue, attr)),
            )
        for param, attr, field in (
            ("startDate", "start_day", "startDate"),
            ("dueDate", "due_day", "limitDate"),
        ):
            if param in form:
                day = parse_body_date(param, form.get(param) or "")
                old_day = getattr(issue, attr)
                add(
                    attr,
                    day,
                    field,
                    day_iso(day)[:10] if day is not None else "",
                    day_iso(old_day)[:10] if old_day is not None else "",
                )
        for param, attr in (("estimatedHours", "estimated_hours"), ("actualHours", "actual_hours")):
            if param in form:
                hours = form.get_number(param)
                if hours is not None and hours < 0:
                    raise invalid(f"{param} must be 0 or more.")
                old_hours = getattr(issue, attr)
                add(attr, hours, param, _num(hours), _num(old_hours))
        if "parentIssueId" in form:
            parent_id = form.get_int("parentIssueId")
            if parent_id is not None:
                self._check_parent(issue, project, parent_id)
            add(
                "parent_issue_id",
                parent_id,
                "parentIssue",
                str(parent_id) if parent_id is not None else "",
                str(issue.parent_issue_id) if issue.parent_issue_id is not None else "",
            )
        out.extend(self._custom_changes(issue, project, form))
        return out

    def _check_parent(self, issue: Issue, project: Project, parent_id: int) -> None:
        parent = self.space.issues.get(parent_id)
        if not project.subtasking_enabled:
            raise invalid(f"Project {project.key} does not use parent and child issues.")
        if parent is None or parent.project_id != project.id:
            raise invalid(f"parentIssueId {parent_id} is not an issue of project {project.key}.")
        if parent.id == issue.id:
            raise invalid(f"Issue {parent_id} cannot be its own parent.")
        levels = 3 if project.grandchild_enabled else 2
        depth = 1 if parent.parent_issue_id is None else 2  # the parent's level
        kids = self.space.children.get(issue.id) or []
        below = 1 + bool(kids) + any(self.space.children.get(k) for k in kids)  # its levels
        if depth + below > levels:
            raise invalid(
                f"Issue {parent_id} cannot be a parent here: issues nest {levels} levels deep "
                f"in project {project.key}."
            )

    def _custom_changes(self, issue: Issue, project: Project, form: Params) -> list[_Change]:
        out: list[_Change] = []
        fields = self.space.project_fields[project.id]
        current = self.space.custom_of(issue)
        for index, cf in enumerate(fields):
            name = f"customField_{cf.id}"
            values = form.all(name) + form.all(name + "[]")
            values += [
                v
                for k in form.names()
                if k.startswith(name + "[") and k != name + "[]"
                for v in form.all(k)
            ]
            other = form.get(name + "_otherValue")
            if not values and other is None:
                continue
            value = _parse_custom(cf, values, other, current[index])
            if value != current[index]:
                out.append(
                    _Change(
                        f"custom:{index}",
                        value,
                        cf.name,
                        _show(cf, value),
                        _show(cf, current[index]),
                        {"id": cf.id, "typeId": cf.type_id},
                    )
                )
        for name in form.names():
            base = name.removeprefix("customField_").split("[")[0].removesuffix("_otherValue")
            if name.startswith("customField_") and not any(str(cf.id) == base for cf in fields):
                raise invalid(
                    f"No custom field for {name} in project {project.key}.",
                    "Use an id from /projects/:key/customFields.",
                )
        return out


def _empty(cf: CustomField) -> Any:
    return () if cf.type_id == 6 else ((), None) if cf.type_id == 7 else None


def _parse_custom(cf: CustomField, values: list[str], other: str | None, current: Any) -> Any:
    name = f"customField_{cf.id}"
    items = {item.id for item in cf.items}
    values = [v for v in values if v != ""]

    def item_ids() -> tuple[int, ...]:
        try:
            ids = tuple(sorted({int(v) for v in values}))
        except ValueError:
            raise invalid(f"{name} takes item ids.") from None
        if not set(ids) <= items:
            raise invalid(
                f"{name}: no such item {sorted(set(ids) - items)}.",
                "Use item ids from /projects/:key/customFields.",
            )
        return ids

    text = values[-1] if values else None
    match cf.type_id:
        case 1 | 2:
            return text
        case 3:
            if text is None:
                return None
            try:
                return float(text)
            except ValueError:
                raise invalid(f"{name} must be a number, not {text!r}.") from None
        case 4:
            return parse_body_date(name, text or "")
        case 5:
            ids = item_ids()
            return ids[0] if ids else None
        case 6:
            return item_ids()
        case 7:
            ids = item_ids() if values else current[0]
            return (ids, other if other is not None else current[1])
        case _:
            ids = item_ids() if values else ((current[0],) if current else ())
            previous_other = current[1] if current else None
            return (ids[0] if ids else None, other if other is not None else previous_other)


def _show(cf: CustomField, value: Any) -> str:
    names = {item.id: item.name for item in cf.items}
    if value is None:
        return ""
    match cf.type_id:
        case 3:
            return _num(value)
        case 4:
            return day_iso(value)[:10]
        case 5:
            return str(names[value])
        case 6:
            return ",".join(names[i] for i in value)
        case 7:
            return ",".join(names[i] for i in value[0])
        case 8:
            return str(names[value[0]]) if value[0] is not None else ""
    return str(value)


def _num(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def _activity_value(change: _Change, which: str) -> str:
    """Status changes carry ids in activity content (as in Backlog's example); others names."""
    if change.field == "status":
        return str(change.value if which == "new" else change.old_raw)
    return change.new if which == "new" else change.old
