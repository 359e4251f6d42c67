"""Records to Backlog's JSON. Issues keep their serialised bytes cached until a write drops them."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

import orjson

from . import words
from .devrender import DevRenderer
from .model import CustomField, Issue, Project, SharedFile, Team, User, Version
from .render_events import EventRenderer
from .render_events import change_log_entry as change_log_entry  # writes.py uses it
from .space import Space
from .timefmt import day_iso, iso, zone_day_iso

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
        "useDocument": True,
        "useFileSharing": True,
        "useWikiTreeView": True,
        "useSubversion": False,
        "useGit": True,
        "useOriginalImageSizeAtWiki": False,
        "textFormattingRule": p.text_formatting_rule,
        "archived": p.archived,
        "displayOrder": p.display_order,
        "useDevAttributes": p.use_dev_attributes,
        "grandchildIssueEnabled": p.grandchild_enabled,
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
        "startDate": _date(v.start_day, v.project_id),
        "releaseDueDate": _date(v.release_due_day, v.project_id),
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


class Renderer(EventRenderer, DevRenderer):
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

    def serve_as(self, issue_id: int, body: Json) -> None:
        """Serve ``body`` as the issue's JSON until a write drops it (odd or drifted bodies
        in tests; ``issue(...)`` gives the regular one to start from)."""
        with self._cache_lock:
            self._cache[issue_id] = dumps(body)

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
            "startDate": _date(i.start_day, i.project_id),
            "dueDate": _date(i.due_day, i.project_id),
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
            "sharedFiles": [self.shared_file(f) for f in space.shared_files_of(i)],
            "stars": self._issue_stars(i),
        }

    def shared_file(self, f: SharedFile) -> Json:
        return {
            "id": f.id,
            "projectId": f.project_id,
            "type": "file",
            "dir": f.dir,
            "name": f.name,
            "size": f.size,
            "createdUser": self._users[f.created_user_id],
            "created": iso(f.created),
            "updatedUser": self._users[f.updated_user_id],
            "updated": iso(f.updated),
        }

    def _issue_stars(self, i: Issue) -> list[Json]:
        if i.id % 7:
            return []
        key = self.space.issue_key(i)
        presenter = self.space.projects[i.project_id].member_ids[-1]
        return [
            {
                "id": 900_000 + i.id,
                "comment": None if i.id % 2 else "いいね",
                "url": f"https://emulator.backlog.com/view/{key}",
                "title": f"[{key}] {i.summary} | 課題の表示 - Backlog",
                "presenter": self._users[presenter],
                "created": iso(i.created + 3600),
            }
        ]

    def issue_with_summary(self, i: Issue) -> Json:
        """The issue plus ``childIssueSummary`` (``expand[]=childIssueSummary``)."""
        return {**self.issue(i), "childIssueSummary": self.child_summary(i)}

    def child_summary(self, i: Issue) -> Json:
        """``childIssueSummary`` (``expand[]=childIssueSummary``): the direct children."""
        children = [self.space.issues[c] for c in self.space.children.get(i.id, ())]
        return {"total": len(children), "closed": sum(1 for c in children if c.status_id == 4)}

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


def _date(day: int | None, project_id: int) -> str | None:
    """A date-only field: midnight UTC, or (even projects) the zone's midnight in UTC."""
    if day is None:
        return None
    return zone_day_iso(day) if project_id % 2 == 0 else day_iso(day)
