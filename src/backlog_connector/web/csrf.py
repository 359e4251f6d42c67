"""CSRF protection for the HTML forms.

Each browser session holds one random token (in the signed session cookie). Every form carries
it in a hidden field named ``csrf_token``; every POST to the pages router is refused unless the
field matches the session's token. A cross-site page can make the browser send the cookie, but it
cannot read the token, so it cannot forge the field.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request

#: name of the hidden form field and of the session entry
FIELD = "csrf_token"
_SESSION_KEY = "csrf_token"


class CsrfError(Exception):
    """A POST whose CSRF token is missing or does not match the session's."""


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created (and stored in the session) on first use."""
    token = request.session.get(_SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[_SESSION_KEY] = token
    return token


def token_matches(request: Request, submitted: object) -> bool:
    """Whether ``submitted`` (the form field's value) is this session's token."""
    expected = request.session.get(_SESSION_KEY)
    if not isinstance(expected, str) or not expected or not isinstance(submitted, str):
        return False
    return hmac.compare_digest(expected.encode(), submitted.encode())


async def verify_csrf(request: Request) -> None:
    """Router dependency: on POST (and other unsafe methods), raise ``CsrfError`` unless the
    form's ``csrf_token`` field matches the session. Safe methods pass untouched."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    form = await request.form()
    if not token_matches(request, form.get(FIELD)):
        raise CsrfError(
            "this form's security token is missing or has expired; reload the page and submit "
            "the form again"
        )
