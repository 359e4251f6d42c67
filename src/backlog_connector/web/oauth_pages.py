"""Adding an OAuth 2.0 account from the web pages: the authorisation-code grant.

``POST /accounts/new/oauth`` checks the form, keeps the pending request on the server (the
client secret never goes to the browser, not even in the signed session cookie) under a random
``state``, puts that state in the session and sends the browser to the space's consent page
(a page that moves on by itself: the CSP's ``form-action 'self'`` stops a form's redirect off
the site).
The space sends it back to ``GET /accounts/oauth/callback`` with a code; the callback accepts
only the state this session started (a forged or replayed callback is refused: CSRF), trades
the code for tokens, verifies and saves the account (``ControlPlane.add_oauth_account_with_code``)
and shows any error on the form. The redirect URI to register with the Backlog application is
shown on the form: this service's ``/accounts/oauth/callback``.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import HTMLResponse

from backlog_connector.backlog.errors import BacklogConnectorError
from backlog_connector.datasets import validate
from backlog_connector.web import forms
from backlog_connector.web.forms import FieldErrors, FormValues
from backlog_connector.web.rendering import control_plane, flash, redirect, render, signed_in_router

router = signed_in_router()

CALLBACK_PATH = "/accounts/oauth/callback"
#: how long a user may take on the consent page
PENDING_SECONDS = 600.0
_SESSION_STATE = "oauth_state"
_FIELDS = ("new_name", "fqdn", "base_url", "client_id")


@dataclass(frozen=True)
class PendingGrant:
    """An OAuth request sent to the consent page, waiting for its callback."""

    name: str
    fqdn: str
    base_url: str
    client_id: str
    client_secret: str
    redirect_uri: str
    started: float

    def __repr__(self) -> str:  # never the secret
        return f"PendingGrant({self.name!r}, {self.fqdn or self.base_url!r})"


class PendingGrants:
    """The pending requests of this process by state (thread-safe; old ones expire)."""

    def __init__(self) -> None:
        self._by_state: dict[str, PendingGrant] = {}
        self._lock = threading.Lock()

    def add(self, state: str, grant: PendingGrant) -> None:
        """Keep ``grant`` until its callback (or until it expires)."""
        with self._lock:
            self._expire()
            self._by_state[state] = grant

    def take(self, state: str) -> PendingGrant | None:
        """The grant of ``state``, removed (a state serves once); None if unknown or expired."""
        with self._lock:
            self._expire()
            return self._by_state.pop(state, None)

    def _expire(self) -> None:
        now = time.monotonic()
        for state in [s for s, g in self._by_state.items() if now - g.started > PENDING_SECONDS]:
            del self._by_state[state]


def pending_grants(request: Request) -> PendingGrants:
    """The app's pending OAuth requests (created on first use)."""
    state = request.app.state
    with _CREATE_LOCK:
        found: PendingGrants | None = getattr(state, "oauth_grants", None)
        if found is None:
            found = PendingGrants()
            state.oauth_grants = found
    return found


_CREATE_LOCK = threading.Lock()


def redirect_uri(request: Request) -> str:
    """This service's callback address (the public URL when one is set)."""
    base = getattr(request.app.state, "public_url", None) or str(request.base_url)
    return base.rstrip("/") + CALLBACK_PATH


def _render(
    request: Request, values: FormValues, errors: FieldErrors | None = None
) -> HTMLResponse:
    return render(
        request, "accounts/oauth.html", status_code=400 if errors else 200, nav="accounts",
        v=values.get, errors=errors or {}, redirect_uri=redirect_uri(request),
    )  # fmt: skip


@router.get("/accounts/new/oauth", response_class=HTMLResponse)
def new_oauth_account_page(request: Request) -> Response:
    """The add-an-OAuth-account form."""
    return _render(request, FormValues())


@router.post("/accounts/new/oauth", response_class=HTMLResponse)
async def start_oauth(request: Request) -> Response:
    """Check the form, then send the browser to the space's consent page."""
    values = FormValues.from_form(await request.form())
    errors: FieldErrors = {}
    name = forms.dataset_name(values, errors, "new_name")
    fqdn, base_url = forms.space_address(values, errors)
    client_id = forms.required(values, "client_id", "The client ID", errors)
    client_secret = forms.required(values, "client_secret", "The client secret", errors)
    plane = control_plane(request)
    if name and "new_name" not in errors:
        try:
            validate.name(name, "account")
            if any(a.name == name for a in plane.list_accounts()):
                errors["new_name"] = "An account of that name exists already: pick another."
        except BacklogConnectorError as exc:
            errors["new_name"] = str(exc)
    if errors:
        return _render(request, values, errors)
    state = secrets.token_urlsafe(24)
    target = redirect_uri(request)
    try:
        url = plane.oauth_authorization_url(
            fqdn=fqdn or None, base_url=base_url or None, client_id=client_id,
            redirect_uri=target, state=state,
        )  # fmt: skip
    except BacklogConnectorError as exc:
        field = forms.account_error_field(exc, uses_base_url=bool(base_url)) or ""
        return _render(request, values, {field: str(exc)})
    grant = PendingGrant(name, fqdn, base_url, client_id, client_secret, target, time.monotonic())
    pending_grants(request).add(state, grant)
    request.session[_SESSION_STATE] = state
    # a page that moves on by itself: a redirect would still be the form's navigation, which
    # the pages' CSP (form-action 'self') keeps on this site
    return render(request, "accounts/oauth_go.html", nav="accounts", authorize_url=url)


@router.get(CALLBACK_PATH, response_class=HTMLResponse)
def oauth_callback(
    request: Request, state: str = "", code: str = "", error: str = "",
    error_description: str = "",
) -> Response:  # fmt: skip
    """The space's answer: trade the code for tokens, verify them, save the account."""
    expected = request.session.pop(_SESSION_STATE, None)
    grant = pending_grants(request).take(state) if state and state == expected else None
    if grant is None:
        message = (
            "This sign-in answer does not belong to a request of this session (or it is older"
            " than 10 minutes): nothing was saved. Start again."
        )
        return _render(request, FormValues(), {"": message})
    values = FormValues([(k, v) for k, v in zip(_FIELDS, (grant.name, grant.fqdn,
                         grant.base_url, grant.client_id), strict=True)])  # fmt: skip
    if error or not code:
        reason = error_description or error or "no authorisation code"
        text = f"The space did not authorise the application ({reason[:200]}). "
        return _render(request, values, {"": text + "Nothing was saved; try again."})
    try:
        info = control_plane(request).add_oauth_account_with_code(
            grant.name, fqdn=grant.fqdn or None, base_url=grant.base_url or None,
            client_id=grant.client_id, client_secret=grant.client_secret,
            redirect_uri=grant.redirect_uri, code=code,
        )  # fmt: skip
    except BacklogConnectorError as exc:
        field = forms.account_error_field(exc, uses_base_url=bool(grant.base_url))
        field = {"api_key": "client_secret", "name": "new_name"}.get(field, field)
        return _render(request, values, {field: str(exc)})
    flash(request, "success", f"Account {info.name} authorised with OAuth 2.0, verified and saved.")
    return redirect(f"/accounts#account-{quote(info.name, safe='')}")
