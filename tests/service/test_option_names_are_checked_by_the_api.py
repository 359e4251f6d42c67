"""``/api/datasets`` checks option names against the space (422 naming the valid ones, nothing
saved; ``check_options: false`` skips it), and ``/api/accounts/{name}/values/{option}`` lists
what the pickers offer."""

from __future__ import annotations

from collections.abc import Callable

from service_helpers import LiveService
from test_service_api import add_account

from backlog_connector.emulator import Emulator


def test_unknown_names_are_a_422_and_nothing_is_saved(
    live: LiveService, make_emulator: Callable[..., Emulator]
) -> None:
    emu = make_emulator()  # seed 1: WEB (未対応 ... 完了), APP, API (Open ... Closed)
    with live.client() as client:
        add_account(client, emu)
        body = {"name": "Issues", "account": "acme", "report": "issues",
                "options": {"projects": "WEB", "statuses": "Open"}}  # fmt: skip
        refused = client.post("/api/datasets", json=body)
        assert refused.status_code == 422, refused.text
        detail = refused.json()["detail"]
        assert "'statuses'" in detail
        assert "未対応" in detail
        assert "完了" in detail
        assert client.get("/api/datasets").json() == []
        unchecked = client.post("/api/datasets", json={**body, "check_options": False})
        assert unchecked.status_code == 201, unchecked.text
        good = {"projects": "WEB", "statuses": "完了"}
        assert client.patch("/api/datasets/Issues", json={"options": good}).status_code == 200
        patched = client.patch("/api/datasets/Issues", json={"options": {"projects": "NOPE"}})
        assert patched.status_code == 422
        assert "WEB" in patched.json()["detail"]
        assert client.get("/api/datasets/Issues").json()["options"] == good


def test_the_values_endpoint_lists_what_pickers_offer(
    live: LiveService, make_emulator: Callable[..., Emulator]
) -> None:
    emu = make_emulator()
    with live.client() as client:
        add_account(client, emu)
        with live.client(auth=False) as anonymous:
            assert anonymous.get("/api/accounts/acme/values/statuses").status_code == 401
        answer = client.get("/api/accounts/acme/values/issue_types", params={"projects": "WEB,API"})
        assert answer.status_code == 200, answer.text
        by_value = {v["value"]: v for v in answer.json()}
        assert by_value["バグ"]["projects"] == ["WEB"]
        assert by_value["Bug"]["projects"] == ["API"]
        both = {"バグ", "タスク", "要望", "その他", "Bug", "Task", "Request", "Other"}
        assert set(by_value) == both
        users = client.get("/api/accounts/acme/values/assignees").json()
        assert any(u["value"] == "管理者" and u["detail"] == "admin" for u in users)
        projects = client.get("/api/accounts/acme/values/projects").json()
        assert [p["value"] for p in projects] == ["WEB", "APP", "API"]
        unknown = client.get("/api/accounts/acme/values/colours")
        assert unknown.status_code == 404
        assert "statuses" in unknown.json()["detail"]
        bad = client.get("/api/accounts/acme/values/statuses", params={"projects": "NOPE"})
        assert bad.status_code == 422
        assert "WEB" in bad.json()["detail"]
        paths = client.get("/openapi.json").json()["paths"]
        assert "/api/accounts/{name}/values/{option}" in paths
