"""Ground truth for the derived reports, worked out from the API's own comment change logs
(independently of ``reports.timeline``), and a control plane on a private emulator."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from backlog_connector.backlog.client import BacklogClient


def epoch(text: str) -> int:
    return int(dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC).timestamp())


@dataclass
class Truth:
    """One issue as its comments tell it."""

    issue_id: int
    project_id: int
    created: int
    status: int
    #: (comment created, from id, to id), oldest first
    moves: list[tuple[int, int, int]] = field(default_factory=list)

    def first_started(self, start: int = 1) -> int | None:
        return next((at for at, old, _new in self.moves if old == start), None)

    def resolved(self, closed: int = 4) -> int | None:
        if self.status != closed:
            return None
        return max(at for at, _old, new in self.moves if new == closed)


def truth(client: BacklogClient) -> dict[int, Truth]:
    """Every visible issue with its status moves, read issue by issue from its comments."""
    names: dict[int, dict[str, int]] = {}
    found: dict[int, Truth] = {}
    offset = 0
    while True:
        page: list[dict[str, Any]] = client.get(
            "/issues", [("count", 100), ("offset", offset), ("sort", "created"), ("order", "asc")]
        )
        for issue in page:
            pid = issue["projectId"]
            if pid not in names:
                names[pid] = {s["name"]: s["id"] for s in client.get(f"/projects/{pid}/statuses")}
            t = Truth(issue["id"], pid, epoch(issue["created"]), issue["status"]["id"])
            min_id = 0
            while True:
                comments = client.get(
                    f"/issues/{issue['id']}/comments",
                    [("count", 100), ("order", "asc"), ("minId", min_id)],
                )
                for c in comments:
                    for entry in c.get("changeLog") or []:
                        if entry["field"] == "status":
                            t.moves.append(
                                (
                                    epoch(c["created"]),
                                    names[pid][entry["originalValue"]],
                                    names[pid][entry["newValue"]],
                                )
                            )
                if len(comments) < 100:
                    break
                min_id = comments[-1]["id"]
            found[t.issue_id] = t
        if len(page) < 100:
            return found
        offset += 100
