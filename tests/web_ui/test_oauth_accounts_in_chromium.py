"""In Debian's chromium against a running ``serve`` and the emulator's OAuth 2.0 support: an
account is added with the authorisation-code grant from the web pages (consent page, callback,
saved and verified); a wrong client secret is shown on the form and saves nothing; a callback
this session did not start is refused; the client secret never reaches a page or the data home
in the clear."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from test_browser import PASSWORD, browser, serve, shot  # noqa: F401 (fixtures)

from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator

pytestmark = pytest.mark.browser


def signed_in(browser: Browser, url: str) -> Page:  # noqa: F811
    page = browser.new_context(base_url=url, viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(20_000)
    page.goto("/accounts/new/oauth")
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    return page


def submit(page: Page) -> None:
    page.click("form.card button[type=submit]")


def fill(page: Page, emu: Emulator, name: str, secret: str) -> None:
    page.fill("#f-new_name", name)
    if not page.locator("#f-base_url").is_visible():
        page.click("summary")
    page.fill("#f-base_url", emu.base_url)
    page.fill("#f-client_id", emu.oauth_client["client_id"])
    page.fill("#f-client_secret", secret)


def test_an_oauth_account_is_added_from_the_web_pages(
    serve: tuple[str, Path, list[str]],  # noqa: F811
    browser: Browser,  # noqa: F811
    make_emulator: Callable[..., Emulator],
) -> None:
    url, home, output = serve
    emu = make_emulator()
    secret = emu.oauth_client["client_secret"]
    page = signed_in(browser, url)
    seen: list[str] = []
    page.on("response", lambda r: seen.append(r.url))
    expect(page.locator("h1")).to_contain_text("OAuth 2.0")
    expect(page.locator("#redirect-uri")).to_have_text(f"{url}/accounts/oauth/callback")

    # a wrong secret: the space refuses the code exchange, the form says so, nothing saved
    fill(page, emu, "oa", "not-the-secret")
    submit(page)
    expect(page.locator(".error, .form-error").first).to_contain_text("refused")
    expect(page.locator("#f-client_secret")).to_have_value("")
    assert any("OAuth2AccessRequest.action" in u for u in seen)  # went by the consent page
    shot(page, "oauth-01-refused")
    with ControlPlane.open(home) as plane:
        assert plane.list_accounts() == []

    # the right one: back on the accounts page with the account saved and verified
    fill(page, emu, "oa", secret)
    submit(page)
    expect(page.locator(".flash.success")).to_contain_text("OAuth 2.0")
    expect(page.locator("#account-oa")).to_contain_text("OAuth 2.0")
    shot(page, "oauth-02-saved")
    with ControlPlane.open(home) as plane:
        [account] = plane.list_accounts()
        assert account.auth == "oauth"
        assert account.user_login == "admin"

    # a callback this session did not start (forged, or replayed) saves nothing
    page.goto("/accounts/oauth/callback?code=abc&state=forged")
    expect(page.locator(".form-error")).to_contain_text("does not belong to a request")
    for path in home.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path
    assert secret not in "".join(output)


def test_the_form_checks_its_fields_before_leaving(
    serve: tuple[str, Path, list[str]],  # noqa: F811
    browser: Browser,  # noqa: F811
    make_emulator: Callable[..., Emulator],
) -> None:
    url, _home, _output = serve
    emu = make_emulator()
    page = signed_in(browser, url)
    page.fill("#f-new_name", "oa")
    submit(page)
    expect(page.locator("#fqdn-error")).to_be_visible()
    expect(page.locator("#client_id-error")).to_be_visible()
    expect(page.locator("#client_secret-error")).to_be_visible()
    assert page.url.startswith(url)  # still here: never sent to a consent page
    fill(page, emu, "oa", "x")
    page.fill("#f-base_url", "ftp://nowhere")
    submit(page)
    expect(page.locator("#base_url-error")).to_be_visible()
