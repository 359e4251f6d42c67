"""How a CLI finds the ``serve`` of its data home and hands it the work that must not run twice.

While ``serve`` runs it leaves ``serve.json`` in the data home (its address, its PID, and where
its token is) and the token itself in ``serve.token``; both are 0600, both are removed when it
stops. The token is made at each start and is good only against that process. A CLI command
that would write (``datasets run``, ``datasets delete``) finds a live service here and asks it
over its REST API, so one process runs every sync of the home and two runs of one dataset never
overlap; a stale file (its process gone, or not answering) is ignored.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SERVICE_FILE = "serve.json"
TOKEN_FILE = "serve.token"  # noqa: S105  (a file name, not a secret)
_HEALTH_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class LocalService:
    """A running ``serve`` of this data home: where it listens and its per-start token."""

    url: str
    pid: int
    token: str

    def __repr__(self) -> str:
        return f"LocalService(url={self.url!r}, pid={self.pid})"


def announce(home: Path, url: str) -> LocalService:
    """Write the service and token files for this process (called by ``serve`` at start)."""
    token = secrets.token_urlsafe(32)
    _write_private(home / TOKEN_FILE, token)
    document = {"url": url, "pid": os.getpid(), "token_file": TOKEN_FILE}
    _write_private(home / SERVICE_FILE, json.dumps(document))
    return LocalService(url=url, pid=os.getpid(), token=token)


def withdraw(home: Path, service: LocalService) -> None:
    """Remove the files if they are still this process's (called by ``serve`` at exit)."""
    found = _read(home)
    if found is not None and found[0].get("pid") == service.pid:
        for name in (SERVICE_FILE, TOKEN_FILE):
            with contextlib.suppress(FileNotFoundError):
                (home / name).unlink()


def find_local_service(home: Path) -> LocalService | None:
    """The live ``serve`` of ``home``, or None (none left its file, its process is gone, or
    what answers at its address cannot prove it holds the home's token)."""
    found = _read(home)
    if found is None:
        return None
    document, token = found
    pid, url = document.get("pid"), document.get("url")
    if not isinstance(pid, int) or not isinstance(url, str) or not _alive(pid):
        return None
    import httpx

    challenge = secrets.token_hex(16)
    try:
        reply = httpx.get(
            f"{url}/api/health", params={"challenge": challenge}, timeout=_HEALTH_TIMEOUT_SECONDS
        )
        proof = reply.json().get("proof") if reply.status_code == 200 else None
    except (httpx.HTTPError, ValueError, AttributeError):
        return None
    # only the serve that wrote the token can answer: a stale file whose port another program
    # (or another home's serve) took never gets the token
    if not isinstance(proof, str) or not hmac.compare_digest(
        proof, handoff_proof(token, challenge)
    ):
        return None
    return LocalService(url=url, pid=pid, token=token)


def handoff_proof(token: str, challenge: str) -> str:
    """What a serve holding ``token`` answers to ``challenge`` (HMAC-SHA256, hex)."""
    return hmac.new(token.encode(), challenge.encode(), hashlib.sha256).hexdigest()


def _read(home: Path) -> tuple[dict[str, Any], str] | None:
    try:
        document = json.loads((home / SERVICE_FILE).read_text(encoding="utf-8"))
        token_name = document.get("token_file", TOKEN_FILE)
        token = (home / Path(str(token_name)).name).read_text(encoding="utf-8").strip()
    except (OSError, ValueError, AttributeError):
        return None
    return (document, token) if isinstance(document, dict) and token else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: not our service
        return False
    return True


def _write_private(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(partial, path)
