"""The emulator answers over a real loopback socket."""

from __future__ import annotations

import httpx

from backlog_connector.emulator import Emulator


def test_space_and_issue_paging(emulator: Emulator) -> None:
    headers = {"Backlog-API-Key": emulator.api_keys["admin"]}
    with httpx.Client(base_url=emulator.base_url + "/api/v2", headers=headers) as client:
        space = client.get("/space")
        assert space.status_code == 200
        assert space.json()["spaceKey"] == "emulator"
        first = client.get("/issues", params={"count": 100}).json()
        second = client.get("/issues", params={"count": 100, "offset": 100}).json()
        assert len(first) == 100
        assert len(second) == 100
        assert not {i["id"] for i in first} & {i["id"] for i in second}
        assert client.get("/issues/count").json() == {"count": len(emulator.state.issues)}
