"""A PostgreSQL database of its own for destination tests, on the server at 127.0.0.1:5432.

``pg_database()`` creates a database owned by a new role with a password (its owner may create
tables in ``public``), and a second role that may connect but not create anything; both roles
and the database are dropped afterwards. The server trusts loopback connections (pg_hba
``trust``), so passwords are not checked there: refusals are tested with an unknown user, an
unknown database and a role without the CREATE privilege instead.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import quote

import psycopg
from psycopg import sql

HOST = "127.0.0.1"
PORT = int(os.environ.get("BACKLOG_CONNECTOR_TEST_PG_PORT", "5432"))
ADMIN = f"host={HOST} port={PORT} user=postgres dbname=test"


@dataclass(frozen=True)
class PgDatabase:
    """A scratch database, its owner (with ``password``) and a role without privileges."""

    database: str
    owner: str
    password: str
    reader: str

    def url(
        self,
        *,
        user: str | None = None,
        password: str | None = "",
        database: str | None = None,
        port: int = PORT,
    ) -> str:
        """A postgresql:// URL (default: the owner with the password, percent-encoded)."""
        secret = self.password if password == "" else password
        who = quote(user or self.owner, safe="")
        if secret:
            who += ":" + quote(secret, safe="")
        return f"postgresql://{who}@{HOST}:{port}/{database or self.database}"

    def connect(self) -> psycopg.Connection[tuple[object, ...]]:
        """A superuser connection to the scratch database (autocommit)."""
        return psycopg.connect(
            f"host={HOST} port={PORT} user=postgres dbname={self.database}", autocommit=True
        )

    def scalar(self, query: str) -> object:
        """The first value of ``query`` run in the scratch database."""
        with self.connect() as conn:
            row = conn.execute(query).fetchone()
        return row[0] if row else None

    def tables(self, schema: str = "public") -> set[str]:
        """The tables of ``schema``."""
        with self.connect() as conn:
            rows = conn.execute(
                "select table_name from information_schema.tables where table_schema = %s",
                [schema],
            ).fetchall()
        return {str(r[0]) for r in rows}


@contextmanager
def pg_database() -> Iterator[PgDatabase]:
    """A fresh database and two roles, dropped afterwards."""
    suffix = uuid.uuid4().hex[:10]
    db = PgDatabase(
        database=f"bc_dest_{suffix}",
        owner=f"bc_owner_{suffix}",
        password=f"p@ss/w:rd?{uuid.uuid4().hex}",
        reader=f"bc_reader_{suffix}",
    )
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(db.owner), sql.Literal(db.password)
            )
        )
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(db.reader)))
        conn.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(db.database), sql.Identifier(db.owner)
            )
        )
    with db.connect() as conn:  # PostgreSQL 15 already keeps PUBLIC from creating in public
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    try:
        yield db
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(db.database)
                )
            )
            for role in (db.owner, db.reader):
                conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def free_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def secret_forms(password: str) -> tuple[str, ...]:
    """The password as typed and as it appears percent-encoded in a URL."""
    return (password, quote(password, safe=""))
