"""Every read endpoint: fields and JSON types as in backlog-api.md, paging, error shapes."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from backlog_connector.emulator import Emulator

from .helpers import (
    ACTIVITY,
    CATEGORY,
    COMMENT,
    ID_NAME,
    ISSUE,
    ISSUE_TYPE,
    ITEM,
    PROJECT,
    STATUS,
    USER,
    VERSION,
    Ts,
    check_shape,
    client,
    error_code,
)


@pytest.fixture(scope="module")
def admin(emulator: Emulator) -> Iterator[httpx.Client]:
    with client(emulator) as c:
        yield c


def test_space(admin: httpx.Client) -> None:
    response = admin.get("/space")
    assert response.headers["content-type"] == "application/json;charset=utf-8"
    check_shape(
        response.json(),
        {
            "spaceKey": str,
            "name": str,
            "ownerId": int,
            "lang": str,
            "timezone": str,
            "reportSendTime": str,
            "textFormattingRule": str,
            "created": Ts,
            "updated": Ts,
        },
    )


def test_users_myself_and_one_user(admin: httpx.Client, emulator: Emulator) -> None:
    users = admin.get("/users").json()
    assert len(users) == len(emulator.state.users)
    for user in users:
        check_shape(user, USER)
    assert {u["roleType"] for u in users} == {1, 2, 3, 4, 5, 6}
    assert any(u["nulabAccount"] is None for u in users)
    assert any(u["lastLoginTime"] is None for u in users)
    me = admin.get("/users/myself").json()
    assert me["roleType"] == 1
    assert admin.get(f"/users/{users[3]['id']}").json() == users[3]
    missing = admin.get("/users/99999")
    assert missing.status_code == 404
    assert error_code(missing) == 6


def test_projects_archived_and_all(admin: httpx.Client, emulator: Emulator) -> None:
    projects = admin.get("/projects").json()
    for project in projects:
        check_shape(project, PROJECT)
    assert len(projects) == len(emulator.state.projects)
    archived = admin.get("/projects", params={"archived": "true"}).json()
    active = admin.get("/projects", params={"archived": "false"}).json()
    assert [p["archived"] for p in archived] == [True]
    assert all(not p["archived"] for p in active)
    assert len(archived) + len(active) == len(projects)
    first = projects[0]
    assert admin.get(f"/projects/{first['projectKey']}").json() == first
    assert admin.get(f"/projects/{first['id']}").json() == first
    missing = admin.get("/projects/NOPE")
    assert missing.status_code == 404
    assert error_code(missing) == 6
    assert missing.json()["errors"][0]["message"] == "No project."


def test_project_lists(admin: httpx.Client, emulator: Emulator) -> None:
    key = next(iter(emulator.state.projects.values())).key
    types = admin.get(f"/projects/{key}/issueTypes").json()
    assert len(types) == 4
    for t in types:
        check_shape(t, ISSUE_TYPE)
        assert t["color"] in {"#990000", "#7ea800", "#ff9200", "#2779ca"}
    for c in admin.get(f"/projects/{key}/categories").json():
        check_shape(c, CATEGORY)
    statuses = admin.get(f"/projects/{key}/statuses").json()
    for s in statuses:
        check_shape(s, STATUS)
    assert {1, 2, 3, 4} <= {s["id"] for s in statuses}
    orders = [s["displayOrder"] for s in statuses]
    assert orders == sorted(orders)
    versions = admin.get(f"/projects/{key}/versions").json()
    assert versions
    for v in versions:
        check_shape(v, VERSION)
    fields = admin.get(f"/projects/{key}/customFields").json()
    assert sorted(f["typeId"] for f in fields) == [1, 2, 3, 4, 5, 6, 7, 8]
    for f in fields:
        assert {"id", "projectId", "typeId", "name", "description", "required"} <= set(f)
        assert isinstance(f["applicableIssueTypes"], list)
        if f["typeId"] >= 5:
            assert f["items"]
            for item in f["items"]:
                check_shape(item, ITEM)
        if f["typeId"] == 3:
            assert {"min", "max", "initialValue", "unit"} <= set(f)
    members = admin.get(f"/projects/{key}/users").json()
    for m in members:
        check_shape(m, USER)
    assert len(members) == len(emulator.state.projects[1].member_ids)


def test_priorities_and_resolutions(admin: httpx.Client) -> None:
    priorities = admin.get("/priorities").json()
    assert [p["id"] for p in priorities] == [2, 3, 4]
    resolutions = admin.get("/resolutions").json()
    assert [r["id"] for r in resolutions] == [0, 1, 2, 3, 4]
    for item in priorities + resolutions:
        check_shape(item, ID_NAME)


def test_teams_paging_and_order(admin: httpx.Client, emulator: Emulator) -> None:
    team_shape = {
        "id": int,
        "name": str,
        "members": [USER],
        "displayOrder": None,
        "createdUser": USER,
        "created": Ts,
        "updatedUser": USER,
        "updated": Ts,
    }
    teams = admin.get("/teams").json()
    for team in teams:
        check_shape(team, team_shape)
    ids = [t["id"] for t in teams]
    assert ids == sorted(ids, reverse=True)  # default order desc
    asc = admin.get("/teams", params={"order": "asc", "count": 2, "offset": 1}).json()
    assert [t["id"] for t in asc] == sorted(ids)[1:3]
    assert admin.get(f"/teams/{ids[0]}").json() == teams[0]


def test_issues_shape_and_default_paging(admin: httpx.Client, emulator: Emulator) -> None:
    page = admin.get("/issues").json()
    assert len(page) == 20  # default count
    for issue in page:
        check_shape(issue, ISSUE)
    created = [(i["created"], i["id"]) for i in page]
    assert created == sorted(created, reverse=True)  # default sort: created desc
    newest = max(emulator.state.issues.values(), key=lambda i: (i.created, i.id))
    assert page[0]["id"] == newest.id
    assert isinstance(page, list)  # a bare array: no total


def test_issue_custom_field_values_cover_every_type(admin: httpx.Client) -> None:
    seen: dict[int, object] = {}
    for offset in range(0, 300, 100):
        for issue in admin.get("/issues", params={"count": 100, "offset": offset}).json():
            for cf in issue["customFields"]:
                base = {"id": int, "fieldTypeId": int, "name": str}
                kind = cf["fieldTypeId"]
                value_shape: object = {
                    1: (str, None),
                    2: (str, None),
                    3: (float, None),
                    4: (Ts, None),
                    5: (ITEM, None),
                    6: [ITEM],
                    7: [ITEM],
                    8: (ITEM, None),
                }[kind]
                extra = {"otherValue": (str, None)} if kind in (7, 8) else {}
                check_shape(cf, base | {"value": value_shape} | extra)
                if cf["value"] not in (None, []):
                    seen[kind] = cf["value"]
    assert sorted(seen) == [1, 2, 3, 4, 5, 6, 7, 8]


def test_single_issue_by_id_and_key(admin: httpx.Client, emulator: Emulator) -> None:
    issue = admin.get("/issues", params={"count": 1}).json()[0]
    assert admin.get(f"/issues/{issue['id']}").json() == issue
    assert admin.get(f"/issues/{issue['issueKey']}").json() == issue
    missing = admin.get("/issues/WEB-999999")
    assert missing.status_code == 404
    assert error_code(missing) == 6
    assert missing.json()["errors"][0]["message"] == "No issue."


def test_comments_keyset_paging(admin: httpx.Client, emulator: Emulator) -> None:
    issue = max(emulator.state.issues.values(), key=lambda i: i.comment_n)
    assert issue.comment_n >= 3
    comments = admin.get(f"/issues/{issue.id}/comments", params={"count": 100}).json()
    assert len(comments) == issue.comment_n
    for c in comments:
        check_shape(c, COMMENT)
        assert c["issueId"] == issue.id
    ids = [c["id"] for c in comments]
    assert ids == sorted(ids, reverse=True)  # default desc
    asc = admin.get(f"/issues/{issue.id}/comments", params={"order": "asc", "count": 2}).json()
    assert [c["id"] for c in asc] == sorted(ids)[:2]
    after = admin.get(
        f"/issues/{issue.id}/comments", params={"order": "asc", "minId": sorted(ids)[0]}
    ).json()
    assert [c["id"] for c in after] == sorted(ids)[1:]  # minId is exclusive
    before = admin.get(f"/issues/{issue.id}/comments", params={"maxId": ids[0]}).json()
    assert [c["id"] for c in before] == ids[1:]  # maxId is exclusive
    count = admin.get(f"/issues/{issue.id}/comments/count").json()
    assert count == {"count": issue.comment_n}
    assert admin.get(f"/issues/{issue.id}/comments/{ids[1]}").json() == comments[1]


def test_activities_keyset_paging_and_types(admin: httpx.Client, emulator: Emulator) -> None:
    page = admin.get("/space/activities").json()
    assert len(page) == 20
    for activity in page:
        check_shape(activity, ACTIVITY)
        assert activity["notifications"] == []
    ids = [a["id"] for a in page]
    assert ids == sorted(ids, reverse=True)
    assert ids[0] == len(emulator.state.a_time)  # the newest activity comes first
    older = admin.get("/space/activities", params={"maxId": ids[-1], "count": 100}).json()
    assert older[0]["id"] == ids[-1] - 1  # exclusive
    asc = admin.get("/space/activities", params={"order": "asc", "minId": 0, "count": 5}).json()
    assert [a["id"] for a in asc] == [1, 2, 3, 4, 5]
    created = admin.get("/space/activities", params={"activityTypeId[]": 1, "count": 100}).json()
    assert {a["type"] for a in created} == {1}
    for a in created:
        assert set(a["content"]) == {"id", "key_id", "summary", "description"}
    both = admin.get(
        "/space/activities", params=[("activityTypeId[]", 2), ("activityTypeId[]", 3)]
    ).json()
    assert {a["type"] for a in both} <= {2, 3}
    for a in both:
        assert {"comment", "changes", "attachments", "shared_files"} <= set(a["content"])


def test_activities_grow_with_time(admin: httpx.Client) -> None:
    page = admin.get("/space/activities", params={"order": "asc", "count": 100}).json()
    times = [a["created"] for a in page]
    assert times == sorted(times)


def test_project_and_user_activities(admin: httpx.Client, emulator: Emulator) -> None:
    project = emulator.state.projects[2]
    for a in admin.get(f"/projects/{project.key}/activities", params={"count": 50}).json():
        assert a["project"]["id"] == project.id
    for a in admin.get("/users/1/activities", params={"count": 50}).json():
        assert a["createdUser"]["id"] == 1


def test_rate_limit_endpoint(admin: httpx.Client) -> None:
    body = admin.get("/rateLimit").json()
    budget = {"limit": int, "remaining": int, "reset": int}
    check_shape(
        body,
        {"rateLimit": {"read": budget, "update": budget, "search": budget, "icon": budget}},
    )


def test_icons_are_images(admin: httpx.Client) -> None:
    for path in ("/space/image", "/users/1/icon", "/projects/1/image"):
        response = admin.get(path)
        assert response.headers["content-type"] == "image/png"
        assert response.content.startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/issues", {"count": 0}),
        ("/issues", {"count": 101}),
        ("/issues", {"count": "ten"}),
        ("/issues", {"offset": -1}),
        ("/issues", {"createdSince": "2025/01/01"}),
        ("/issues", {"updatedUntil": "2025-13-40"}),
        ("/issues", {"sort": "colour"}),
        ("/issues", {"order": "up"}),
        ("/issues/count", {"dueDateSince": "yesterday"}),
        ("/space/activities", {"count": 101}),
        ("/teams", {"count": 0}),
        ("/issues/1/comments", {"count": 1000}),
    ],
)
def test_bad_parameters_are_400_code_7(
    admin: httpx.Client, path: str, params: dict[str, object]
) -> None:
    response = admin.get(path, params=params)  # type: ignore[arg-type]
    assert response.status_code == 400
    assert error_code(response) == 7
    assert response.json()["errors"][0]["message"]


def test_unknown_endpoint_is_404(admin: httpx.Client) -> None:
    response = admin.get("/nothing/here")
    assert response.status_code == 404
    assert error_code(response) == 6
