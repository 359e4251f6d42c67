"""Fixtures for the web UI: the real ``serve`` app over a control plane in a temporary home,
driven in-process through Starlette's TestClient (cookies, sessions and forms as a browser sends
them). Browser tests (test_browser.py) run ``serve`` as a subprocess instead."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from web_ui_helpers import ADMIN_PASSWORD, Browser, csrf_of

from backlog_connector.datasets.service import ControlPlane
from backlog_connector.settings import Settings
from backlog_connector.web.app import create_app


@pytest.fixture
def plane(tmp_path: Path) -> Iterator[ControlPlane]:
    settings = Settings(
        home=tmp_path / "home",
        admin_password=SecretStr(ADMIN_PASSWORD),
        scheduler={"min_interval_seconds": 5},  # type: ignore[arg-type]
    )
    with ControlPlane.open(settings=settings) as cp:
        yield cp


@pytest.fixture
def app(plane: ControlPlane) -> FastAPI:
    return create_app(plane, run_scheduler=False)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://localhost", follow_redirects=False) as c:
        yield c


@pytest.fixture
def browser(client: TestClient) -> Browser:
    page = client.get("/login")
    response = client.post(
        "/login", data={"password": ADMIN_PASSWORD, "csrf_token": csrf_of(page.text)}
    )
    assert response.status_code == 303
    return Browser(client)
