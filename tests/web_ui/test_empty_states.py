"""An empty page tells a web user what to do in the web: a link to the page's action (add an
account, create a dataset, add a destination), never a command to type."""

from __future__ import annotations

import re

from web_ui_helpers import Browser

from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator


def _empty_card(page: str) -> str:
    match = re.search(r'<div class="card empty"[^>]*>(.*?)</div>\s*(?:\{%|</main>|<div|$)',
                      page, re.S)  # fmt: skip
    assert match, "the page has no empty state"
    return match.group(1)


def test_no_account_and_no_dataset(browser: Browser) -> None:
    for url, actions in (
        ("/datasets", ('href="/accounts/new"', 'href="/datasets/new"')),
        ("/accounts", ('href="/accounts/new"',)),
        ("/insights", ('href="/accounts/new"',)),
        ("/destinations", ('href="/destinations/new"',)),
    ):
        page = browser.get(url).text
        card = _empty_card(page)
        for action in actions:
            assert action in card, (url, action)
        assert "backlog-connector" not in card, url
        assert "<code>" not in card, url


def test_an_account_but_no_dataset(
    browser: Browser, plane: ControlPlane, emulator: Emulator
) -> None:
    plane.add_account("emu", base_url=emulator.base_url, api_key=emulator.api_keys["admin"])
    card = _empty_card(browser.get("/datasets").text)
    assert 'href="/datasets/new"' in card
    assert 'href="/accounts/new"' not in card  # the account is there already
    ja = browser.get("/datasets", headers={"accept-language": "ja"}).text
    assert "最初のデータセットを作成" in _empty_card(ja)


def test_a_dataset_that_never_ran_says_press_run_now(
    browser: Browser, plane: ControlPlane, emulator: Emulator
) -> None:
    plane.add_account("emu", base_url=emulator.base_url, api_key=emulator.api_keys["admin"])
    plane.create_dataset("Fresh", account="emu", report="projects")
    page = browser.get("/datasets/Fresh").text
    assert "No table yet: press Run now to fill it." in page
    assert "datasets run" not in page  # not the CLI's words
    ja = browser.get("/datasets/Fresh", headers={"accept-language": "ja"}).text
    assert "「今すぐ実行」を押すとデータが入ります" in ja
    missing = browser.get("/datasets/Nope")
    assert missing.status_code == 404
    assert "create it with New dataset" in missing.text
    assert "'datasets create'" not in missing.text
