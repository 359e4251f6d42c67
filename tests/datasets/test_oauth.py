"""OAuth accounts: changed with update_account, and several datasets of one OAuth account run
together while the access token is about to expire (refresh tokens rotate)."""

from __future__ import annotations

from collections.abc import Callable

from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator

from .oauth_helpers import save_oauth_account

MakeEmulator = Callable[..., Emulator]
#: shorter than the client's 60 s refresh-ahead window: every request refreshes the token first
SHORT_TOKEN_SECONDS = 30


def add_oauth(plane: ControlPlane, emu: Emulator, name: str = "oauth") -> str:
    """Authorise the emulator's OAuth client as the admin; save the tokens as account ``name``."""
    save_oauth_account(plane, emu, name)
    return name


def test_an_api_key_replaces_the_oauth_tokens(
    plane: ControlPlane, make_emulator: MakeEmulator
) -> None:
    emu = make_emulator(issues=10)
    add_oauth(plane, emu)
    info = plane.update_account("oauth", api_key=emu.api_keys["member"])
    assert (info.auth, info.user_login) == ("api_key", "member")
    assert plane.verify_account("oauth").auth == "api_key"
    plane.create_dataset("Space", account="oauth", report="space")
    (run,) = plane.run_datasets(["Space"])
    assert run.status == "succeeded", run.error


def test_an_oauth_account_keeps_its_tokens_when_its_address_changes(
    plane: ControlPlane, make_emulator: MakeEmulator
) -> None:
    emu = make_emulator(issues=10, token_seconds=SHORT_TOKEN_SECONDS)
    add_oauth(plane, emu)
    plane.create_dataset("Space", account="oauth", report="space")
    (run,) = plane.run_datasets(["Space"])
    assert run.status == "succeeded", run.error
    # same space, written differently: verified with the (refreshed) tokens, kept as OAuth
    other_spelling = emu.base_url.replace("127.0.0.1", "localhost")
    info = plane.update_account("oauth", base_url=other_spelling)
    assert (info.auth, info.user_login, info.base_url) == ("oauth", "admin", other_spelling)
    assert plane.verify_account("oauth").auth == "oauth"
    (run,) = plane.run_datasets(["Space"])
    assert run.status == "succeeded", run.error


def test_datasets_of_one_oauth_account_run_together_near_token_expiry(
    plane: ControlPlane, make_emulator: MakeEmulator
) -> None:
    emu = make_emulator(issues=20, token_seconds=SHORT_TOKEN_SECONDS)
    add_oauth(plane, emu)
    names = ["Space", "Users", "Projects"]
    for name, report in zip(names, ("space", "users", "projects"), strict=True):
        plane.create_dataset(name, account="oauth", report=report)
    for _ in range(2):  # and again with the tokens the first round saved
        runs = plane.run_datasets(names)
        assert [(r.status, r.error) for r in runs] == [("succeeded", None)] * 3
    assert plane.verify_account("oauth").auth == "oauth"


def test_tokens_refreshed_by_another_process_are_adopted(
    plane: ControlPlane, make_emulator: MakeEmulator
) -> None:
    emu = make_emulator(issues=10, token_seconds=SHORT_TOKEN_SECONDS)
    add_oauth(plane, emu)
    plane.create_dataset("Space", account="oauth", report="space")
    assert plane.run_datasets(["Space"])[0].status == "succeeded"
    # a second control plane on the same data home stands for another process (e.g. serve)
    with ControlPlane.open(plane.home) as other:
        (run,) = other.run_datasets(["Space"])  # refreshes: this plane's refresh token is spent
        assert run.status == "succeeded", run.error
    (run,) = plane.run_datasets(["Space"])
    assert run.status == "succeeded", run.error
