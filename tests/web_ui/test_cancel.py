"""Cancelling a run from the dataset page."""

from __future__ import annotations

import time
from collections.abc import Callable

from web_ui_helpers import Browser

from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator

URL = "/datasets/Issues"


def test_a_running_run_is_cancelled_from_its_page(
    browser: Browser, plane: ControlPlane, make_emulator: Callable[..., Emulator]
) -> None:
    # each answer takes 0.5 s and an issues run needs several, so the run is still going
    emu = make_emulator(faults={"slow": 1.0}, slow_seconds=0.5)
    plane.add_account("slow", base_url=emu.base_url, api_key=emu.api_keys["admin"])
    plane.create_dataset("Issues", account="slow", report="issues")
    started = browser.post(URL + "/run", {})
    run_id = int(started.headers["location"].split("run=")[1])
    cancel_url = f"{URL}/runs/{run_id}/cancel"
    assert cancel_url in browser.get(f"{URL}?run={run_id}").text

    assert browser.post(cancel_url, {}).status_code == 303
    deadline = time.monotonic() + 30
    while (status := browser.client.get(f"{URL}/runs/{run_id}.json").json()["status"]) in (
        "queued",
        "running",
    ):
        assert time.monotonic() < deadline, "the run did not stop"
        time.sleep(0.1)
    assert status == "cancelled"
    assert plane.get_run(run_id).rows_written == 0

    page = browser.get(URL).text
    assert cancel_url not in page  # nothing under way: no button
    browser.post(cancel_url, {})
    assert "nothing to cancel" in browser.get(URL).text
