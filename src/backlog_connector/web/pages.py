"""The HTML pages of the web UI (``router``, included by ``web.app.create_app``).

Server-rendered with Jinja2; every page works without JavaScript (``static/app.js`` only adds
conveniences such as following a run's progress). Every POST carries the session's CSRF token,
checked for the whole router by ``csrf.verify_csrf``; every page but the sign-in page needs a
signed-in session. Pages talk to the control plane and the scheduler only, never around them.

    pages.py          sign in / out, and the router that includes the others
    wizard.py         the new-dataset wizard (before dataset_pages: /datasets/new is not a name)
    dataset_pages.py  the list, one dataset, run now, edit, delete
    account_pages.py  the accounts
    destination_pages.py  the destinations (the DuckDB warehouse and saved PostgreSQL databases)
    insights.py       charts of the derived reports (cycle times, flow, throughput)
"""

from __future__ import annotations

import math
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse

from backlog_connector.web import (
    account_pages,
    auth,
    dataset_pages,
    destination_pages,
    i18n,
    insights,
    oauth_pages,
    wizard,
)
from backlog_connector.web.csrf import verify_csrf
from backlog_connector.web.forms import FieldErrors, FormValues
from backlog_connector.web.rendering import (
    PageRoute,
    control_plane,
    redirect,
    render,
    signed_in_router,
)
from backlog_connector.web.security import client_address
from backlog_connector.web.sessions import SignInThrottle

router = APIRouter(route_class=PageRoute, dependencies=[Depends(verify_csrf)])
_home = signed_in_router()


def _safe_next(target: str) -> str:
    """Only same-site paths may follow the sign-in (no open redirect)."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/datasets"
    return target


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/datasets") -> Response:
    """The sign-in form (signed-in users go straight on)."""
    if auth.session_user(request) is not None:
        return redirect(_safe_next(next))
    return render(request, "login.html", next_url=_safe_next(next))


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    """Check the admin password; sign in and go on, or show the form with the error."""
    values = FormValues.from_form(await request.form())
    target = _safe_next(values.get("next", "/datasets"))
    password = values.get("password")
    home = control_plane(request).home
    throttle: SignInThrottle = request.app.state.sign_in_throttle
    client = client_address(request)
    wait = throttle.wait_seconds(client)
    if wait > 0:  # the password is not even checked
        return _throttled(request, target, wait)
    if not password:
        errors: FieldErrors = {"password": "Enter the admin password."}
    elif auth.check_admin_password(home, password):
        throttle.succeeded(client)
        auth.sign_in(request)
        return redirect(target)
    else:
        wait = throttle.failed(client)
        if wait > 0:
            return _throttled(request, target, wait)
        errors = {"password": "That password is not right. Check BACKLOG_CONNECTOR_ADMIN_PASSWORD "
                              "or the password serve showed at its first start."}  # fmt: skip
    return render(request, "login.html", status_code=400, errors=errors, next_url=target)


def _throttled(request: Request, target: str, wait: float) -> Response:
    seconds = max(1, math.ceil(wait))
    errors: FieldErrors = {"password": f"Too many wrong passwords: wait {seconds} s before"
                                       " trying again."}  # fmt: skip
    response = render(request, "login.html", status_code=429, errors=errors, next_url=target)
    response.headers["Retry-After"] = str(seconds)
    return response


@router.get("/language")
def choose_language(request: Request, to: str = "", next: str = "/datasets") -> Response:
    """The language switch: remember ``to`` (ja, en; anything else: follow the browser again)
    in a cookie and go back to ``next`` (without its ``lang`` parameter, which would win)."""
    parts = urlsplit(_safe_next(next))
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "lang"])
    response = redirect(parts.path + ("?" + query if query else ""))
    if to in i18n.LANGUAGES:
        response.set_cookie(i18n.COOKIE, to, max_age=i18n.COOKIE_MAX_AGE, samesite="lax",
                            httponly=True, secure=request.url.scheme == "https")  # fmt: skip
    else:
        response.delete_cookie(i18n.COOKIE)
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    """End the session."""
    auth.sign_out(request)
    return redirect("/login")


@_home.get("/", include_in_schema=False)
def home() -> Response:
    """The datasets are the home page."""
    return redirect("/datasets")


router.include_router(_home)
router.include_router(wizard.router)
router.include_router(dataset_pages.router)
router.include_router(account_pages.router)
router.include_router(destination_pages.router)
router.include_router(insights.router)
router.include_router(oauth_pages.router)
