"""The ``serve`` application: REST API, web pages and the scheduler in one process."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from backlog_connector.datasets.service import ControlPlane
from backlog_connector.scheduler.loop import Scheduler
from backlog_connector.web import api, pages
from backlog_connector.web.auth import (
    SESSION_COOKIE,
    SESSION_MAX_AGE,
    ensure_credentials,
    require_user,
    session_secret,
)
from backlog_connector.web.security import HostPolicy, SecurityMiddleware
from backlog_connector.web.sessions import SessionRegistry, SignInThrottle

log = logging.getLogger("backlog_connector.web")

STATIC_DIR = Path(__file__).parent / "static"
#: how long a stopping service waits for cancelled runs to record themselves
STOP_TIMEOUT_SECONDS = 5.0


def create_app(
    control_plane: ControlPlane,
    *,
    scheduler: Scheduler | None = None,
    run_scheduler: bool = True,
    public_url: str | None = None,
    bind_host: str | None = None,
) -> FastAPI:
    """The FastAPI app over ``control_plane``.

    Creates the API token, admin password and session key when missing; the ones generated now
    are on ``app.state.new_secrets`` for the caller to show once. With ``run_scheduler`` the
    app's lifespan marks orphaned runs failed, starts the scheduler thread, and on shutdown
    cancels running runs and waits for them (at most ``STOP_TIMEOUT_SECONDS``). With the
    control plane in PostgreSQL the scheduler is ``workers.service.QueueScheduler``: runs go
    to ``worker`` processes and this process hosts the tick (as a task of the queue).

    The Host headers answered are the loopback names, ``bind_host``, the host of
    ``public_url`` and the setting ``web.allowed_hosts`` (``web.security``).
    """
    new_secrets = ensure_credentials(control_plane.settings)
    if scheduler is not None:
        sched = scheduler
    elif control_plane.distributed:
        from backlog_connector.workers.service import QueueScheduler

        sched = QueueScheduler(control_plane, public_url=public_url)
    else:
        sched = Scheduler(control_plane, public_url=public_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if run_scheduler:
            # with workers, runs of dead workers are found by their heartbeats (the sweep),
            # never by status: other workers' runs are under way
            orphans = 0 if control_plane.distributed else control_plane.fail_orphaned_runs()
            if orphans:
                log.warning("marked %d run(s) failed: their process stopped mid-run", orphans)
            sched.start()
        try:
            yield
        finally:
            if run_scheduler:
                sched.stop(timeout=STOP_TIMEOUT_SECONDS)

    app = FastAPI(
        title="Backlog Connector",
        summary="Backlog issue data into analytics datasets: accounts, datasets, runs.",
        version=_version(),
        lifespan=lifespan,
        # served below behind the same authentication as the API: only /api/health is open
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.control_plane = control_plane
    app.state.scheduler = sched
    app.state.new_secrets = new_secrets
    app.state.public_url = public_url  # an Origin the API accepts with the session cookie
    web = control_plane.settings.web
    app.state.sessions = SessionRegistry(SESSION_MAX_AGE)
    app.state.sign_in_throttle = SignInThrottle(web.sign_in_attempts)
    app.state.trusted_proxies = frozenset(web.trusted_proxies)
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(control_plane.home),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        same_site="lax",
    )
    hosts = HostPolicy(bind_host, urlsplit(public_url).hostname if public_url else None,
                       web.allowed_hosts)  # fmt: skip
    app.add_middleware(SecurityMiddleware, hosts=hosts, trusted_proxies=web.trusted_proxies,
                       session_cookie=SESSION_COOKIE)  # fmt: skip
    app.include_router(api.public)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/openapi.json", include_in_schema=False, dependencies=[Depends(require_user)])
    def openapi_document() -> dict[str, Any]:
        return app.openapi()

    @app.get("/docs", include_in_schema=False, dependencies=[Depends(require_user)])
    def openapi_docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="Backlog Connector API")

    return app


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("backlog-connector")
    except PackageNotFoundError:
        return "0"
