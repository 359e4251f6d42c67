"""The accounts pages: list (with each account's rate budget and the datasets using it), add,
edit, verify and remove. A saved API key is never sent back to the browser."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import HTMLResponse

from backlog_connector.backlog.address import CLOUD_DOMAINS
from backlog_connector.backlog.errors import BacklogConnectorError, NotFoundError
from backlog_connector.web import forms
from backlog_connector.web.forms import FieldErrors, FormValues
from backlog_connector.web.friendly import friendly_error
from backlog_connector.web.rendering import (
    ago,
    control_plane,
    flash,
    redirect,
    render,
    signed_in_router,
)

if TYPE_CHECKING:
    from backlog_connector.datasets.info import AccountInfo

router = signed_in_router()


def is_cloud_address(space: str, base_url: str) -> bool:
    """Whether an account's address is a cloud space host (``SPACE.backlog.com`` and the other
    ``CLOUD_DOMAINS``, as ``SpaceAddress.parse_fqdn`` accepts them): such accounts are edited by
    FQDN, all others by base URL."""
    domain = space.lower().partition(".")[2]
    return domain in CLOUD_DOMAINS and base_url == f"https://{space}"


def add_account_from_form(
    request: Request, values: FormValues, errors: FieldErrors, *, name_field: str
) -> AccountInfo | None:
    """Verify and save a new account from the form; messages land next to their fields."""
    name = forms.dataset_name(values, errors, name_field)
    fqdn, base_url = forms.space_address(values, errors)
    api_key = forms.required(values, "api_key", "The API key", errors)
    if errors:
        return None
    try:
        return control_plane(request).add_account(
            name, fqdn=fqdn or None, base_url=base_url or None, api_key=api_key,
            api_key_in_query=bool(values.get("api_key_in_query")),
        )  # fmt: skip
    except BacklogConnectorError as exc:
        field = forms.account_error_field(exc, uses_base_url=bool(base_url))
        errors[name_field if field == "name" else field] = friendly_error(
            exc, doing=f"adding account {name}"
        )
        return None


def _budget_rows(budget: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for category, figures in sorted(budget.items()):
        if not isinstance(figures, dict):
            continue
        reset = figures.get("reset")
        try:
            at = datetime.fromisoformat(str(reset)) if reset else None
        except ValueError:
            at = None
        if at is None:
            when = "—"
        elif at <= datetime.now(UTC):
            when = "already reset"
        else:
            when = ago(at)
        rows.append({"category": category, "limit": figures.get("limit"),
                     "remaining": figures.get("remaining"), "reset": when})  # fmt: skip
    return rows


@router.get("/accounts", response_class=HTMLResponse)
def accounts_page(request: Request) -> Response:
    """Every saved account: space, user, datasets using it, last known rate budget."""
    plane = control_plane(request)
    accounts = [
        {"info": a, "budget": _budget_rows(plane.rate_budget(a.name))}
        for a in plane.list_accounts()
    ]
    return render(request, "accounts/list.html", nav="accounts", accounts=accounts)


def _render_account_form(
    request: Request,
    values: FormValues,
    account: AccountInfo | None = None,
    errors: FieldErrors | None = None,
) -> HTMLResponse:
    action = f"/accounts/{quote(account.name, safe='')}/edit" if account else "/accounts/new"
    return render(
        request, "accounts/form.html", status_code=400 if errors else 200, nav="accounts",
        account=account, action=action, v=values.get, errors=errors or {},
    )  # fmt: skip


@router.get("/accounts/new", response_class=HTMLResponse)
def new_account_page(request: Request) -> Response:
    """The add-account form."""
    return _render_account_form(request, FormValues())


@router.post("/accounts/new", response_class=HTMLResponse)
async def new_account(request: Request) -> Response:
    """Verify and save; a wrong key or address shows next to its field."""
    values = FormValues.from_form(await request.form())
    errors: FieldErrors = {}
    info = add_account_from_form(request, values, errors, name_field="new_name")
    if info is None:
        return _render_account_form(request, values, errors=errors)
    flash(request, "success", f"Account {info.name} verified and saved.")
    return redirect(f"/accounts#account-{quote(info.name, safe='')}")


@router.get("/accounts/{name}/edit", response_class=HTMLResponse)
def edit_account_page(request: Request, name: str) -> Response:
    """The account's address (the key is never shown: leave it empty to keep it)."""
    info = control_plane(request).get_account(name)
    cloud = is_cloud_address(info.space, info.base_url)
    values = FormValues([("fqdn", info.space)] if cloud else [("base_url", info.base_url)])
    return _render_account_form(request, values, info)


@router.post("/accounts/{name}/edit", response_class=HTMLResponse)
async def edit_account(request: Request, name: str) -> Response:
    """Verify the new address and/or key against the space, then save."""
    plane = control_plane(request)
    info = plane.get_account(name)
    values = FormValues.from_form(await request.form())
    errors: FieldErrors = {}
    fqdn, base_url = forms.space_address(values, errors)
    api_key = values.get("api_key")
    if not errors:
        try:
            plane.update_account(name, api_key=api_key or None, fqdn=fqdn or None,
                                 base_url=base_url or None)  # fmt: skip
        except BacklogConnectorError as exc:
            errors[forms.account_error_field(exc, uses_base_url=bool(base_url)) or ""] = (
                friendly_error(exc, doing=f"updating account {name}")
            )
    if errors:
        return _render_account_form(request, values, info, errors)
    flash(request, "success", f"Account {name} verified and saved.")
    return redirect(f"/accounts#account-{quote(name, safe='')}")


@router.post("/accounts/{name}/verify")
def verify_account(request: Request, name: str) -> Response:
    """Ask the space again whom the key belongs to (and refresh the rate budget)."""
    try:
        info = control_plane(request).verify_account(name)
        flash(request, "success", f"Account {name} works: signed in as {info.user_name}.")
    except NotFoundError:
        raise
    except BacklogConnectorError as exc:
        reason = friendly_error(exc, doing=f"verifying account {name}")
        flash(request, "error", f"Account {name} failed verification: {reason}")
    return redirect(f"/accounts#account-{quote(name, safe='')}")


@router.get("/accounts/{name}/remove", response_class=HTMLResponse)
def remove_account_page(request: Request, name: str) -> Response:
    """Ask before removing; say which datasets block it."""
    return render(request, "accounts/remove.html", nav="accounts",
                   account=control_plane(request).get_account(name))  # fmt: skip


@router.post("/accounts/{name}/remove", response_class=HTMLResponse)
def remove_account(request: Request, name: str) -> Response:
    """Remove the account, refused while datasets use it (the message names them)."""
    plane = control_plane(request)
    try:
        plane.remove_account(name)
    except NotFoundError:
        raise
    except BacklogConnectorError as exc:
        return render(request, "accounts/remove.html", status_code=409, nav="accounts",
                       account=plane.get_account(name), errors={"": str(exc)})  # fmt: skip
    flash(request, "success", f"Account {name} removed.")
    return redirect("/accounts")
