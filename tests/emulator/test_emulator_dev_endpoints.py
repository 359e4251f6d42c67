"""The emulator's Git, pull-request, Wiki and document endpoints, and the real shapes of
issues, comments and users that older and newer spaces send."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from backlog_connector.emulator import Emulator

from .helpers import USER, Ts, check_shape, client, error_code

REPOSITORY = {
    "id": int,
    "projectId": int,
    "name": str,
    "description": str,
    "hookUrl": (str, None),
    "httpUrl": str,
    "sshUrl": str,
    "displayOrder": int,
    "pushedAt": (Ts, None),
    "createdUser": USER,
    "created": Ts,
    "updatedUser": USER,
    "updated": Ts,
}
PULL_REQUEST = {
    "id": int,
    "projectId": int,
    "repositoryId": int,
    "number": int,
    "summary": str,
    "description": str,
    "base": str,
    "branch": str,
    "status": {"id": int, "name": str},
    "assignee": (USER, None),
    "issue": ({"id": int}, None),
    "baseCommit": (str, None),
    "branchCommit": (str, None),
    "mergeCommit": (str, None),
    "closeAt": (Ts, None),
    "mergeAt": (Ts, None),
    "createdUser": USER,
    "created": Ts,
    "updatedUser": USER,
    "updated": Ts,
    "attachments": list,
    "stars": list,
}
WIKI_ITEM = {
    "id": int,
    "projectId": int,
    "name": str,
    "tags": [{"id": int, "name": str}],
    "createdUser": USER,
    "created": Ts,
    "updatedUser": USER,
    "updated": Ts,
}
DOCUMENT = {
    "id": str,
    "projectId": int,
    "title": str,
    "plain": str,
    "json": str,
    "statusId": int,
    "emoji": (str, None),
    "attachments": list,
    "tags": [{"id": int, "name": str}],
    "createdUser": USER,
    "created": Ts,
    "updatedUser": USER,
    "updated": Ts,
}


@pytest.fixture(scope="module")
def admin(emulator: Emulator) -> Iterator[httpx.Client]:
    with client(emulator) as c:
        yield c


def test_repositories_and_pull_requests(admin: httpx.Client, emulator: Emulator) -> None:
    dev = emulator.state.dev
    project = emulator.state.projects[1]
    repos = admin.get(f"/projects/{project.key}/git/repositories").json()
    assert [r["id"] for r in repos] == [r.id for r in dev.repositories[1]]
    for repo in repos:
        check_shape(repo, REPOSITORY)
    repo = dev.repositories[1][0]
    base = f"/projects/{project.key}/git/repositories/{repo.name}/pullRequests"
    listed = admin.get(base, params={"count": 100}).json()
    assert [p["number"] for p in listed] == sorted(
        (p.number for p in dev.pull_requests[repo.id]), reverse=True
    )
    for pr in listed:
        check_shape(pr, PULL_REQUEST)
    assert admin.get(f"{base}/count").json() == {"count": len(listed)}
    page = admin.get(base, params={"count": 2, "offset": 1}).json()
    assert [p["number"] for p in page] == [p["number"] for p in listed[1:3]]
    merged = admin.get(base, params={"statusId[]": 3, "count": 100}).json()
    assert {p["status"]["name"] for p in merged} <= {"Merged"}
    with_comments = next(p for p in dev.pull_requests[repo.id] if p.comments)
    comments = admin.get(f"{base}/{with_comments.number}/comments", params={"order": "asc"}).json()
    assert [c["id"] for c in comments] == [c.id for c in with_comments.comments]
    assert all(isinstance(c["changeLog"], list) for c in comments)
    assert admin.get(f"{base}/999/comments").status_code == 404


def test_wikis_need_a_project_and_count_as_search(admin: httpx.Client, emulator: Emulator) -> None:
    key = emulator.state.projects[2].key
    response = admin.get("/wikis", params={"projectIdOrKey": key})
    assert (
        response.headers["X-RateLimit-Limit"]
        == admin.get("/issues/count").headers["X-RateLimit-Limit"]
    )
    pages = response.json()
    for page in pages:
        check_shape(page, WIKI_ITEM)
    assert admin.get("/wikis/count", params={"projectIdOrKey": key}).json() == {"count": len(pages)}
    assert error_code(admin.get("/wikis")) == 7
    full = admin.get(f"/wikis/{pages[0]['id']}").json()
    assert {"content", "attachments", "sharedFiles", "stars"} <= set(full)


def test_documents_page_by_offset(admin: httpx.Client, emulator: Emulator) -> None:
    every = admin.get("/documents", params={"offset": 0, "count": 100}).json()
    assert len(every) == sum(len(d) for d in emulator.state.dev.documents.values())
    for doc in every:
        check_shape(doc, DOCUMENT)
    assert [d["created"] for d in every] == sorted(d["created"] for d in every)
    one = admin.get("/documents", params={"offset": 0, "projectId[]": 1}).json()
    assert {d["projectId"] for d in one} == {1}
    assert error_code(admin.get("/documents")) == 7  # offset is required
    assert admin.get(f"/documents/{every[0]['id']}").json()["id"] == every[0]["id"]


def test_issue_comment_and_user_shapes_of_real_spaces(
    admin: httpx.Client, emulator: Emulator
) -> None:
    issues = admin.get("/issues", params={"count": 100}).json()
    assert any(i["sharedFiles"] for i in issues)
    assert any(i["stars"] for i in issues)
    assert any(i["attachments"] for i in issues)
    dates = [i["dueDate"] for i in issues if i["dueDate"]]
    assert any(d.endswith("T15:00:00Z") for d in dates)  # midnight in Tokyo
    assert any(d.endswith("T00:00:00Z") for d in dates)
    expanded = admin.get("/issues", params={"count": 100, "expand[]": "childIssueSummary"})
    parents = [i for i in expanded.json() if i["childIssueSummary"]["total"]]
    assert parents or not emulator.state.children
    assert "childIssueSummary" not in issues[0]
    users = admin.get("/users").json()
    assert any("userId" not in u for u in users)
    assert any("userId" in u and u["userId"] is None for u in users)
    assert any(u["nulabAccount"] is None for u in users)
    assert any(isinstance(u["nulabAccount"], dict) for u in users)
    issue = next(i for i in emulator.state.issues.values() if i.comment_n >= 4)
    comments = admin.get(f"/issues/{issue.id}/comments", params={"count": 100}).json()
    assert all(isinstance(c["changeLog"], list) for c in comments)
    fields = admin.get("/projects/1/customFields").json()
    assert all(isinstance(f["version"], int) for f in fields)
    assert any(f["typeId"] == 4 and f["min"] for f in fields)


def test_rate_limit_of_an_unused_category_resets_now(
    make_emulator: Callable[..., Emulator],
) -> None:
    fresh = make_emulator(issues=10, plan="paid")
    with client(fresh, "member") as member:
        before = time.time()
        limits = member.get("/rateLimit").json()["rateLimit"]
    assert limits["icon"]["reset"] <= before + 1.5  # no window open: now, not now + 60 s


def test_three_level_issues_and_the_parent_child_filters(
    admin: httpx.Client, emulator: Emulator
) -> None:
    state = emulator.state

    def level(issue_id: int) -> int:
        parent = state.issues[issue_id].parent_issue_id
        return 1 if parent is None else 1 + level(parent)

    levels = {i: level(i) for i in state.issues}
    leaves = {i for i in state.issues if not state.children.get(i)}
    expected = {
        2: {i for i, n in levels.items() if n >= 2},
        5: {i for i, n in levels.items() if n == 3},
        6: {i for i, n in levels.items() if n == 2},
        7: {i for i, n in levels.items() if n == 1},
        8: {i for i, n in levels.items() if n < 3},
        9: {i for i, n in levels.items() if n > 1},
        10: leaves,
    }
    assert expected[5]  # the emulator has grandchildren
    for mode, ids in expected.items():
        count = admin.get("/issues/count", params={"parentChild": mode}).json()["count"]
        assert count == len(ids), mode
    flags = {p["id"]: p["grandchildIssueEnabled"] for p in admin.get("/projects").json()}
    assert {state.issues[i].project_id for i in expected[5]} <= {p for p, on in flags.items() if on}
