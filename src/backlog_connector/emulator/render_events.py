"""Comments and activities to Backlog's JSON: the event half of :class:`.render.Renderer`."""

from __future__ import annotations

from typing import Any

from . import words
from .model import Comment, Issue
from .space import Space
from .timefmt import iso

Json = dict[str, Any]


class EventRenderer:
    """Comment and activity bodies; uses the renderer's pre-rendered users and projects."""

    space: Space
    _users: dict[int, Json]
    _projects: dict[int, Json]
    _resolutions: dict[int, Json]

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
