"""Input that once made the API answer 500: a lone surrogate in JSON text, run ids past the
64-bit range, an unparseable body. Each is now a 4xx in the documented error shape."""

from __future__ import annotations

import pytest
from service_helpers import LiveService

from backlog_connector.emulator import Emulator

ERROR_KEYS = {"detail", "error", "action"}


@pytest.mark.parametrize(
    "body",
    [
        '{"name": "x", "account": "\\ud800", "report": "space"}',
        '{"name": "x", "account": "acme", "report": "space", "description": "a\\udfffb"}',
        '{"name": "x", "account": "acme", "report": "space", "options": {"\\ud800": "1"}}',
    ],
)
def test_a_lone_surrogate_is_a_422_naming_the_field(
    live: LiveService, space: Emulator, body: str
) -> None:
    with live.client() as client:
        client.post("/api/accounts", json={"name": "acme", "base_url": space.base_url,
                                           "api_key": space.api_keys["admin"]})  # fmt: skip
        answer = client.post("/api/datasets", content=body,
                             headers={"Content-Type": "application/json"})  # fmt: skip
        assert answer.status_code == 422, answer.text
        assert set(answer.json()) >= ERROR_KEYS
        assert "surrogate" in answer.json()["detail"]
        assert client.get("/api/datasets").json() == []


@pytest.mark.parametrize("run_id", [2**63, 2**64 + 5, 0, -1])
def test_run_ids_out_of_range_are_a_422(live: LiveService, run_id: int) -> None:
    with live.client() as client:
        for answer in (client.get(f"/api/runs/{run_id}"),
                       client.post(f"/api/runs/{run_id}/cancel")):  # fmt: skip
            assert answer.status_code == 422, answer.text
            assert "run_id" in answer.json()["detail"]
        assert client.get(f"/api/runs/{2**63 - 1}").status_code == 404


def test_an_unparseable_body_and_a_missing_token_answer_in_the_error_shape(
    live: LiveService,
) -> None:
    with live.client() as client:
        garbage = client.post("/api/datasets", content=b"\x01\xff{",
                              headers={"Content-Type": "application/json"})  # fmt: skip
    assert garbage.status_code in (400, 422)
    assert set(garbage.json()) >= ERROR_KEYS
    with live.client(auth=False) as anonymous:
        refused = anonymous.get("/api/datasets")
    assert refused.status_code == 401
    assert refused.json()["error"] == "NotAuthenticatedError"
