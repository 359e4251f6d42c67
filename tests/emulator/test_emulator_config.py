"""Bad settings are refused with a message naming the problem and the fix; HTTP details."""

from __future__ import annotations

import http.client

import pytest

from backlog_connector.emulator import Emulator, EmulatorConfig


def test_bad_config_names_every_problem() -> None:
    with pytest.raises(ValueError, match="invalid EmulatorConfig") as info:
        EmulatorConfig(plan="gold", projects=0, fault_rate=2, faults={"fire": 1.0})  # type: ignore[arg-type]
    message = str(info.value)
    for expected in (
        "plan must be one of paid, free, unlimited",
        "projects must be at least 1",
        "fault_rate must lie between 0 and 1",
        "unknown fault kinds ['fire']",
    ):
        assert expected in message


def test_set_faults_refuses_unknown_kinds_and_keeps_the_old_setting(emulator: Emulator) -> None:
    before = emulator.faults.describe()
    with pytest.raises(ValueError, match="unknown fault kinds"):
        emulator.set_faults(fire=1.0)
    with pytest.raises(ValueError, match="add up to at most 1"):
        emulator.set_faults(http_500=0.7, http_503=0.7)
    assert emulator.faults.describe() == before


def test_revoking_an_unknown_key_is_an_error(emulator: Emulator) -> None:
    with pytest.raises(ValueError, match="no such API key"):
        emulator.revoke_key("not-a-key")


def test_keep_alive_and_content_length(emulator: Emulator) -> None:
    host, port = emulator.base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    headers = {"Backlog-API-Key": emulator.api_keys["admin"]}
    sockets = []
    for path in ("/api/v2/space", "/api/v2/issues?count=5", "/api/v2/nothing"):
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        assert response.version == 11
        assert int(response.headers["Content-Length"]) == len(body)
        sockets.append(connection.sock)
    assert sockets[0] is not None
    assert all(s is sockets[0] for s in sockets)  # one connection served all three
    connection.close()
