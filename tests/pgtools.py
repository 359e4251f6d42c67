"""The real PostgreSQL of the test machine: scratch databases that tests create and drop."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

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


PG_BIN = Path(os.environ.get("BACKLOG_CONNECTOR_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))


@contextlib.contextmanager
def password_server(password: str) -> Iterator[str]:
    """A private PostgreSQL server (initdb in a temporary folder) that checks passwords
    (scram-sha-256), on a free loopback port; yields ``postgresql://bc@127.0.0.1:PORT/postgres``
    without the password. The machine's own server trusts every loopback login, so a wrong
    password can only be refused by a server like this one."""
    import pwd
    import shutil
    import socket
    import subprocess
    import tempfile

    as_root = os.geteuid() == 0
    folder = Path(tempfile.mkdtemp(prefix="bc-pg-"))
    run_as: list[str] = ["runuser", "-u", "postgres", "--"] if as_root else []
    try:
        if as_root:
            owner = pwd.getpwnam("postgres")
            os.chown(folder, owner.pw_uid, owner.pw_gid)
        secret = folder / "pw"
        secret.write_text(password)
        if as_root:
            os.chown(secret, owner.pw_uid, owner.pw_gid)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        subprocess.run(
            [*run_as, str(PG_BIN / "initdb"), "-D", str(folder / "data"), "-U", "bc",
             "--auth=scram-sha-256", f"--pwfile={secret}", "-E", "UTF8"],
            check=True, capture_output=True,
        )  # fmt: skip
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"
        subprocess.run(
            [*run_as, str(PG_BIN / "pg_ctl"), "-D", str(folder / "data"), "-o", options,
             "-l", str(folder / "log"), "-w", "start"],
            check=True, capture_output=True,
        )  # fmt: skip
        try:
            yield f"postgresql://bc@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run(
                [*run_as, str(PG_BIN / "pg_ctl"), "-D", str(folder / "data"), "-m",
                 "immediate", "stop"],
                capture_output=True,
            )  # fmt: skip
    finally:
        shutil.rmtree(folder, ignore_errors=True)
