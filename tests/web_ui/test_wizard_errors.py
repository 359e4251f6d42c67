"""Errors land on the wizard step and next to the field they belong to: report options are
checked at step 2, the rest by the control plane when the dataset is created; nothing is
created on an error."""

from __future__ import annotations

import re

from web_ui_helpers import Browser, field_error, wizard

from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator


def through_to_the_last_step(
    browser: Browser, plane: ControlPlane, emulator: Emulator, options: dict[str, str]
) -> str:
    if not plane.list_accounts():
        plane.add_account("emu", base_url=emulator.base_url, api_key=emulator.api_keys["admin"])
    page = browser.get("/datasets/new").text
    page = wizard(browser, 1, {"account": "emu", "action": "next"}, page)
    page = wizard(browser, 2, {"report": "issues", **options, "action": "next"}, page)
    page = wizard(browser, 3, {"schedule_mode": "manual", "action": "next"}, page)
    page = wizard(browser, 4, {"update_mode": "merge", "retries": "0", "retry_interval": "5m",
                               "action": "next"}, page)  # fmt: skip
    assert "Step 5 of 5" in page
    return page


def test_a_bad_option_value_is_shown_at_step_2_next_to_its_field(
    browser: Browser, plane: ControlPlane, emulator: Emulator
) -> None:
    plane.add_account("emu", base_url=emulator.base_url, api_key=emulator.api_keys["admin"])
    page = browser.get("/datasets/new").text
    page = wizard(browser, 1, {"account": "emu", "action": "next"}, page)
    bad = {"report": "issues", "opt.created_since": "yesterday", "action": "next"}
    page = wizard(browser, 2, bad, page)
    assert "Step 2 of 5" in page
    assert "yyyy-MM-dd" in field_error(page, "opt.created_since")
    assert re.search(r'<details class="filters-box" open>', page)  # the filter is unfolded
    page = wizard(browser, 2, {**bad, "opt.created_since": "2026-01-31"}, page)
    assert "Step 3 of 5" in page
    assert plane.list_datasets() == []


def test_a_taken_name_is_refused_next_to_the_name(
    browser: Browser, plane: ControlPlane, emulator: Emulator
) -> None:
    page = through_to_the_last_step(browser, plane, emulator, {})
    assert "Step 2" not in wizard(browser, 5, {"name": "Issues", "action": "create"}, page)
    page = through_to_the_last_step(browser, plane, emulator, {})
    page = wizard(browser, 5, {"name": "Issues", "action": "create"}, page)
    assert "exists already" in field_error(page, "name")
    assert [d.name for d in plane.list_datasets()] == ["Issues"]


def test_back_keeps_what_was_entered(
    browser: Browser, plane: ControlPlane, emulator: Emulator
) -> None:
    page = through_to_the_last_step(browser, plane, emulator, {"opt.keyword": "ログイン"})
    page = wizard(browser, 5, {"name": "Kept", "action": "back"}, page)
    assert "Step 4 of 5" in page
    for _ in range(2):
        page = wizard(browser, int(re.search(r"Step (\d) of 5", page).group(1)),  # type: ignore[union-attr]
                      {"action": "back"}, page)  # fmt: skip
    assert "Step 2 of 5" in page
    assert 'value="ログイン"' in page
    assert 'value="issues" data-autosubmit checked' in page
