"""The real PostgreSQL of the test machine: scratch databases that tests create and drop."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import psycopg

#: an administrative connection to the server (trust auth on the test machine)
PG_ADMIN_URL = os.environ.get(
    "BACKLOG_CONNECTOR_TEST_POSTGRES_ADMIN", "postgresql://postgres@127.0.0.1:5432/test"
)


def url_of(database: str) -> str:
    """``PG_ADMIN_URL`` pointed at another database of the same server."""
    head, _, _ = PG_ADMIN_URL.rpartition("/")
    return f"{head}/{database}"


@contextlib.contextmanager
def scratch_database(purpose: str) -> Iterator[str]:
    """Create a database for ``purpose``, yield its URL, drop it (and its sessions) after."""
    name = f"bc_{purpose}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url_of(name)
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
