"""Destinations: where datasets land. The embedded DuckDB file is the built-in destination
``warehouse``; saved ones are PostgreSQL databases, checked (connect, create a probe table)
before they are saved, their URL (with the password) sealed like account credentials and shown
without the password."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urlencode, urlsplit, urlunsplit

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backlog_connector.backlog.errors import ConfigurationError, InvalidOptionError
from backlog_connector.datasets import validate
from backlog_connector.datasets.errors import (
    DestinationInUseError,
    NameTakenError,
    UnknownNameError,
)
from backlog_connector.datasets.info import DestinationInfo
from backlog_connector.datasets.models import Dataset, Destination, Run, utcnow
from backlog_connector.datasets.plane import PlaneCore
from backlog_connector.datasets.views import WAREHOUSE, destination_info
from backlog_connector.sinks.postgres_conn import query_pairs

if TYPE_CHECKING:
    from backlog_connector.sinks.query import QueryResult

#: URL schemes accepted for a PostgreSQL destination (all saved as ``postgresql://``)
POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
#: query parameters of a libpq URL that hold a secret
_SECRET_PARAMS = frozenset({"password", "sslpassword"})
_URL_HELP = "postgresql://user[:password]@host[:port]/database[?sslmode=require]"


def postgres_url(url: str, password: str | None = None) -> str:
    """``url`` as a plain ``postgresql://`` URL (``postgres://`` and ``postgresql+psycopg://``
    are accepted), with ``password`` put in when given. Raises ``InvalidOptionError`` naming
    what is wrong; the message never repeats the URL (it may hold a password)."""
    if not isinstance(url, str) or not url.strip():
        raise InvalidOptionError(f"no destination URL given: pass --url {_URL_HELP}")
    try:
        parts = urlsplit(url.strip())
        parts.hostname  # noqa: B018  (a malformed IPv6 host raises only here)
    except ValueError:
        raise InvalidOptionError(f"invalid destination URL (malformed host): {_URL_HELP}") from None
    scheme = parts.scheme.lower()
    if scheme not in POSTGRES_SCHEMES:
        given = f"a {scheme}: URL" if scheme else "no scheme"
        raise InvalidOptionError(
            f"invalid destination URL ({given}): give a PostgreSQL URL, {_URL_HELP}"
        )
    if "@" in parts.path + parts.query + parts.fragment:
        # most likely a password with an unencoded '/', '?' or '#': the host was cut short
        raise InvalidOptionError(
            "invalid destination URL (an '@' after the host): percent-encode the password's"
            " special characters ('@' %40, '/' %2F, '?' %3F, '#' %23, ':' %3A), or leave it out"
            " of the URL and set BACKLOG_DESTINATION_PASSWORD or use --password-stdin"
        )
    try:
        port = parts.port
    except ValueError:
        raise InvalidOptionError(
            f"invalid destination URL (the port is not a number from 1 to 65535): {_URL_HELP}"
        ) from None
    if not parts.hostname:
        raise InvalidOptionError(f"invalid destination URL (no host): {_URL_HELP}")
    if not parts.path.strip("/"):
        raise InvalidOptionError(f"invalid destination URL (no database name): {_URL_HELP}")
    user = parts.username
    secret = unquote(parts.password) if parts.password else None
    query = query_pairs(parts.query)
    in_query = [v for k, v in query if k == "password"]
    if in_query:  # libpq takes ?password= too: keep it with the user, out of the shown query
        if secret or len(in_query) > 1:
            raise InvalidOptionError(
                "the destination URL holds more than one password: give it once"
            )
        secret = in_query[0]
        query = [(k, v) for k, v in query if k != "password"]
    if password:
        if secret:
            raise InvalidOptionError(
                "the destination URL holds a password already: give the password once (in the"
                " URL, or from BACKLOG_DESTINATION_PASSWORD / --password-stdin with a URL"
                " without one)"
            )
        if not user:
            raise InvalidOptionError(
                f"the destination URL names no user to go with the password: {_URL_HELP}"
            )
        secret = password
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = host + (f":{port}" if port else "")
    if user:
        credentials = quote(unquote(user), safe="")
        if secret:
            credentials += ":" + quote(secret, safe="")
        netloc = f"{credentials}@{netloc}"
    elif secret:
        raise InvalidOptionError(
            f"the destination URL has a password but no user to go with it: {_URL_HELP}"
        )
    # quote_via=quote: a space is %20 (libpq reads '+' as a plus sign, not a space)
    return urlunsplit(("postgresql", netloc, parts.path, urlencode(query, quote_via=quote), ""))


def url_secrets(url: str) -> set[str]:
    """The URL's password and ``sslpassword``, as given and percent-decoded."""
    parts = urlsplit(url)
    found = [parts.password or ""]
    found += [v for k, v in query_pairs(parts.query) if k in _SECRET_PARAMS]
    return {
        form
        for value in found
        if value
        for form in (value, unquote(value), quote(unquote(value), safe=""))
    }


def shown_url(url: str) -> str:
    """The URL as listings show it: no password, no ``sslpassword`` in the query."""
    from backlog_connector.sinks.postgres import describe_url

    parts = urlsplit(describe_url(url))
    query = [(k, v) for k, v in query_pairs(parts.query) if k not in _SECRET_PARAMS]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def check_schema(schema: str) -> str:
    """A PostgreSQL schema name: a lower-case identifier of at most 63 characters."""
    if not isinstance(schema, str) or not _SCHEMA.match(schema):
        raise InvalidOptionError(
            f"invalid schema name {schema!r}: use lower-case letters, digits and '_' (at most"
            " 63, not starting with a digit), e.g. 'public' or 'backlog'"
        )
    return schema


class DestinationsMixin(PlaneCore):
    """Saved destinations (see ``ControlPlane``)."""

    def _refuse_link_local(self, url: str) -> None:
        """A link-local host (a cloud's metadata service) is refused unless the setting
        ``network.allow_private_addresses`` allows it: the check would otherwise probe it."""
        from backlog_connector.backlog.errors import InvalidAddressError
        from backlog_connector.backlog.private_hosts import ALLOW_SETTING, link_local_address

        host = urlsplit(url).hostname or ""
        found = None if self.settings.network.allow_private_addresses else link_local_address(host)
        if found is not None:
            raise InvalidAddressError(
                f"the destination's host is {found}, a link-local address (where cloud metadata"
                f" services answer); if that is intended, allow it with the setting {ALLOW_SETTING}"
            )

    def add_destination(
        self,
        name: str,
        url: str,
        *,
        schema: str = "public",
        password: str | None = None,
    ) -> DestinationInfo:
        """Check a PostgreSQL destination (connect, then create the schema if missing and a
        probe table in it, all rolled back), then save it, its URL sealed; the first run
        creates the schema. ``password`` goes into a URL that
        has none. Nothing is saved when the name is taken or reserved (``NameTakenError``), the
        URL is malformed (``InvalidOptionError``) or the database refuses
        (``sinks.errors.DestinationError``); no message holds the password."""
        validate.name(name, "destination")
        self._require_free_destination_name(name)
        schema = check_schema(schema or "public")
        full_url = postgres_url(url, password)
        self._refuse_link_local(full_url)
        shown = self._check_destination(full_url, schema)
        now = utcnow()
        with self._sessions.begin() as s:
            if s.scalar(sa.select(Destination.id).where(Destination.name == name)) is not None:
                raise NameTakenError(f"a destination named {name!r} was just added; pick another")
            row = Destination(
                name=name,
                kind="postgresql",
                url_display=shown,
                secret=self._box.seal({"url": full_url}),
                schema_name=schema,
                verified_at=now,
                created_at=now,
                updated_at=now,
                datasets=[],
            )
            s.add(row)
            s.flush()
            return destination_info(row)

    def list_destinations(self) -> list[DestinationInfo]:
        """The built-in ``warehouse`` first, then the saved destinations by name."""
        with self._listing() as listing:
            return listing.destinations(self.warehouse_path)

    def get_destination(self, name: str) -> DestinationInfo:
        """One destination (``warehouse`` is the built-in DuckDB file); ``UnknownNameError``
        if there is none of that name."""
        with self._sessions() as s:
            row = self._destination_row(s, name)
            return self._warehouse_info(s) if row is None else destination_info(row)

    def verify_destination(self, name: str) -> DestinationInfo:
        """Check the saved destination again as ``add_destination`` did (the warehouse: that
        its file opens); raises what the check raises, changing nothing but ``verified_at``."""
        with self._sessions() as s:
            row = self._destination_row(s, name)
            if row is None:
                self._warehouse()
                return self._warehouse_info(s)
            url, schema, row_id = self._destination_url(row), row.schema_name, row.id
        self._check_destination(url, schema)
        with self._sessions.begin() as s:
            saved = s.get(Destination, row_id)
            if saved is None:
                raise UnknownNameError(f"destination {name!r} was removed meanwhile")
            saved.verified_at = utcnow()
            return destination_info(saved)

    def remove_destination(self, name: str, *, force: bool = False) -> None:
        """Forget a saved destination (its tables stay in the database). Refuses while
        datasets use it (``DestinationInUseError`` naming them) unless ``force``, which deletes
        those datasets too (their tables are kept). The built-in ``warehouse`` stays."""
        with self._sessions.begin() as s:
            row = self._destination_row(s, name)
            if row is None:
                raise InvalidOptionError(
                    f"{WAREHOUSE!r} is the built-in DuckDB destination and cannot be removed"
                )
            users = sorted(d.name for d in row.datasets)
            if users and not force:
                raise DestinationInUseError(
                    f"destination {name!r} is used by the datasets {', '.join(users)}; delete"
                    " them first, move them elsewhere ('datasets update NAME --destination"
                    f" {WAREHOUSE}'), or remove with --force (which deletes those datasets too)",
                    datasets=tuple(users),
                )
            running = sorted(set(users) & self._running)
            if running:
                raise InvalidOptionError(
                    f"the datasets {', '.join(running)} of destination {name!r} are running;"
                    " wait for their runs to end (or cancel them)"
                )
            for dataset in row.datasets:
                s.execute(sa.delete(Run).where(Run.dataset_id == dataset.id))
                s.delete(dataset)
            s.delete(row)
            row_id = row.id
        self._forget_sink(row_id)

    # --- helpers ---------------------------------------------------------------------------

    def _check_destination(self, url: str, schema: str) -> str:
        """Run the sink's check; return the URL as it may be shown."""
        from backlog_connector.backlog.redact import Redactor
        from backlog_connector.sinks.postgres import check_destination

        secrets = url_secrets(url)
        try:
            check_destination(url, schema)
        except Exception as exc:
            text = str(exc)
            if any(p in text for p in secrets):
                # the sink promises a clean message; never let a password through anyway
                raise ConfigurationError(Redactor(secrets)(text)) from None
            raise
        return shown_url(url)

    def _require_free_destination_name(self, name: str) -> None:
        if name.casefold() == WAREHOUSE:
            raise NameTakenError(
                f"the name {WAREHOUSE!r} is the built-in DuckDB destination; pick another name"
            )
        with self._sessions() as s:
            if s.scalar(sa.select(Destination.id).where(Destination.name == name)) is not None:
                raise NameTakenError(
                    f"a destination named {name!r} already exists; pick another name, or remove"
                    f" it first with 'destinations remove {name}'"
                )

    def query(self, sql: str, *, destination: str = WAREHOUSE, limit: int = 1000) -> QueryResult:
        """Run one read-only SQL statement on ``destination`` (:func:`.querying.run_query`)."""
        from backlog_connector.datasets.querying import run_query

        return run_query(self, sql, destination=destination, limit=limit)

    def _destination_row(self, s: Session, name: str) -> Destination | None:
        """The saved destination ``name``; None for ``warehouse``; else ``UnknownNameError``."""
        if name == WAREHOUSE:
            return None
        row = s.scalar(sa.select(Destination).where(Destination.name == name))
        if row is None:
            raise UnknownNameError(
                f"no destination named {name!r}; see 'destinations list' or add it with"
                " 'destinations add'"
            )
        return row

    def _warehouse_info(self, s: Session) -> DestinationInfo:
        users = s.scalars(
            sa.select(Dataset.name).where(Dataset.destination_id.is_(None)).order_by(Dataset.name)
        )
        return DestinationInfo(
            name=WAREHOUSE,
            kind="duckdb",
            url=None,
            schema=None,
            path=str(self.warehouse_path),
            created_at=None,
            updated_at=None,
            datasets=tuple(users),
        )
