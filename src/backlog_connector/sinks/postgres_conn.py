"""Connections to a PostgreSQL destination (ADBC's libpq driver), and its errors in our tree.

A destination URL is ``postgresql://user[:password]@host[:port]/db[?sslmode=...]``. The password
only ever travels to libpq: every message shown to a user goes through ``describe_url`` or the
redactor, never the URL itself.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, unquote, urlencode, urlsplit, urlunsplit

from backlog_connector.backlog.errors import BacklogConnectorError
from backlog_connector.backlog.redact import Redactor
from backlog_connector.sinks.errors import (
    DestinationError,
    DestinationUnavailableError,
    WarehouseError,
    WriteConflictError,
)

_SCHEMES = {"postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2"}
_CONNECT_TIMEOUT_SECONDS = "10"
_IDLE_CONNECTIONS = 4

#: SQLSTATE classes and codes -> (error class, what to tell the user)
_AUTH = ("28P01", "28000")
_NO_DATABASE = "3D000"
_NO_PRIVILEGE = "42501"
_CONFLICT = ("40001", "40P01")
LOCK_NOT_AVAILABLE = "55P03"
DEPENDENT_OBJECTS = ("2BP01", "0A000")
_DISK_FULL = ("53100",)


def normalise_url(url: str) -> str:
    """The URL libpq takes (``postgresql://``), or ``DestinationError`` saying what is accepted."""
    try:
        parts = urlsplit(str(url).strip())
        port = parts.port
        parts.hostname  # noqa: B018  (a malformed IPv6 host raises only here)
    except ValueError as exc:
        raise DestinationError(f"the destination URL is malformed ({exc}); {_FORM}") from None
    if parts.scheme.lower() not in _SCHEMES:
        shown = parts.scheme or "(none)"
        raise DestinationError(f"the destination URL has the scheme {shown!r}; {_FORM}")
    if not parts.hostname:
        raise DestinationError(f"the destination URL names no host; {_FORM}")
    if not parts.path.strip("/"):
        raise DestinationError(f"the destination URL names no database; {_FORM}")
    if port is not None and not 0 < port < 65536:
        raise DestinationError(f"the destination URL's port {port} is out of range; {_FORM}")
    return urlunsplit(("postgresql", parts.netloc, parts.path, parts.query, ""))


#: query parameters libpq takes that hold secrets: never shown
_SECRET_PARAMS = {"password", "sslpassword", "passfile", "sslkey"}
_FORM = "give postgresql://user[:password]@host[:port]/database[?sslmode=require]"


def query_pairs(query: str) -> list[tuple[str, str]]:
    """The (name, value) pairs of a URL's query as libpq reads them: percent-escapes decoded,
    a ``+`` kept as a plus sign (``urllib.parse.parse_qsl`` would make it a space)."""
    pairs = []
    for part in query.split("&"):
        if part:
            name, _, value = part.partition("=")
            pairs.append((unquote(name), unquote(value)))
    return pairs


def describe_url(url: str) -> str:
    """``url`` without its password (for listings, logs and errors)."""
    try:
        parts = urlsplit(str(url).strip())
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "(not a PostgreSQL URL)"
    user = f"{quote(unquote(parts.username), safe='')}@" if parts.username else ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{user}{host}{f':{port}' if port is not None else ''}"
    query = urlencode(
        [(k, v) for k, v in query_pairs(parts.query)
         if k.lower() not in _SECRET_PARAMS], quote_via=quote,
    )  # fmt: skip
    return urlunsplit(("postgresql", netloc, parts.path, query, ""))


def password_of(url: str) -> str | None:
    """The password in ``url`` (its user part or ``?password=``), if any (to redact it from
    driver messages)."""
    with contextlib.suppress(ValueError):
        parts = urlsplit(str(url).strip())
        if parts.password:
            return unquote(parts.password)
        for key, value in query_pairs(parts.query):
            if key.lower() == "password" and value:
                return value
    return None


def libpq_url(url: str) -> str:
    """The URL for libpq, with a connect timeout and our application name unless given."""
    parts = urlsplit(normalise_url(url))
    query = dict(query_pairs(parts.query))
    query.setdefault("connect_timeout", _CONNECT_TIMEOUT_SECONDS)
    query.setdefault("application_name", "backlog-connector")
    # quote_via=quote: a space is %20 (libpq reads '+' as a plus sign, not a space)
    encoded = urlencode(query, quote_via=quote)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, encoded, ""))


def sqlstate(exc: BaseException) -> str:
    """The SQLSTATE of a driver error ('' when it has none)."""
    return str(getattr(exc, "sqlstate", "") or "")


def connect(url: str, *, autocommit: bool) -> Any:
    """A new ADBC connection with the session in UTC; errors become ``DestinationError`` or
    ``DestinationUnavailableError``."""
    try:
        import adbc_driver_postgresql.dbapi as pg
    except ImportError:  # the 'postgres' extra is not installed
        raise DestinationError(
            "PostgreSQL destinations need the 'postgres' extra: pip install "
            "'backlog-connector[postgres]'"
        ) from None
    try:
        conn = pg.connect(libpq_url(url), autocommit=autocommit)
    except Exception as exc:
        raise translate(exc, "connecting", url) from None
    try:
        with contextlib.closing(conn.cursor()) as cur:
            cur.execute("SET TIME ZONE 'UTC'")
        if not autocommit:
            conn.commit()
    except Exception as exc:
        conn.close()
        raise translate(exc, "connecting", url) from None
    return conn


def translate(exc: BaseException, doing: str, url: str) -> BacklogConnectorError:
    """A driver error as an error of our tree, the password redacted from its text."""
    if isinstance(exc, BacklogConnectorError):
        return exc
    redact = Redactor([p for p in [password_of(url)] if p])
    text = redact(_first_lines(str(exc)))
    where = describe_url(url)
    state = sqlstate(exc)
    if state in _AUTH or "authentication failed" in text or _no_role(text):
        return DestinationError(
            f"{doing} {where}: PostgreSQL refused the login ({text}); check the user name and "
            "password in the URL (or the password given on stdin / BACKLOG_DESTINATION_PASSWORD)"
        )
    if state == _NO_DATABASE or ("database" in text and "does not exist" in text):
        return DestinationError(
            f"{doing} {where}: the database does not exist ({text}); create it or fix the URL"
        )
    if state == _NO_PRIVILEGE or "permission denied" in text:
        return DestinationError(
            f"{doing} {where}: the user may not do this ({text}); grant it, e.g. GRANT CREATE, "
            "USAGE ON SCHEMA <schema> TO <user>, or use another user"
        )
    if state in _CONFLICT:
        return WriteConflictError(f"{doing} {where}: {text}; the run was rolled back, run again")
    if state in _DISK_FULL or "No space left on device" in text:
        return WarehouseError(
            f"{doing} {where}: no space left on device on the PostgreSQL server ({text}); free "
            "space there, then run again"
        )
    if state.startswith("08") or _looks_unreachable(text):
        return DestinationUnavailableError(
            f"{doing} {where}: cannot reach the PostgreSQL server ({text}); check that it runs "
            "and that the host and port are right"
        )
    return WarehouseError(f"{doing} {where}: PostgreSQL failed: {text}")


def _no_role(text: str) -> bool:
    return 'role "' in text and "does not exist" in text


def _looks_unreachable(text: str) -> bool:
    lowered = text.lower()
    return any(
        marker in lowered
        for marker in (
            "connection refused",
            "could not translate host name",
            "could not connect",
            "timeout expired",
            "server closed the connection",
            "no route to host",
            "connection to server",
        )
    )


def _first_lines(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    kept = [line for line in lines if not line.startswith(("Query was:", "LINE ", "^"))]
    return " ".join(kept[:3])[:500]


class ConnectionPool:
    """A few idle autocommit connections for the read helpers (each call takes one)."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._idle: list[Any] = []
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def cursor(self, doing: str) -> Iterator[Any]:
        """A cursor of a pooled connection; driver errors become our errors."""
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = connect(self._url, autocommit=True)
        healthy = True
        try:
            with contextlib.closing(conn.cursor()) as cur:
                yield cur
        except BacklogConnectorError:
            raise
        except Exception as exc:
            healthy = sqlstate(exc)[:2] not in ("", "08", "57")
            raise translate(exc, doing, self._url) from None
        finally:
            with self._lock:
                if healthy and len(self._idle) < _IDLE_CONNECTIONS:
                    self._idle.append(conn)
                    conn = None
            if conn is not None:
                with contextlib.suppress(Exception):
                    conn.close()

    def close(self) -> None:
        """Close the idle connections; later calls open new ones."""
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            with contextlib.suppress(Exception):
                conn.close()
