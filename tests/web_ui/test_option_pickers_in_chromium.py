"""In Debian's chromium against a running ``serve``: the wizard's statuses (and other issue
filters) are a searchable multi-select of the space's values, following the projects ticked;
a typed name the space lacks is refused on the field, naming the valid ones; the edit page has
the same picker and check."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from test_browser import PASSWORD, browser, serve, shot  # noqa: F401 (fixtures)

from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator

pytestmark = pytest.mark.browser


def sign_in(browser: Browser, url: str, target: str) -> Page:  # noqa: F811
    page = browser.new_context(base_url=url, viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(20_000)
    page.goto(target)
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    return page


def test_wizard_pickers_offer_the_space_values_and_refuse_unknown_names(
    serve: tuple[str, Path, list[str]],  # noqa: F811
    browser: Browser,  # noqa: F811
    emulator: Emulator,
) -> None:
    url, home, _output = serve
    with ControlPlane.open(home) as plane:
        plane.add_account("emu", base_url=emulator.base_url, api_key=emulator.api_keys["admin"])
    page = sign_in(browser, url, "/datasets/new?account=emu")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.click("button[value=next]")
    expect(page.locator(".sub")).to_contain_text("Step 2 of 5")
    page.check("input[name=report][value=issues]")  # auto-submits
    page.locator("[data-project-picker] input[value=WEB]").check()
    page.click("details.filters-box > summary")
    statuses = page.locator("[data-value-picker][data-option=statuses]")
    listed = statuses.locator("[data-picker-list] label")
    expect(listed.first).to_be_visible()
    texts = listed.all_inner_texts()
    assert any("未対応" in t for t in texts)
    assert any("完了" in t for t in texts)
    assert not any(t.startswith("Open") for t in texts)  # Open is a status of API only
    # ticking API too brings its statuses; the search narrows the list
    page.locator("[data-project-picker] input[value=API]").check()
    expect(statuses.locator("[data-picker-list]")).to_contain_text("Blocked")
    statuses.locator("[data-picker-search]").fill("bloc")
    expect(listed.locator("visible=true")).to_have_count(1)
    listed.filter(has_text="Blocked").locator("input").check()
    statuses.locator("[data-picker-search]").fill("")
    listed.filter(has_text="完了").locator("input").check()
    expect(statuses.locator("[data-picker-input]")).to_have_value("Blocked,完了")
    # assignees show the login beside the name
    assignees = page.locator("[data-value-picker][data-option=assignees]")
    expect(assignees.locator("[data-picker-list]")).to_contain_text("(admin)")
    # a typed name the space lacks: refused on the field, with the valid ones
    page.locator("[data-value-picker][data-option=categories] [data-picker-input]").fill("Mobile")
    shot(page, "pickers-01-statuses")
    page.click("button[value=next]")
    error = page.locator("#opt\\.categories-error")
    expect(error).to_contain_text("no category named 'Mobile'")
    expect(error).to_contain_text("Backend")
    shot(page, "pickers-02-unknown-category")
    page.locator("[data-value-picker][data-option=categories] [data-picker-input]").fill("")
    page.click("button[value=next]")
    expect(page.locator(".sub")).to_contain_text("Step 3 of 5")
    for _step in (3, 4):
        page.click("button[value=next]")
    page.fill("#f-name", "Picked")
    page.click("button[value=create]")
    expect(page.locator("h1")).to_contain_text("Picked")
    with ControlPlane.open(home) as plane:
        options = plane.get_dataset("Picked").options
    assert options["statuses"] == "Blocked,完了"
    assert options["projects"] == "WEB,API"

    # the edit page: the same picker, ticked as saved; an unknown name is refused
    page.goto("/datasets/Picked/edit")
    edit = page.locator("[data-value-picker][data-option=statuses]")
    expect(edit.locator("[data-picker-list] input:checked")).to_have_count(2)
    edit.locator("[data-picker-input]").fill("Nope")
    page.click("text=Save changes")
    expect(page.locator("#opt\\.statuses-error")).to_contain_text("no status named 'Nope'")
    with ControlPlane.open(home) as plane:
        assert plane.get_dataset("Picked").options["statuses"] == "Blocked,完了"
    assert errors == []
