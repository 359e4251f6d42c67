"""What every page shares: the Jinja2 templates and their filters, rendering with the session's
CSRF token and flashes, redirects, and the route class that turns a missing sign-in, a failed CSRF
check or an unknown name into a page."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from backlog_connector.backlog.errors import NotFoundError
from backlog_connector.web import auth, i18n
from backlog_connector.web.csrf import CsrfError, csrf_token
from backlog_connector.web.friendly import friendly_text

if TYPE_CHECKING:
    from backlog_connector.datasets.service import ControlPlane

_HERE = Path(__file__).parent


_ASSET_VERSION = "1"


class NotSignedIn(Exception):
    """A page was requested without a signed-in session."""


class PageRoute(APIRoute):
    """Turns the pages' own exceptions into pages: CSRF failures into a 403 page, a missing
    sign-in into a redirect to the sign-in page, an unknown name into a 404 page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except NotSignedIn:
                target = request.url.path
                if request.url.query:
                    target += "?" + request.url.query
                if request.method != "GET":
                    target = "/datasets"
                return RedirectResponse(f"/login?next={quote(target, safe='')}", 303)
            except CsrfError as exc:
                return render(
                    request, "error.html", status_code=403, heading="Please try again",
                    message=str(exc), back_url=request.headers.get("referer") or "/datasets",
                    back_label="Back",
                )  # fmt: skip
            except NotFoundError as exc:
                return render(
                    request, "error.html", status_code=404, heading="Not found",
                    message=getattr(exc, "message", str(exc)),
                )  # fmt: skip

        return handle


def require_signed_in(request: Request) -> str:
    """Router dependency: the signed-in user, or ``NotSignedIn`` (a redirect to sign in)."""
    user = auth.session_user(request)
    if user is None:
        raise NotSignedIn
    return user


def signed_in_router() -> APIRouter:
    """A router of pages that need a signed-in session (the CSRF check comes from the router
    that includes it, ``pages.router``)."""
    return APIRouter(route_class=PageRoute, dependencies=[Depends(require_signed_in)])


def ago(value: datetime | None, now: datetime | None = None) -> str:
    """Relative time for people: "5 min ago", "in 3 h" ("—" for None)."""
    if value is None:
        return "—"
    now = now or datetime.now(UTC)
    seconds = (now - value).total_seconds()
    future = seconds < 0
    seconds = abs(seconds)
    if seconds < 45:
        text = "a few seconds"
    elif seconds < 90 * 60:
        text = f"{max(1, round(seconds / 60))} min"
    elif seconds < 36 * 3600:
        text = f"{round(seconds / 3600)} h"
    else:
        text = f"{round(seconds / 86400)} days"
    return f"in {text}" if future else f"{text} ago"


def full_time(value: datetime | None) -> str:
    """The exact time in UTC, for tooltips."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if value else ""


def thousands(value: int | float | None) -> str:
    """A count with thousands separators ("—" for None)."""
    if value is None:
        return "—"
    return f"{value:,}"


def short_seconds(value: float | None) -> str:
    """A duration in seconds, one decimal below 100 ("—" for None)."""
    if value is None:
        return "—"
    return f"{value:.1f}" if value < 100 else f"{value:,.0f}"


@pass_context
def report_title(context: Context, name: str) -> str:
    """The English title of the report ``name`` (the name itself when unknown); pages put it
    through ``_``."""
    request: Request | None = context.get("request")
    plane = getattr(request.app.state, "control_plane", None) if request is not None else None
    titles: dict[str, str] = (
        {r.name: r.title for r in plane.list_reports()} if plane is not None else {}
    )
    return titles.get(name, name)


@pass_context
def has_accounts(context: Context) -> bool:
    """Whether any Backlog account is saved (empty states offer to add one)."""
    request: Request | None = context.get("request")
    plane = getattr(request.app.state, "control_plane", None) if request is not None else None
    return bool(plane.list_accounts()) if plane is not None else True


templates = Jinja2Templates(directory=str(_HERE / "templates"))
templates.env.filters.update(ago=ago, fulltime=full_time, number=thousands, seconds=short_seconds)
templates.env.globals.update(
    asset_version=_ASSET_VERSION, _=i18n.jinja_gettext, _report=i18n.jinja_report_title,
    friendly=friendly_text, report_title=report_title, has_accounts=has_accounts,
    languages=tuple(i18n.NAMES.items()), script_words=i18n.script_words,
)  # fmt: skip


def flash(request: Request, kind: str, text: str) -> None:
    """Show ``text`` once on the next rendered page (``kind``: success, error, info)."""
    request.session.setdefault("flash", [])
    request.session["flash"] = [*request.session["flash"], [kind, text]]


def render(
    request: Request, template: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Render ``template`` with the CSRF token, the sign-in state and the pending flashes."""
    flashes = request.session.pop("flash", []) if "session" in request.scope else []
    context.setdefault("errors", {})
    if not context.get("page_lang"):
        context["page_lang"] = i18n.language(request)
    context.update(
        csrf=csrf_token(request),
        signed_in=auth.session_user(request) is not None,
        flashes=flashes,
    )
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def redirect(url: str) -> RedirectResponse:
    """A 303 redirect (after a POST, the browser follows it with a GET)."""
    return RedirectResponse(url, status_code=303)


def control_plane(request: Request) -> ControlPlane:
    """The app's control plane."""
    plane: ControlPlane = request.app.state.control_plane
    return plane


def scheduler_of(request: Request) -> Any:
    """The service's scheduler (None when the app runs without one, e.g. in a bench)."""
    return getattr(request.app.state, "scheduler", None)
