"""Web sign-in over real HTTP: sessions end on the server at sign-out, wrong passwords are
throttled, every response carries the standard security headers, the session cookie is Secure
over https (also behind a trusted proxy that says so), and foreign Host headers are refused."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from service_helpers import LiveService, serve_in_thread

from backlog_connector.datasets.service import ControlPlane
from backlog_connector.settings import SchedulerSettings, Settings, WebSettings
from backlog_connector.web.app import create_app

PASSWORD = "correct horse battery"


def _csrf(browser: httpx.Client, path: str = "/login") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', browser.get(path).text)
    assert found is not None
    return found.group(1)


def _sign_in(browser: httpx.Client, password: str = PASSWORD, **headers: str) -> httpx.Response:
    return browser.post("/login", data={"password": password, "csrf_token": _csrf(browser)},
                        headers=headers)  # fmt: skip


@pytest.fixture
def make_live(tmp_path: Path) -> Iterator[Callable[..., LiveService]]:
    started: list[tuple[LiveService, ControlPlane]] = []

    def make(**web: object) -> LiveService:
        settings = Settings(home=tmp_path / f"home{len(started)}",
                            api_token=SecretStr("t" * 32), admin_password=SecretStr(PASSWORD),
                            scheduler=SchedulerSettings(min_interval_seconds=1),
                            web=WebSettings(**web))  # type: ignore[arg-type]  # fmt: skip
        plane = ControlPlane.open(settings=settings)
        service = serve_in_thread(create_app(plane, run_scheduler=False), plane, "t" * 32)
        started.append((service, plane))
        return service

    yield make
    for service, plane in started:
        service.stop()
        plane.close()


def test_a_copy_of_the_cookie_is_worthless_after_sign_out(live: LiveService) -> None:
    with live.client(auth=False) as browser, live.client(auth=False) as thief:
        assert _sign_in(browser).status_code == 303
        thief.cookies.update(browser.cookies)  # the cookie copied while signed in
        assert thief.get("/api/accounts").status_code == 200
        token = _csrf(browser, "/datasets/new")
        assert browser.post("/logout", data={"csrf_token": token}).status_code == 303
        assert browser.get("/api/accounts").status_code == 401
        assert thief.get("/api/accounts").status_code == 401
        page = thief.get("/datasets")
        assert page.status_code in (302, 303)
        assert page.headers["location"].startswith("/login")


def test_wrong_passwords_are_throttled_and_then_even_the_right_one_waits(
    live: LiveService,
) -> None:
    throttle = live.app.state.sign_in_throttle
    now = [1000.0]
    throttle.clock = lambda: now[0]  # the test moves time instead of sleeping
    with live.client(auth=False) as browser:
        for _ in range(throttle.attempts - 1):
            assert _sign_in(browser, "wrong").status_code == 400
        locked = _sign_in(browser, "wrong")
        assert locked.status_code == 429
        assert locked.headers["retry-after"] == "1"
        refused = _sign_in(browser)  # the right password, but too soon
        assert refused.status_code == 429
        assert browser.get("/api/accounts").status_code == 401
        now[0] += 1.5
        again = _sign_in(browser, "wrong")  # one more failure: the wait doubles
        assert again.status_code == 429
        assert again.headers["retry-after"] == "2"
        now[0] += 2.5
        assert _sign_in(browser).status_code == 303
        assert browser.get("/api/accounts").status_code == 200


@pytest.mark.parametrize("path", ["/login", "/api/health", "/api/accounts", "/static/app.js"])
def test_every_response_carries_the_security_headers(live: LiveService, path: str) -> None:
    with live.client() as client:
        response = client.get(path)
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "script-src 'self'" in policy
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_the_cookie_is_secure_only_behind_a_trusted_proxy_saying_https(
    make_live: Callable[..., LiveService],
) -> None:
    untrusting = make_live()
    trusting = make_live(trusted_proxies=["127.0.0.1"])
    for service, secure in ((untrusting, False), (trusting, True)):
        with service.client(auth=False) as browser:
            signed_in = _sign_in(browser, **{"X-Forwarded-Proto": "https"})
            assert signed_in.status_code == 303
            cookie = signed_in.headers["set-cookie"]
            assert cookie.startswith("backlog_connector_session=")
            assert ("secure" in cookie.lower()) is secure, cookie
        with service.client(auth=False) as plain:  # plain http through the proxy: not Secure
            assert "secure" not in _sign_in(plain).headers["set-cookie"].lower()


def test_foreign_host_headers_are_refused_unless_allowed(
    make_live: Callable[..., LiveService],
) -> None:
    default, allowing = make_live(), make_live(allowed_hosts=["connector.example.org"])
    with default.client() as client:
        for host in ("localhost", "127.0.0.1", f"localhost:{client.base_url.port}"):
            assert client.get("/api/health", headers={"Host": host}).status_code == 200
        refused = client.get("/api/health", headers={"Host": "rebind.attacker.example"})
        assert refused.status_code == 400
        assert "web.allowed_hosts" in refused.json()["detail"]
        assert client.get("/login", headers={"Host": "connector.example.org"}).status_code == 400
    with allowing.client() as client:
        assert client.get("/login", headers={"Host": "connector.example.org"}).status_code == 200
