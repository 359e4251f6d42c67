"""Records to Backlog's JSON. Issues keep their serialised bytes cached until a write drops them."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

import orjson

from . import words
from .model import Comment, CustomField, Issue, Project, Team, User, Version
from .space import Space
from .timefmt import day_iso, iso

Json = dict[str, Any]


def dumps(value: Any) -> bytes:
    return orjson.dumps(value)


def user(u: User) -> Json:
    out: Json = {
        "id": u.id,
        "userId": u.user_id,
        "name": u.name,
        "roleType": u.role_type,
        "lang": u.lang,
        "nulabAccount": dict(u.nulab_account) if u.nulab_account else None,
        "mailAddress": u.mail_address,
        "lastLoginTime": iso(u.last_login) if u.last_login is not None else None,
    }
    if u.user_id is None and u.id % 2:
        del out["userId"]  # some older bodies leave the key out instead of sending null
    return out


def project(p: Project) -> Json:
    return {
        "id": p.id,
        "projectKey": p.key,
        "name": p.name,
        "chartEnabled": p.chart_enabled,
        "useResolvedForChart": p.chart_enabled,
        "subtaskingEnabled": p.subtasking_enabled,
        "projectLeaderCanEditProjectLeader": False,
        "useWiki": p.use_wiki,
        "useDocument": False,
        "useFileSharing": True,
        "useWikiTreeView": True,
        "useSubversion": False,
        "useGit": True,
        "useOriginalImageSizeAtWiki": False,
        "textFormattingRule": p.text_formatting_rule,
        "archived": p.archived,
        "displayOrder": p.display_order,
        "useDevAttributes": p.use_dev_attributes,
        "grandchildIssueEnabled": False,
    }


def space_info(space: Space) -> Json:
    i = space.info
    return {
        "spaceKey": i.space_key,
        "name": i.name,
        "ownerId": i.owner_id,
        "lang": i.lang,
        "timezone": i.timezone,
        "reportSendTime": i.report_send_time,
        "textFormattingRule": i.text_formatting_rule,
        "created": iso(i.created),
        "updated": iso(i.updated),
    }


def version(v: Version) -> Json:
    return {
        "id": v.id,
        "projectId": v.project_id,
        "name": v.name,
        "description": v.description,
        "startDate": day_iso(v.start_day) if v.start_day is not None else None,
        "releaseDueDate": day_iso(v.release_due_day) if v.release_due_day is not None else None,
        "archived": v.archived,
        "displayOrder": v.display_order,
    }


def custom_field(cf: CustomField) -> Json:
    out: Json = {
        "id": cf.id,
        "projectId": cf.project_id,
        "typeId": cf.type_id,
        "name": cf.name,
        "description": cf.description,
        "required": cf.required,
        "applicableIssueTypes": list(cf.applicable_issue_types),
        "displayOrder": cf.display_order,
        "useIssueType": bool(cf.applicable_issue_types),
    }
    out.update(cf.extra)
    if cf.type_id >= 5:
        out["items"] = [
            {"id": i.id, "name": i.name, "displayOrder": i.display_order} for i in cf.items
        ]
    return out


def priority(pid: int) -> Json:
    return {"id": pid, "name": dict(words.PRIORITIES)[pid]}


class Renderer:
    """Builds the JSON of one space; users and projects are pre-rendered, issues cached as bytes."""

    def __init__(self, space: Space, cache_limit: int) -> None:
        self.space = space
        self.cache_limit = cache_limit
        self._users = {uid: user(u) for uid, u in space.users.items()}
        self._projects = {pid: project(p) for pid, p in space.projects.items()}
        self._cache: dict[int, bytes] = {}
        self._cache_lock = threading.Lock()
        self._priorities = {pid: {"id": pid, "name": name} for pid, name in space.priorities}
        self._resolutions = {rid: {"id": rid, "name": name} for rid, name in space.resolutions}
        # the space's metadata never changes through the API: build each object once
        self._statuses = {
            (s.project_id, s.id): {
                "id": s.id,
                "projectId": s.project_id,
                "name": s.name,
                "color": s.color,
                "displayOrder": s.display_order,
            }
            for by_id in space.statuses.values()
            for s in by_id.values()
        }
        self._types = {
            t.id: {
                "id": t.id,
                "projectId": t.project_id,
                "name": t.name,
                "color": t.color,
                "displayOrder": t.display_order,
            }
            for t in space.issue_types.values()
        }
        self._categories = {
            c.id: {
                "id": c.id,
                "projectId": c.project_id,
                "name": c.name,
                "displayOrder": c.display_order,
            }
            for c in space.categories.values()
        }
        self._versions = {v.id: version(v) for v in space.versions.values()}
        self._items = {
            item.id: {"id": item.id, "name": item.name, "displayOrder": item.display_order}
            for cf in space.custom_fields.values()
            for item in cf.items
        }

    # ---- simple objects ------------------------------------------------------------------

    def user(self, uid: int) -> Json:
        return self._users[uid]

    def project(self, pid: int) -> Json:
        return self._projects[pid]

    def team(self, t: Team) -> Json:
        return {
            "id": t.id,
            "name": t.name,
            "members": [self._users[u] for u in t.member_ids],
            "displayOrder": None,
            "createdUser": self._users[t.created_user_id],
            "created": iso(t.created),
            "updatedUser": self._users[t.updated_user_id],
            "updated": iso(t.updated),
        }

    def status(self, project_id: int, status_id: int) -> Json:
        return self._statuses[(project_id, status_id)]

    def issue_type(self, type_id: int) -> Json:
        t = self.space.issue_types[type_id]
        return {
            "id": t.id,
            "projectId": t.project_id,
            "name": t.name,
            "color": t.color,
            "displayOrder": t.display_order,
            "templateSummary": t.template_summary,
            "templateDescription": t.template_description,
        }

    def category(self, category_id: int) -> Json:
        return self._categories[category_id]

    # ---- issues --------------------------------------------------------------------------

    def issue_bytes(self, issue: Issue) -> bytes:
        cached = self._cache.get(issue.id)
        if cached is not None:
            return cached
        body = dumps(self.issue(issue))
        with self._cache_lock:
            if len(self._cache) >= self.cache_limit:
                # evict the oldest entry (dicts keep insertion order)
                self._cache.pop(next(iter(self._cache)))
            self._cache[issue.id] = body
        return body

    def warm(self) -> int:
        """Render the JSON of issues (oldest first) until the cache is full; return how many
        are cached. Pages are then served from bytes, as a real server's cache would."""
        for issue in self.space.order:
            if len(self._cache) >= self.cache_limit:
                break
            self.issue_bytes(issue)
        return len(self._cache)

    def issues_bytes(self, issues: Iterable[Issue]) -> bytes:
        return b"[" + b",".join(self.issue_bytes(i) for i in issues) + b"]"

    def forget(self, issue_id: int) -> None:
        """Drop a cached issue (after a write)."""
        with self._cache_lock:
            self._cache.pop(issue_id, None)

    def issue(self, i: Issue) -> Json:
        space = self.space
        return {
            "id": i.id,
            "projectId": i.project_id,
            "issueKey": f"{space.projects[i.project_id].key}-{i.key_id}",
            "keyId": i.key_id,
            "issueType": self._types[i.issue_type_id],
            "summary": i.summary,
            "description": i.description,
            "resolution": (
                self._resolutions[i.resolution_id] if i.resolution_id is not None else None
            ),
            "priority": self._priorities[i.priority_id],
            "status": self._statuses[(i.project_id, i.status_id)],
            "assignee": self._users[i.assignee_id] if i.assignee_id is not None else None,
            "category": [self._categories[c] for c in i.category_ids],
            "versions": [self._versions[v] for v in i.version_ids],
            "milestone": [self._versions[v] for v in i.milestone_ids],
            "startDate": day_iso(i.start_day) if i.start_day is not None else None,
            "dueDate": day_iso(i.due_day) if i.due_day is not None else None,
            "estimatedHours": i.estimated_hours,
            "actualHours": i.actual_hours,
            "parentIssueId": i.parent_issue_id,
            "createdUser": self._users[i.created_user_id],
            "created": iso(i.created),
            "updatedUser": self._users[i.updated_user_id],
            "updated": iso(i.updated),
            "customFields": self.custom_values(i),
            "attachments": [
                {
                    "id": a.id,
                    "name": a.name,
                    "size": a.size,
                    "createdUser": self._users[a.created_user_id],
                    "created": iso(a.created),
                }
                for a in i.attachments
            ],
            "sharedFiles": [],
            "stars": [],
        }

    def custom_values(self, i: Issue) -> list[Json]:
        out: list[Json] = []
        for cf, raw in zip(
            self.space.project_fields[i.project_id], self.space.custom_of(i), strict=True
        ):
            if cf.applicable_issue_types and i.issue_type_id not in cf.applicable_issue_types:
                continue
            entry: Json = {"id": cf.id, "fieldTypeId": cf.type_id, "name": cf.name}
            item = self._items.__getitem__
            match cf.type_id:
                case 4:
                    entry["value"] = day_iso(raw) if raw is not None else None
                case 5:
                    entry["value"] = item(raw) if raw is not None else None
                case 6:
                    entry["value"] = [item(x) for x in raw]
                case 7:
                    entry["value"] = [item(x) for x in raw[0]]
                    entry["otherValue"] = raw[1]
                case 8:
                    entry["value"] = item(raw[0]) if raw and raw[0] is not None else None
                    entry["otherValue"] = raw[1] if raw else None
                case _:
                    entry["value"] = raw
            out.append(entry)
        return out

    # ---- comments ------------------------------------------------------------------------

    def generated_comment(self, pos: int) -> Json:
        space = self.space
        issue = space.any_issue(space.c_issue[pos])
        change_log: list[Json] = []
        to_status = space.c_status_to[pos]
        if to_status:
            statuses = space.statuses[issue.project_id]
            change_log.append(
                _change("status", statuses[to_status].name, statuses[space.c_status_from[pos]].name)
            )
        resolution = space.c_resolution[pos]
        if resolution >= 0:
            change_log.append(_change("resolution", str(self._resolutions[resolution]["name"]), ""))
        if pos % 5 == 0 and issue.attachments:
            attached = issue.attachments[pos % len(issue.attachments)]
            entry = _change("attachment", attached.name, "")
            entry["attachmentInfo"] = {"id": attached.id, "name": attached.name}
            change_log.append(entry)
        if pos % 4 == 0:
            notified = self.space.users[issue.assignee_id or issue.created_user_id]
            entry = _change("notification", notified.name, "")
            entry["notificationInfo"] = {"type": "issue.comment"}
            change_log.append(entry)
        when = iso(space.c_time[pos])
        return {
            "id": space.c_id[pos],
            "projectId": issue.project_id,
            "issueId": issue.id,
            "content": words.COMMENTS[space.c_text[pos]],
            "changeLog": change_log,
            "createdUser": self._users[space.c_user[pos]],
            "created": when,
            "updated": when,
            "stars": self._comment_stars(pos, issue, when),
            "notifications": self._comment_notifications(pos, issue),
        }

    def _comment_stars(self, pos: int, issue: Issue, when: str) -> list[Json]:
        if pos % 6:
            return []
        presenter = self.space.projects[issue.project_id].member_ids[0]
        return [
            {
                "id": 500_000 + pos,
                "comment": None,
                "url": f"https://emulator.backlog.com/view/{self.space.issue_key(issue)}"
                f"#comment-{self.space.c_id[pos]}",
                "title": f"[{self.space.issue_key(issue)}] {issue.summary}",
                "presenter": self._users[presenter],
                "created": when,
            }
        ]

    def _comment_notifications(self, pos: int, issue: Issue) -> list[Json]:
        if pos % 4:
            return []
        target = issue.assignee_id or issue.created_user_id
        return [
            {
                "id": 700_000 + pos,
                "alreadyRead": pos % 8 == 0,
                "reason": 2,
                "user": self._users[target],
                "resourceAlreadyRead": pos % 8 == 0,
            }
        ]

    def comment(self, c: Comment) -> Json:
        return {
            "id": c.id,
            "projectId": c.project_id,
            "issueId": c.issue_id,
            "content": c.content,
            "changeLog": c.change_log,
            "createdUser": self._users[c.user_id],
            "created": iso(c.created),
            "updated": iso(c.updated),
            "stars": [],
            "notifications": [],
        }

    # ---- activities ----------------------------------------------------------------------

    def activity(self, index: int) -> Json:
        space = self.space
        activity_id = index + 1
        type_ = space.a_type[index]
        content = space.a_content.get(activity_id)
        if content is None:
            content = self._generated_content(index, type_)
        return {
            "id": activity_id,
            "project": self._projects[space.a_project[index]],
            "type": type_,
            "content": content,
            "notifications": [],
            "createdUser": self._users[space.a_user[index]],
            "created": iso(space.a_time[index]),
        }

    def _generated_content(self, index: int, type_: int) -> Json:
        space = self.space
        issue = space.any_issue(space.a_issue[index])
        content: Json = {
            "id": issue.id,
            "key_id": issue.key_id,
            "summary": issue.summary,
            "description": issue.description,
        }
        if type_ == 1:
            return content
        pos = space.a_cpos[index]
        changes: list[Json] = []
        if space.c_status_to[pos]:
            changes.append(
                {
                    "field": "status",
                    "new_value": str(space.c_status_to[pos]),
                    "old_value": str(space.c_status_from[pos]),
                    "type": "standard",
                }
            )
        if space.c_resolution[pos] >= 0:
            changes.append(
                {
                    "field": "resolution",
                    "new_value": str(space.c_resolution[pos]),
                    "old_value": "",
                    "type": "standard",
                }
            )
        content["comment"] = {"id": space.c_id[pos], "content": words.COMMENTS[space.c_text[pos]]}
        content["changes"] = changes
        content["attachments"] = []
        content["shared_files"] = []
        content["external_file_links"] = []
        return content


def _change(field: str, new: str, old: str) -> Json:
    return {
        "field": field,
        "newValue": new,
        "originalValue": old,
        "attachmentInfo": None,
        "attributeInfo": None,
        "notificationInfo": None,
    }


def change_log_entry(field: str, new: str, old: str) -> Json:
    """One entry of a comment's ``changeLog``."""
    return _change(field, new, old)
