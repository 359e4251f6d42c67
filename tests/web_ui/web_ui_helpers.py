"""Helpers for the web UI tests: the CSRF token of a page, a signed-in form-posting client."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi.testclient import TestClient

ADMIN_PASSWORD = "correct horse battery staple"
_FORM = {"content-type": "application/x-www-form-urlencoded"}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form of a page."""
    match = _CSRF.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


class Browser:
    """A signed-in TestClient that posts forms with the CSRF token of the page they are on."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.token = ""

    def _remember(self, response: httpx.Response) -> httpx.Response:
        if 'name="csrf_token"' in response.text:
            self.token = csrf_of(response.text)
        return response

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self._remember(self.client.get(url, **kw))

    def post(self, url: str, data: Mapping[str, str | list[str]]) -> httpx.Response:
        if not self.token:
            self.get("/datasets")
        body = [(k, v) for k, vs in data.items() for v in (vs if isinstance(vs, list) else [vs])]
        body.append(("csrf_token", self.token))
        return self._remember(self.client.post(url, content=urlencode(body), headers=_FORM))


def field_error(page: str, field: str) -> str:
    match = re.search(rf'<div class="error" id="{re.escape(field)}-error"[^>]*>([^<]*)</div>',
                      page)  # fmt: skip
    return html.unescape(match.group(1)) if match else ""


def wizard(browser: Browser, step: int, fields: dict[str, str | list[str]], page: str) -> str:
    """Post one wizard step with the hidden fields the page carries."""
    carried: dict[str, str | list[str]] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page):
        if name not in ("csrf_token", "step"):
            value = html.unescape(value)
            previous = carried.get(name)
            carried[name] = (
                value
                if previous is None
                else [*(previous if isinstance(previous, list) else [previous]), value]
            )
    response = browser.post("/datasets/new", {**carried, **fields, "step": str(step)})
    return response.text if response.status_code != 303 else response.headers["location"]
