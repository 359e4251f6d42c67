"""Credentials at rest: Fernet-encrypted JSON, keyed by ``BACKLOG_CONNECTOR_SECRET_KEY`` or a
0600 key file in the data home (created at first use)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import orjson
from cryptography.fernet import Fernet, InvalidToken

from backlog_connector.datasets.errors import SecretKeyError


class SecretBox:
    """Encrypts and decrypts small credential documents. Its repr shows no key."""

    def __init__(self, key: bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError):
            raise SecretKeyError(
                "the secret key is not a valid Fernet key (32 url-safe base64-encoded bytes);"
                " fix BACKLOG_CONNECTOR_SECRET_KEY or the key file, e.g. generate one with"
                " python -c 'from cryptography.fernet import Fernet;"
                " print(Fernet.generate_key().decode())'"
            ) from None

    def __repr__(self) -> str:
        return "SecretBox(<key hidden>)"

    @classmethod
    def open(cls, key_file: Path, env_key: str | None = None) -> SecretBox:
        """The box for ``env_key`` if given, else for ``key_file`` (created 0600 if missing)."""
        if env_key:
            return cls(env_key.encode())
        return cls(_read_or_create_key(key_file))

    def seal(self, document: dict[str, Any]) -> bytes:
        """Encrypt ``document`` (JSON-able)."""
        return self._fernet.encrypt(orjson.dumps(document))

    def open_sealed(self, token: bytes, *, account: str) -> dict[str, Any]:
        """Decrypt what ``seal`` produced; a wrong key raises ``SecretKeyError``."""
        try:
            data: dict[str, Any] = orjson.loads(self._fernet.decrypt(token))
        except InvalidToken:
            raise SecretKeyError(
                f"the saved credentials of account {account!r} cannot be decrypted with this"
                " secret key; set BACKLOG_CONNECTOR_SECRET_KEY (or restore the key file) to the"
                " key they were saved with, or enter the credentials again with"
                f" 'accounts update {account} --api-key ...'",
                account=account,
            ) from None
        return data


def _read_or_create_key(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # written aside, then linked into place: a concurrent reader never sees a partial key
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(Fernet.generate_key())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
        tmp.unlink()
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise SecretKeyError(
            f"the key file {path} is readable by other users (mode {mode:o});"
            f" run 'chmod 600 {path}'"
        )
    return path.read_bytes().strip()
