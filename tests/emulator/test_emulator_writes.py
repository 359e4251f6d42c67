"""Writes followed by reads: the change, the new ``updated``, the comment and the activity."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import httpx
import pytest

from backlog_connector.emulator import Emulator

from .helpers import COMMENT, ISSUE, check_shape, client, error_code


@pytest.fixture
def emu(make_emulator: Callable[..., Emulator]) -> Emulator:
    return make_emulator(issues=60)


@pytest.fixture
def admin(emu: Emulator) -> Iterator[httpx.Client]:
    with client(emu) as c:
        yield c


def newest_activity(c: httpx.Client) -> dict[str, object]:
    page: list[dict[str, object]] = c.get("/space/activities", params={"count": 1}).json()
    return page[0]


def recent(timestamp: str) -> bool:
    when = dt.datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    return abs((dt.datetime.now(dt.UTC) - when).total_seconds()) < 30


def test_create_issue(admin: httpx.Client, emu: Emulator) -> None:
    before = newest_activity(admin)
    count = admin.get("/issues/count").json()["count"]
    project = emu.state.projects[1]
    type_id = next(t.id for t in emu.state.issue_types.values() if t.project_id == 1)
    category = next(c.id for c in emu.state.categories.values() if c.project_id == 1)
    response = admin.post(
        "/issues",
        data={
            "projectId": 1,
            "summary": "新しい課題 from the test",
            "issueTypeId": type_id,
            "priorityId": 2,
            "description": "details",
            "categoryId[]": [category],
            "dueDate": "2026-12-24",
            "estimatedHours": "2.5",
            "assigneeId": project.member_ids[-1],
        },
    )
    assert response.status_code == 201
    issue = response.json()
    check_shape(issue, ISSUE)
    assert issue["issueKey"] == f"{project.key}-{issue['keyId']}"
    assert issue["status"]["id"] == 1
    assert issue["dueDate"] == "2026-12-24T00:00:00Z"
    assert issue["estimatedHours"] == 2.5
    assert [c["id"] for c in issue["category"]] == [category]
    assert recent(issue["created"])
    assert issue["created"] == issue["updated"]
    assert admin.get(f"/issues/{issue['issueKey']}").json() == issue
    assert admin.get("/issues/count").json()["count"] == count + 1
    assert admin.get("/issues", params={"count": 1}).json()[0]["id"] == issue["id"]
    activity = newest_activity(admin)
    assert activity["id"] > before["id"]  # type: ignore[operator]
    assert activity["type"] == 1
    assert activity["content"] == {
        "id": issue["id"],
        "key_id": issue["keyId"],
        "summary": issue["summary"],
        "description": "details",
    }


def test_update_issue_writes_comment_changelog_and_activity(
    admin: httpx.Client, emu: Emulator
) -> None:
    target = next(i for i in emu.state.issues.values() if i.status_id == 1 and i.project_id == 1)
    old = admin.get(f"/issues/{target.id}").json()
    response = admin.patch(
        f"/issues/{target.id}",
        data={"statusId": 2, "summary": "renamed", "comment": "作業開始", "priorityId": 2},
    )
    assert response.status_code == 200
    updated = response.json()
    assert updated["status"]["id"] == 2
    assert updated["summary"] == "renamed"
    assert updated["updated"] > old["updated"]
    assert recent(updated["updated"])
    assert updated["updatedUser"]["id"] == 1
    assert admin.get(f"/issues/{target.id}").json() == updated  # the cache was dropped
    comments = admin.get(f"/issues/{target.id}/comments", params={"count": 1}).json()
    newest = comments[0]
    check_shape(newest, COMMENT)
    assert newest["content"] == "作業開始"
    status_names = {s.id: s.name for s in emu.state.statuses[1].values()}
    changes = {c["field"]: (c["originalValue"], c["newValue"]) for c in newest["changeLog"]}
    assert changes["status"] == (status_names[1], status_names[2])
    assert changes["summary"] == (old["summary"], "renamed")
    assert "priority" in changes
    activity = newest_activity(admin)
    assert activity["type"] == 2
    content = activity["content"]
    assert content["comment"] == {"id": newest["id"], "content": "作業開始"}  # type: ignore[index]
    status_change = next(c for c in content["changes"] if c["field"] == "status")  # type: ignore[index]
    assert status_change == {
        "field": "status",
        "new_value": "2",
        "old_value": "1",
        "type": "standard",
    }
    # the search sees the change
    found = admin.get("/issues", params={"statusId[]": 2, "id[]": target.id}).json()
    assert [i["id"] for i in found] == [target.id]
    by_updated = admin.get("/issues", params={"sort": "updated", "count": 1}).json()
    assert by_updated[0]["id"] == target.id


def test_add_comment(admin: httpx.Client, emu: Emulator) -> None:
    target = next(iter(emu.state.issues.values()))
    before = newest_activity(admin)
    response = admin.post(
        f"/issues/{emu.state.issue_key(target)}/comments",
        data={"content": "コメントです"},
    )
    assert response.status_code == 201
    comment = response.json()
    check_shape(comment, COMMENT)
    assert comment["changeLog"] == []  # Backlog sends an empty list, not null
    assert comment["id"] > max(emu.state.c_id)
    issue = admin.get(f"/issues/{target.id}").json()
    assert issue["updated"] == comment["created"]
    listed = admin.get(f"/issues/{target.id}/comments", params={"count": 1}).json()
    assert listed == [comment]
    activity = newest_activity(admin)
    assert activity["id"] == before["id"] + 1  # type: ignore[operator]
    assert activity["type"] == 3
    assert activity["content"]["comment"]["id"] == comment["id"]  # type: ignore[index]


def test_delete_issue(admin: httpx.Client, emu: Emulator) -> None:
    target = next(i for i in emu.state.issues.values() if not emu.state.children.get(i.id))
    key = emu.state.issue_key(target)
    response = admin.delete(f"/issues/{key}")
    assert response.status_code == 200
    assert response.json()["id"] == target.id
    assert admin.get(f"/issues/{key}").status_code == 404
    assert target.id not in {i["id"] for i in admin.get("/issues", params={"count": 100}).json()}
    activity = newest_activity(admin)
    assert activity["type"] == 4
    assert activity["content"] == {"id": target.id, "key_id": target.key_id}
    assert admin.delete(f"/issues/{key}").status_code == 404


def test_bad_writes_are_refused_and_change_nothing(admin: httpx.Client, emu: Emulator) -> None:
    target = next(iter(emu.state.issues.values()))
    before = admin.get(f"/issues/{target.id}").json()
    activities = newest_activity(admin)["id"]
    for data in (
        {"statusId": 999},
        {"summary": "ok", "dueDate": "31/12/2026"},
        {"assigneeId": 99999},
        {"customField_999999": "x"},
        {"priorityId": 2, "estimatedHours": "lots"},
    ):
        response = admin.patch(f"/issues/{target.id}", data=data)
        assert response.status_code == 400, data
        assert error_code(response) == 7
    assert admin.post(f"/issues/{target.id}/comments", data={"content": " "}).status_code == 400
    assert admin.post("/issues", data={"projectId": 1}).status_code == 400
    missing = admin.patch("/issues/999999", data={"summary": "x"})
    assert missing.status_code == 404
    assert error_code(missing) == 6
    assert admin.get(f"/issues/{target.id}").json() == before
    assert newest_activity(admin)["id"] == activities


def test_custom_field_update(admin: httpx.Client, emu: Emulator) -> None:
    target = next(i for i in emu.state.issues.values() if i.project_id == 1)
    fields = emu.state.project_fields[1]
    text = next(f for f in fields if f.type_id == 1)
    multi = next(f for f in fields if f.type_id == 6)
    items = [multi.items[0].id, multi.items[1].id]
    response = admin.patch(
        f"/issues/{target.id}",
        data={f"customField_{text.id}": "Acme", f"customField_{multi.id}[]": items},
    )
    assert response.status_code == 200
    values = {cf["id"]: cf["value"] for cf in response.json()["customFields"]}
    assert values[text.id] == "Acme"
    assert [v["id"] for v in values[multi.id]] == sorted(items)
    comment = admin.get(f"/issues/{target.id}/comments", params={"count": 1}).json()[0]
    entry = next(c for c in comment["changeLog"] if c["field"] == text.name)
    assert entry["newValue"] == "Acme"
    assert entry["attributeInfo"] == {"id": text.id, "typeId": 1}


def test_member_cannot_write_to_projects_they_have_not_joined(emu: Emulator) -> None:
    other = next(p for p in emu.state.projects.values() if 2 not in p.member_ids)
    hidden = next(i for i in emu.state.issues.values() if i.project_id == other.id)
    with client(emu, "member") as member:
        assert member.patch(f"/issues/{hidden.id}", data={"summary": "x"}).status_code == 404
        assert (
            member.post(f"/issues/{hidden.id}/comments", data={"content": "x"}).status_code == 404
        )
        not_mine = next(
            i
            for i in emu.state.issues.values()
            if 2 in emu.state.projects[i.project_id].member_ids and i.created_user_id != 2
        )
        refused = member.delete(f"/issues/{not_mine.id}")
        assert refused.status_code == 403
        assert error_code(refused) == 5


def test_json_bodies_are_refused_with_the_fix(admin: httpx.Client, emu: Emulator) -> None:
    before = admin.get("/issues/1").json()
    response = admin.patch("/issues/1", json={"summary": "json"})
    assert response.status_code == 400
    assert error_code(response) == 7
    assert "x-www-form-urlencoded" in response.json()["errors"][0]["moreInfo"]
    assert "X-RateLimit-Remaining" in response.headers
    assert admin.get("/issues/1").json() == before
