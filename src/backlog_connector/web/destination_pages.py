"""The destinations pages: the list (the built-in DuckDB warehouse and the saved PostgreSQL
databases, with the datasets landing in each), add, verify and remove. A saved password is never
sent back to the browser, nor is a URL that holds one."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from fastapi import Request, Response
from fastapi.responses import HTMLResponse

from backlog_connector.backlog.errors import BacklogConnectorError, NotFoundError
from backlog_connector.datasets.errors import NameTakenError
from backlog_connector.web import forms
from backlog_connector.web.forms import FieldErrors, FormValues
from backlog_connector.web.rendering import (
    control_plane,
    flash,
    redirect,
    render,
    signed_in_router,
)

if TYPE_CHECKING:
    from backlog_connector.datasets.info import DestinationInfo

router = signed_in_router()


def destination_error_field(exc: BacklogConnectorError) -> str:
    """The form field an error from adding a destination belongs to."""
    text = str(exc).lower()
    if isinstance(exc, NameTakenError) or "destination name" in text:
        return "name"
    if "schema name" in text:
        return "schema"
    return "url"


def _shown_url(url: str) -> str:
    """A posted URL as it may be put back into the form: not at all if it holds a password."""
    try:
        return "" if urlsplit(url).password else url
    except ValueError:
        return ""


def _render_form(
    request: Request, values: FormValues, errors: FieldErrors | None = None
) -> HTMLResponse:
    return render(
        request, "destinations/form.html", status_code=400 if errors else 200,
        nav="destinations", v=values.get, url_value=_shown_url(values.get("url")),
        url_dropped=bool(values.get("url")) and not _shown_url(values.get("url")),
        errors=errors or {},
    )  # fmt: skip


@router.get("/destinations", response_class=HTMLResponse)
def destinations_page(request: Request) -> Response:
    """The warehouse and every saved destination, with the datasets that land in each."""
    items = control_plane(request).list_destinations()
    return render(request, "destinations/list.html", nav="destinations", destinations=items)


@router.get("/destinations/new", response_class=HTMLResponse)
def new_destination_page(request: Request) -> Response:
    """The add-destination form."""
    return _render_form(request, FormValues([("schema", "public")]))


@router.post("/destinations/new", response_class=HTMLResponse)
async def new_destination(request: Request) -> Response:
    """Check the database, then save; a refusal shows next to its field, nothing saved."""
    values = FormValues.from_form(await request.form())
    errors: FieldErrors = {}
    name = forms.dataset_name(values, errors, "name")
    url = forms.required(values, "url", "The database URL", errors)
    if errors:
        return _render_form(request, values, errors)
    try:
        info = control_plane(request).add_destination(
            name, url, schema=values.get("schema") or "public",
            password=values.get("password") or None,
        )  # fmt: skip
    except BacklogConnectorError as exc:
        return _render_form(request, values, {destination_error_field(exc): str(exc)})
    flash(request, "success", f"Destination {info.name} checked and saved.")
    return redirect(f"/destinations#destination-{quote(info.name, safe='')}")


@router.post("/destinations/{name}/verify")
def verify_destination(request: Request, name: str) -> Response:
    """Connect again and create a probe table."""
    try:
        control_plane(request).verify_destination(name)
        flash(request, "success", f"Destination {name} works.")
    except NotFoundError:
        raise
    except BacklogConnectorError as exc:
        flash(request, "error", f"Destination {name} failed verification: {exc!s}")
    return redirect(f"/destinations#destination-{quote(name, safe='')}")


def _render_remove(
    request: Request, info: DestinationInfo, errors: FieldErrors | None = None
) -> HTMLResponse:
    return render(request, "destinations/remove.html", status_code=409 if errors else 200,
                  nav="destinations", destination=info, errors=errors or {})  # fmt: skip


@router.get("/destinations/{name}/remove", response_class=HTMLResponse)
def remove_destination_page(request: Request, name: str) -> Response:
    """Ask before removing; say which datasets block it."""
    return _render_remove(request, control_plane(request).get_destination(name))


@router.post("/destinations/{name}/remove", response_class=HTMLResponse)
def remove_destination(request: Request, name: str) -> Response:
    """Remove the destination (its tables stay), refused while datasets use it."""
    plane = control_plane(request)
    try:
        plane.remove_destination(name)
    except NotFoundError:
        raise
    except BacklogConnectorError as exc:
        return _render_remove(request, plane.get_destination(name), {"": str(exc)})
    flash(request, "success", f"Destination {name} removed.")
    return redirect("/destinations")
