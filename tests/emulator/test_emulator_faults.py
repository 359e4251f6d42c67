"""Injected faults: each kind looks as described, never changes data, and a patient reader
gets exactly the data it gets without faults."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pytest

from backlog_connector.emulator import Emulator

from .helpers import client, error_code

Make = Callable[..., Emulator]


def patient_get(c: httpx.Client, path: str, params: Any = None) -> Any:
    """Retry until a complete, valid 200 answer arrives."""
    for _ in range(200):
        try:
            response = c.get(path, params=params)
        except httpx.TransportError:
            continue
        if response.status_code != 200:
            continue
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError:
            continue
    raise AssertionError(f"no good answer for {path}")


def read_everything(emu: Emulator) -> list[Any]:
    out: list[Any] = []
    with client(emu) as c:
        out.append(patient_get(c, "/projects"))
        offset = 0
        while True:
            page = patient_get(c, "/issues", {"count": 100, "offset": offset})
            out.append(page)
            offset += len(page)
            if len(page) < 100:
                break
        out.append(patient_get(c, "/issues/count"))
        max_id = None
        while True:
            params = {"count": 100} | ({"maxId": max_id} if max_id else {})
            page = patient_get(c, "/space/activities", params)
            out.append(page)
            if len(page) < 100:
                break
            max_id = page[-1]["id"]
        for issue_id in (1, 2, 3):
            out.append(patient_get(c, f"/issues/{issue_id}/comments", {"count": 100}))
    return out


def test_patient_reader_gets_the_same_data(make_emulator: Make) -> None:
    clean = make_emulator(issues=250)
    faulty = make_emulator(issues=250, fault_rate=0.2, fault_seed=7, slow_seconds=0.02)
    expected = read_everything(clean)
    assert read_everything(faulty) == expected


def test_faults_are_injected_at_about_the_rate(make_emulator: Make) -> None:
    emu = make_emulator(issues=10, fault_rate=0.2, slow_seconds=0.0)
    failures = 0
    with client(emu) as c:
        for _ in range(200):
            try:
                response = c.get("/projects")
                orjson.loads(response.content)
                failures += response.status_code != 200
            except (httpx.TransportError, orjson.JSONDecodeError):
                failures += 1
    # slow faults (1/7 of them, here 0 s) answer correctly; 6/7 of 20 % fail
    assert 10 <= failures <= 50


@pytest.mark.parametrize("kind", ["http_500", "http_502", "http_503", "spurious_429"])
def test_error_faults(make_emulator: Make, kind: str) -> None:
    emu = make_emulator(issues=10)
    emu.set_faults(**{kind: 1.0})
    with client(emu) as c:
        response = c.get("/space")
    status = {"http_500": 500, "http_502": 502, "http_503": 503, "spurious_429": 429}[kind]
    assert response.status_code == status
    if kind == "http_500":
        assert error_code(response) == 1
    elif kind == "spurious_429":
        assert error_code(response) == 13
        # a spurious refusal is not a spent budget: the headers tell the counters as they are
        # (this request counted), so a client can tell it from real exhaustion
        limit = int(response.headers["X-RateLimit-Limit"])
        assert int(response.headers["X-RateLimit-Remaining"]) == limit - 1
        assert int(response.headers["X-RateLimit-Reset"]) >= time.time() + 30
    else:
        assert response.headers["content-type"].startswith("text/html")
        assert str(status) in response.text


def test_reset_truncated_and_slow(make_emulator: Make) -> None:
    emu = make_emulator(issues=10)
    with client(emu) as c:
        emu.set_faults(reset=1.0)
        with pytest.raises(httpx.TransportError):
            c.get("/issues", params={"count": 10})
        emu.set_faults(reset=0.0, truncated=1.0)
        cut = c.get("/issues", params={"count": 10})
        assert cut.status_code == 200
        with pytest.raises(orjson.JSONDecodeError):
            orjson.loads(cut.content)
        emu.set_faults(truncated=0.0, slow=1.0, slow_seconds=0.3)
        started = time.monotonic()
        slow = c.get("/space")
        assert time.monotonic() - started >= 0.3
        assert slow.json()["spaceKey"] == "emulator"


def test_faulted_writes_change_nothing(make_emulator: Make) -> None:
    emu = make_emulator(issues=10)
    with client(emu) as c:
        before = c.get("/issues/1").json()
        activities = c.get("/space/activities", params={"count": 1}).json()
        for kind in ("http_500", "http_503", "reset", "truncated", "spurious_429"):
            emu.set_faults(0.0, **{kind: 1.0})
            try:
                c.patch("/issues/1", data={"summary": f"changed by {kind}"})
                c.post("/issues/1/comments", data={"content": "lost"})
            except httpx.TransportError:
                pass
        emu.set_faults(0.0)
        assert c.get("/issues/1").json() == before
        assert c.get("/space/activities", params={"count": 1}).json() == activities


def test_control_route_sets_faults(make_emulator: Make, http: httpx.Client) -> None:
    emu = make_emulator(issues=10)
    answer = http.post(emu.base_url + "/_emulator/faults", data={"http_503": "1"}).json()
    assert answer["rates"]["http_503"] == 1.0
    with client(emu) as c:
        assert c.get("/space").status_code == 503
    http.post(emu.base_url + "/_emulator/faults", data={"rate": "0"})
    with client(emu) as c:
        assert c.get("/space").status_code == 200
    bad = http.post(emu.base_url + "/_emulator/faults", data={"rate": "3"})
    assert bad.status_code == 400
    assert "fault probabilities" in bad.json()["errors"][0]["message"]
