"""Credentials at rest: Fernet, a 0600 key file or the env key; a wrong key is a clear error."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from backlog_connector.datasets.errors import SecretKeyError
from backlog_connector.datasets.secrets import SecretBox
from backlog_connector.datasets.service import ControlPlane


def test_key_file_is_created_0600_and_reused(tmp_path: Path) -> None:
    key_file = tmp_path / "secret.key"
    box = SecretBox.open(key_file)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    sealed = box.seal({"api_key": "KEY-abc"})
    assert b"KEY-abc" not in sealed
    assert SecretBox.open(key_file).open_sealed(sealed, account="a") == {"api_key": "KEY-abc"}
    assert "KEY" not in repr(box)


def test_env_key_wins_and_a_wrong_key_is_named(tmp_path: Path) -> None:
    env_key = Fernet.generate_key().decode()
    sealed = SecretBox.open(tmp_path / "k", env_key).seal({"api_key": "x"})
    assert not (tmp_path / "k").exists()
    with pytest.raises(SecretKeyError, match="BACKLOG_CONNECTOR_SECRET_KEY") as info:
        SecretBox.open(tmp_path / "other.key").open_sealed(sealed, account="acme")
    assert "acme" in str(info.value)


def test_malformed_env_key(tmp_path: Path) -> None:
    with pytest.raises(SecretKeyError, match="not a valid Fernet key"):
        SecretBox.open(tmp_path / "k", "short")


def test_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    key_file = tmp_path / "secret.key"
    SecretBox.open(key_file)
    key_file.chmod(0o644)
    with pytest.raises(SecretKeyError, match="chmod 600"):
        SecretBox.open(key_file)


def test_a_new_data_home_is_private_to_its_user(plane: ControlPlane) -> None:
    assert plane.home.stat().st_mode & 0o777 == 0o700
