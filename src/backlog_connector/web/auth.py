"""Who may use the service: the API token, the admin password and the sign-in session.

Three secrets live in the data home, each in a 0600 file:

* ``api-token.sha256``: the SHA-256 of the REST API token. The token is generated at the first
  start of ``serve`` and shown once, unless ``BACKLOG_CONNECTOR_API_TOKEN`` fixes it (its hash is
  then written at each start, so changing the variable changes the token).
* ``admin-password.scrypt``: a salted scrypt hash of the web sign-in password, generated and
  shown once the same way, or fixed by ``BACKLOG_CONNECTOR_ADMIN_PASSWORD``.
* ``session.secret``: the key that signs the sign-in session cookie.

A request is authenticated by ``Authorization: Bearer <token>`` or by a signed-in session
(``sign_in`` after ``check_admin_password``): the cookie names a server-side session
(``web.sessions``) that sign-out ends. The session cookie is ``SameSite=Lax``, so other
sites cannot make a browser send it with a POST. That is not enough on its own: every port of
``localhost`` is the *same site*, so a page served by any other local program could. A
session-authenticated request to ``require_user`` with an unsafe method (POST, PUT, PATCH,
DELETE) must therefore also carry either the session's CSRF token in an ``X-CSRF-Token`` header
(the token of the pages' forms, ``web.csrf``) or an ``Origin`` header naming this service itself
(browsers send it with every unsafe request; the API docs page relies on it); else 403. Bearer
requests need neither: a browser never adds that header on its own.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import HTTPException, Request, status

from backlog_connector.settings import Settings
from backlog_connector.web.csrf import token_matches
from backlog_connector.web.sessions import SessionRegistry

TOKEN_FILE = "api-token.sha256"  # noqa: S105 - a file name
PASSWORD_FILE = "admin-password.scrypt"  # noqa: S105 - a file name
SESSION_SECRET_FILE = "session.secret"  # noqa: S105 - a file name
SESSION_COOKIE = "backlog_connector_session"
SESSION_MAX_AGE = 14 * 24 * 3600
_USER_KEY = "user"
_SESSION_ID_KEY = "sid"
_ADMIN = "admin"
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
#: the header that carries the session's CSRF token on an unsafe API request
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class NewSecrets:
    """Secrets generated at this start, to be shown once; None when not generated now."""

    api_token: str | None = field(default=None, repr=False)
    admin_password: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return (f"NewSecrets(api_token={'<new>' if self.api_token else None}, "
                f"admin_password={'<new>' if self.admin_password else None})")  # fmt: skip


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by the owner only (never briefly wider)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode("utf-8"))
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def _token_hash(token: str) -> str:
    # Tokens are 256 random bits: a plain digest suffices, unlike for a password.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def hash_password(password: str) -> str:
    """A salted scrypt hash: ``scrypt$n$r$p$salt$digest`` (hex)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def _password_matches(stored: str, password: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        computed = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt),
                                  n=int(n), r=int(r), p=int(p), dklen=32)  # fmt: skip
        return hmac.compare_digest(computed, bytes.fromhex(digest))
    except ValueError:
        return False


def ensure_credentials(settings: Settings) -> NewSecrets:
    """Create what is missing in ``settings.home``; return the secrets generated now.

    Call at every start: it writes the hashes of the fixed secrets from the environment, keeps
    existing ones, and generates (and returns, for showing once) the ones that are missing.
    """
    home = Path(settings.home)
    new_token = new_password = None
    token_path, password_path = home / TOKEN_FILE, home / PASSWORD_FILE
    if settings.api_token is not None:
        fixed = _token_hash(settings.api_token.get_secret_value())
        if _read(token_path) != fixed:
            _write_private(token_path, fixed)
    elif _read(token_path) is None:
        new_token = secrets.token_urlsafe(32)
        _write_private(token_path, _token_hash(new_token))
    if settings.admin_password is not None:
        password = settings.admin_password.get_secret_value()
        stored = _read(password_path)
        if stored is None or not _password_matches(stored, password):
            _write_private(password_path, hash_password(password))
    elif _read(password_path) is None:
        new_password = secrets.token_urlsafe(12)
        _write_private(password_path, hash_password(new_password))
    session_secret(home)
    return NewSecrets(api_token=new_token, admin_password=new_password)


def session_secret(home: Path) -> str:
    """The key that signs session cookies (created on first use)."""
    path = Path(home) / SESSION_SECRET_FILE
    secret = _read(path)
    if secret is None:
        secret = secrets.token_urlsafe(48)
        _write_private(path, secret)
    return secret


def check_api_token(home: Path, token: str) -> bool:
    """Whether ``token`` is the REST API token of the service whose data home is ``home``."""
    stored = _read(Path(home) / TOKEN_FILE)
    if stored is None or not token:
        return False
    return hmac.compare_digest(stored, _token_hash(token))


def check_admin_password(home: Path, password: str) -> bool:
    """Whether ``password`` is the admin's web sign-in password (constant-time on the hash)."""
    stored = _read(Path(home) / PASSWORD_FILE)
    if stored is None or not password:
        return False
    return _password_matches(stored, password)


def _registry(request: Request) -> SessionRegistry | None:
    registry: SessionRegistry | None = getattr(request.app.state, "sessions", None)
    return registry


def sign_in(request: Request) -> None:
    """Mark the session signed in (call after ``check_admin_password`` succeeded): a new
    server-side session whose id the cookie carries."""
    registry = _registry(request)
    old = request.session.get(_SESSION_ID_KEY)
    request.session.clear()  # a fresh session: nothing carried over from before sign-in
    if registry is None:
        return
    registry.revoke(old)
    request.session[_SESSION_ID_KEY] = registry.open()
    request.session[_USER_KEY] = _ADMIN


def sign_out(request: Request) -> None:
    """End the session on the server (a copy of the cookie no longer signs anyone in)."""
    registry = _registry(request)
    if registry is not None and "session" in request.scope:
        registry.revoke(request.session.get(_SESSION_ID_KEY))
    request.session.clear()


def session_user(request: Request) -> str | None:
    """The signed-in user of the session, or None (also for a session signed out or
    expired on the server)."""
    if "session" not in request.scope:
        return None
    registry = _registry(request)
    if registry is None or not registry.is_valid(request.session.get(_SESSION_ID_KEY)):
        return None
    user = request.session.get(_USER_KEY)
    return user if isinstance(user, str) else None


def _home(request: Request) -> Path:
    home: Path = request.app.state.control_plane.home
    return home


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header, if any."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" and credentials.strip() else None


def current_user(request: Request) -> str | None:
    """``"api"`` for a valid bearer token, the session's user when signed in, else None."""
    token = bearer_token(request)
    if token is not None:
        found = token_user(request, token)
        if found is not None:
            return found
    return session_user(request)


def token_user(request: Request, token: str) -> str | None:
    """``"api"`` for the REST API token, ``"cli"`` for this start's token that the CLI of the
    same data home reads from ``serve.token`` (``web.handoff``), else None."""
    if check_api_token(_home(request), token):
        return "api"
    local = getattr(request.app.state, "local_token", None)
    if local and hmac.compare_digest(token.encode(), str(local).encode()):
        return "cli"
    return None


def _origin_of(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    return f"{scheme.lower()}://{rest.split('/', 1)[0].lower()}" if sep else ""


def from_own_page(request: Request) -> bool:
    """Whether a session request shows that a page of this service sent it: the session's CSRF
    token in ``X-CSRF-Token``, or an ``Origin`` equal to the address it was sent to (or to the
    service's ``public_url``)."""
    if token_matches(request, request.headers.get(CSRF_HEADER)):
        return True
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return False
    own = {_origin_of(str(request.base_url))}
    public_url = getattr(request.app.state, "public_url", None)
    if public_url:
        own.add(_origin_of(public_url))
    return _origin_of(origin) in own


def require_user(request: Request) -> str:
    """FastAPI dependency: the caller's identity, or 401 (JSON) when there is none; 403 for an
    unsafe request authenticated only by the session cookie that no page of ours sent."""
    token = bearer_token(request)
    if token is not None:
        found = token_user(request, token)
        if found is not None:
            return found
    user = session_user(request)
    if user is None:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="authentication required: send 'Authorization: Bearer <API token>' (the "
            "token serve printed at its first start, or BACKLOG_CONNECTOR_API_TOKEN) or sign "
            "in to the web UI",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if request.method not in SAFE_METHODS and not from_own_page(request):
        raise HTTPException(
            status_code=status.HTTP_403_FORBIDDEN,
            detail=f"a request signed in by the session cookie must carry the session's CSRF "
            f"token in the {CSRF_HEADER} header or come from this service's own pages "
            "(Origin); scripts should send 'Authorization: Bearer <API token>'",
        )
    return user
