"""The service's secrets: generated once, shown once, stored only as hashes in 0600 files."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from backlog_connector.settings import Settings
from backlog_connector.web import auth


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_first_start_generates_token_and_password_once_and_stores_hashes(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    first = auth.ensure_credentials(settings)
    assert first.api_token
    assert first.admin_password
    assert first.api_token not in repr(first)
    assert first.admin_password not in repr(first)
    for name in (auth.TOKEN_FILE, auth.PASSWORD_FILE, auth.SESSION_SECRET_FILE):
        assert mode(tmp_path / name) == 0o600, name
    assert first.api_token not in (tmp_path / auth.TOKEN_FILE).read_text()
    assert first.admin_password not in (tmp_path / auth.PASSWORD_FILE).read_text()
    assert auth.check_api_token(tmp_path, first.api_token)
    assert not auth.check_api_token(tmp_path, first.api_token + "x")
    assert not auth.check_api_token(tmp_path, "")
    assert auth.check_admin_password(tmp_path, first.admin_password)
    assert not auth.check_admin_password(tmp_path, "guess")

    second = auth.ensure_credentials(settings)
    assert second.api_token is None
    assert second.admin_password is None  # shown once: the next start has nothing to show
    assert auth.check_api_token(tmp_path, first.api_token)
    assert auth.session_secret(tmp_path) == auth.session_secret(tmp_path)


def test_environment_fixes_the_secrets_and_a_change_takes_effect(tmp_path: Path) -> None:
    fixed = Settings(home=tmp_path, api_token=SecretStr("tok-1"), admin_password=SecretStr("pw-1"))
    assert auth.ensure_credentials(fixed) == auth.NewSecrets()
    assert auth.check_api_token(tmp_path, "tok-1")
    assert auth.check_admin_password(tmp_path, "pw-1")
    changed = Settings(
        home=tmp_path, api_token=SecretStr("tok-2"), admin_password=SecretStr("pw-2")
    )
    auth.ensure_credentials(changed)
    assert not auth.check_api_token(tmp_path, "tok-1")
    assert auth.check_api_token(tmp_path, "tok-2")
    assert not auth.check_admin_password(tmp_path, "pw-1")
    assert auth.check_admin_password(tmp_path, "pw-2")


def test_no_secret_files_means_nobody_gets_in(tmp_path: Path) -> None:
    assert not auth.check_api_token(tmp_path, "anything")
    assert not auth.check_admin_password(tmp_path, "anything")


def test_password_hashes_are_salted(tmp_path: Path) -> None:
    one, two = auth.hash_password("same"), auth.hash_password("same")
    assert one != two
    assert one.startswith("scrypt$")
