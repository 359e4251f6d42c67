"""Generated pull requests of a repository, their comments and their activities (18-21)."""

from __future__ import annotations

import random
from typing import Any

from . import words
from .devmodel import PullRequest, PullRequestComment, Repository
from .space import Space

Json = dict[str, Any]
_DAY = 86400
_HOUR = 3600
_PR_STATUS = {1: "Open", 2: "Closed", 3: "Merged"}


def pull_requests(
    space: Space,
    rng: random.Random,
    repo: Repository,
    issues: list[Any],
    ids: dict[str, int],
    events: list[tuple[int, int, int, int, Json]],
    member: Any,
    when: Any,
) -> list[PullRequest]:
    """The pull requests of ``repo``, numbered from 1; each one's events go to ``events``."""
    pid = repo.project_id
    ref = {"id": repo.id, "name": repo.name, "description": repo.description}
    prs: list[PullRequest] = []
    for number in range(1, 3 + (repo.id * 3) % 8):
        created = max(when(), repo.created + _DAY)
        issue = issues[rng.randrange(len(issues))] if issues and number % 3 else None
        pr = PullRequest(
            id=ids["pr"],
            project_id=pid,
            repository_id=repo.id,
            number=number,
            summary=f"{words.SUBJECTS[number % len(words.SUBJECTS)]}の修正",
            description="" if number % 2 else "レビューをお願いします",
            base="main",
            branch=f"feature/{repo.name}-{number}",
            status_id=1,
            assignee_id=member(pid) if number % 4 else None,
            issue_id=issue.id if issue else None,
            created_user_id=member(pid),
            created=created,
            updated_user_id=member(pid),
            updated=created,
        )
        ids["pr"] += 1
        issue_ref = (
            {
                "id": issue.id,
                "key_id": issue.key_id,
                "summary": issue.summary,
                "description": issue.description,
            }
            if issue
            else None
        )

        def content(
            comment: Json | None,
            changes: list[Json],
            pr: PullRequest = pr,
            issue_ref: Any = issue_ref,
        ) -> Json:
            return {
                "id": pr.id,
                "number": pr.number,
                "summary": pr.summary,
                "description": pr.description,
                "comment": comment,
                "changes": changes,
                "issue": issue_ref,
                "repository": ref,
            }

        events.append((created, 18, pid, pr.created_user_id, content(None, [])))
        at = created
        for n in range(number % 4):
            at += rng.randrange(1, 48) * _HOUR
            final = n == number % 4 - 1 and number % 3 != 1
            new_status = 3 if final and number % 2 else 2 if final else 0
            log = []
            if new_status:
                log = [
                    {
                        "field": "status",
                        "newValue": _PR_STATUS[new_status],
                        "originalValue": _PR_STATUS[pr.status_id],
                    }
                ]
            c = PullRequestComment(ids["prc"], pr.id, f"コメント {n + 1}", log, member(pid), at, at)
            ids["prc"] += 1
            pr.comments.append(c)
            changes = (
                [{"field": "status", "new_value": str(new_status), "old_value": str(pr.status_id)}]
                if new_status
                else []
            )
            events.append(
                (at, 20, pid, c.user_id, content({"id": c.id, "content": c.content}, changes))
            )
            if new_status:
                events.append((at, 19, pid, c.user_id, content(None, changes)))
                if new_status == 3:
                    pr.merge_at = at
                    events.append((at + 1, 21, pid, c.user_id, content(None, [])))
                pr.close_at = at
                pr.status_id = new_status
            pr.updated, pr.updated_user_id = at, c.user_id
        prs.append(pr)
    return prs
