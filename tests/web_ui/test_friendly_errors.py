"""A connection error from deep inside is shown on the pages as what to do about it, with the
raw detail in the log, not the page: adding an account where nothing answers, and a run whose
space went away."""

from __future__ import annotations

import logging

import pytest
from web_ui_helpers import Browser, field_error

from backlog_connector.backlog.retry import zero_waits
from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator, EmulatorConfig
from backlog_connector.web.friendly import friendly_text

RAW = ("GET /users/myself failed for acme: network error (ConnectError: [Errno 111] Connection "
       "refused); check that 127.0.0.1:9 is reachable, a later run should succeed.")  # fmt: skip


def test_network_messages_become_actionable_sentences() -> None:
    assert friendly_text(RAW).startswith("Could not connect to 127.0.0.1:9: nothing answers")
    unknown = RAW.replace("ConnectError: [Errno 111] Connection refused",
                          "ConnectError: [Errno -2] Name or service not known")  # fmt: skip
    assert "was not found" in friendly_text(unknown)
    slow = RAW.replace("ConnectError: [Errno 111] Connection refused", "ReadTimeout: timed out")
    assert "did not answer in time" in friendly_text(slow)
    own = "The API key was refused by acme.backlog.com: check it in Personal settings › API."
    assert friendly_text(own) == own  # the connector's own messages already say what to do
    assert friendly_text(None) == ""


def test_adding_an_account_where_nothing_answers(
    browser: Browser, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="backlog_connector.web")
    with zero_waits():
        page = browser.post("/accounts/new", {"new_name": "acme", "base_url": "http://127.0.0.1:9",
                                              "api_key": "k"})  # fmt: skip
    assert page.status_code == 400
    shown = field_error(page.text, "base_url") or page.text
    assert "Could not connect to 127.0.0.1:9: nothing answers there." in shown
    assert "Errno" not in page.text
    assert "ConnectError" not in page.text
    assert "Errno 111" in caplog.text or "Connection refused" in caplog.text  # kept for the log


def test_a_failed_runs_history_says_what_to_do(browser: Browser, plane: ControlPlane) -> None:
    with Emulator(EmulatorConfig(seed=3, projects=1, issues=5, plan="unlimited")) as gone:
        plane.add_account("gone", base_url=gone.base_url, api_key=gone.api_keys["admin"])
    plane.create_dataset("Gone", account="gone", report="projects")
    with zero_waits():
        run = plane.run_datasets(["Gone"])[0]
    assert run.status == "failed"
    assert "ConnectError" in (run.error or "") or "Errno" in (run.error or "")
    page = browser.get("/datasets/Gone").text
    assert "Could not connect to 127.0.0.1:" in page
    assert "Errno" not in page
    ja = browser.get("/datasets/Gone", headers={"accept-language": "ja"}).text
    assert "に接続できませんでした" in ja
