"""PATCH /api/datasets/{name} merges the options it sends into the saved ones (null removes
one, an unset one to remove is a 422 naming the set options)."""

from __future__ import annotations

from service_helpers import LiveService

from backlog_connector.emulator import Emulator


def test_patch_merges_and_removes_options(live: LiveService, space: Emulator) -> None:
    with live.client() as client:
        body = {"name": "acme", "base_url": space.base_url, "api_key": space.api_keys["admin"]}
        assert client.post("/api/accounts", json=body).status_code == 201
        created = client.post(
            "/api/datasets",
            json={
                "name": "Issues", "account": "acme", "report": "issues",
                "options": {"keyword": "bug", "created_since": "2024-01-01"},
            },
        )  # fmt: skip
        assert created.status_code == 201, created.text

        merged = client.patch("/api/datasets/Issues", json={"options": {"parent_child": "parent"}})
        assert merged.status_code == 200, merged.text
        assert merged.json()["options"] == {
            "keyword": "bug", "created_since": "2024-01-01", "parent_child": "parent"
        }  # fmt: skip

        removed = client.patch("/api/datasets/Issues", json={"options": {"keyword": None}})
        assert removed.status_code == 200, removed.text
        assert removed.json()["options"] == {
            "created_since": "2024-01-01", "parent_child": "parent"
        }  # fmt: skip

        refused = client.patch("/api/datasets/Issues", json={"options": {"statuses": None}})
        assert refused.status_code == 422
        assert "created_since, parent_child" in refused.text
        after = client.get("/api/datasets/Issues").json()["options"]
        assert after == {"created_since": "2024-01-01", "parent_child": "parent"}
