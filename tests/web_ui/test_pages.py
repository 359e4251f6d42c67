"""The pages without a Backlog space: sign-in, CSRF, redirects, validation next to fields."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient
from web_ui_helpers import ADMIN_PASSWORD, Browser, csrf_of

from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator


def field_error(html: str, field: str) -> str:
    """The message shown next to ``field`` (empty when there is none)."""
    match = re.search(
        rf'name="{re.escape(field)}"[^>]*>.*?<div class="error" id="{re.escape(field)}-error"'
        rf"[^>]*>([^<]*)</div>",
        html,
        re.S,
    )
    return match.group(1) if match else ""


def test_pages_need_a_sign_in_and_come_back_after_it(client: TestClient) -> None:
    response = client.get("/datasets?q=abc")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fdatasets%3Fq%3Dabc"
    page = client.get(response.headers["location"])
    assert 'name="next" value="/datasets?q=abc"' in page.text
    signed = client.post(
        "/login",
        data={
            "password": ADMIN_PASSWORD,
            "next": "/datasets?q=abc",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert signed.status_code == 303
    assert signed.headers["location"] == "/datasets?q=abc"
    assert client.get("/datasets").status_code == 200


def test_a_wrong_password_shows_next_to_the_field(client: TestClient) -> None:
    page = client.get("/login")
    response = client.post("/login", data={"password": "nope", "csrf_token": csrf_of(page.text)})
    assert response.status_code == 400
    assert "not right" in field_error(response.text, "password")
    assert client.get("/datasets").status_code == 303  # still signed out


def test_sign_in_never_redirects_to_another_site(client: TestClient) -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "password": ADMIN_PASSWORD,
            "next": "//evil.test/x",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert response.headers["location"] == "/datasets"


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
    browser: Browser, plane: ControlPlane
) -> None:
    form = {"new_name": "acme", "fqdn": "acme.backlog.com", "api_key": "k"}
    response = browser.client.post("/accounts/new", data=form)
    assert response.status_code == 403
    assert "security token" in response.text
    forged = browser.client.post("/accounts/new", data={**form, "csrf_token": "forged"})
    assert forged.status_code == 403
    assert plane.list_accounts() == []
    # sign-out is a POST too: without the token the session survives
    assert browser.client.post("/logout").status_code == 403
    assert browser.client.get("/datasets").status_code == 200


def test_a_token_from_another_session_is_refused(app: object, browser: Browser) -> None:
    other = TestClient(app, base_url="http://localhost", follow_redirects=False)  # type: ignore[arg-type]
    their_token = csrf_of(other.get("/login").text)
    response = browser.client.post("/logout", data={"csrf_token": their_token})
    assert response.status_code == 403


def test_sign_out(browser: Browser) -> None:
    browser.get("/datasets")
    assert browser.post("/logout", {}).status_code == 303
    assert browser.client.get("/datasets").status_code == 303


def test_empty_datasets_page_invites_to_create_one(browser: Browser) -> None:
    page = browser.get("/datasets")
    assert page.status_code == 200
    assert "No datasets yet" in page.text
    assert 'href="/datasets/new"' in page.text
    assert "/static/app.css" in page.text
    assert browser.client.get("/static/app.css").status_code == 200


def test_a_malformed_space_address_shows_next_to_its_field(
    browser: Browser, plane: ControlPlane
) -> None:
    browser.get("/accounts/new")
    response = browser.post(
        "/accounts/new", {"new_name": "acme", "fqdn": "not a host!", "api_key": "abc"}
    )
    assert response.status_code == 400
    assert field_error(response.text, "fqdn")
    assert "abc" not in response.text  # the key typed is not sent back
    assert plane.list_accounts() == []


def test_missing_fields_are_named(browser: Browser) -> None:
    browser.get("/accounts/new")
    response = browser.post("/accounts/new", {"new_name": "", "fqdn": "", "api_key": ""})
    assert "required" in field_error(response.text, "new_name")
    assert "address" in field_error(response.text, "fqdn")
    assert "required" in field_error(response.text, "api_key")


def test_unknown_dataset_is_a_404_page(browser: Browser) -> None:
    response = browser.get("/datasets/nope")
    assert response.status_code == 404
    assert "There is no dataset named nope." in html.unescape(response.text)


def test_wizard_step_one_requires_an_account_choice(browser: Browser) -> None:
    page = browser.get("/datasets/new")
    assert "Step 1 of 5" in page.text
    assert 'value="__new__"' in page.text
    response = browser.post("/datasets/new", {"step": "1", "account": "", "action": "next"})
    assert response.status_code == 400
    assert "Pick a saved account" in response.text


def test_the_list_pages_through_many_datasets_keeping_the_filters(
    browser: Browser, plane: ControlPlane, emulator: Emulator
) -> None:
    plane.add_account("acme", base_url=emulator.base_url, api_key=emulator.api_keys["admin"])
    for i in range(230):
        plane.create_dataset(f"ds {i:03d}", account="acme", report="users",
                             description="週次" if i % 2 else "daily",
                             schedule="every 1h" if i % 3 else "manual")  # fmt: skip
    first = browser.get("/datasets").text
    assert "1–100 of 230" in first
    assert first.count('<a href="/datasets/ds%20') == 100
    assert "Page 1 of 3" in first
    third = browser.get("/datasets?page=3").text
    assert "201–230 of 230" in third
    assert "ds 229" in third
    assert "ds 000" not in third
    # a search narrows first, then pages; the links keep the search
    found = browser.get("/datasets?q=%E9%80%B1%E6%AC%A1").text  # 週次: the odd ones, 115
    assert "1–100 of 115 (of 230)" in found
    assert 'href="/datasets?q=%E9%80%B1%E6%AC%A1&amp;page=2"' in found
    assert "ds 000" not in found
    assert "due now" in found  # every 1h, never run: due at once
