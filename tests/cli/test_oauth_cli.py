"""``accounts add-oauth``: the OAuth 2.0 code grant from the command line, against the emulator."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from backlog_connector.commands.accounts import code_from_redirect
from backlog_connector.emulator import Emulator

from .helpers import Cli, as_json, state

REDIRECT = "http://127.0.0.1:9/callback"


def approve(emu: Emulator, state_value: str = "s1") -> str:
    """What a browser would do: approve the application, return the redirect it was sent to."""
    query = {
        "response_type": "code",
        "client_id": emu.oauth_client["client_id"],
        "redirect_uri": REDIRECT,
        "state": state_value,
    }
    answer = httpx.get(f"{emu.base_url}/OAuth2AccessRequest.action", params=query)
    assert answer.status_code in (302, 303), answer.text
    return answer.headers["location"]


def code_of(redirect: str) -> str:
    return parse_qs(urlsplit(redirect).query)["code"][0]


def add_oauth(cli: Cli, emu: Emulator, answer: str, *extra: str) -> object:
    return cli(
        "accounts", "add-oauth", "oa", "--base-url", emu.base_url,
        "--client-id", emu.oauth_client["client_id"], "--redirect-uri", REDIRECT, *extra,
        input=answer + "\n", env={"BACKLOG_OAUTH_CLIENT_SECRET": emu.oauth_client["client_secret"]},
    )  # fmt: skip


def test_add_oauth_account_then_run_a_dataset(
    cli: Cli, home: Path, make_emulator: Callable[..., Emulator]
) -> None:
    emu = make_emulator()
    code = code_of(approve(emu))
    added = add_oauth(cli, emu, code, "--json")
    info = as_json(added)
    assert info["auth"] == "oauth"
    assert "OAuth2AccessRequest.action" in added.stderr  # the address to approve was shown
    created = cli("datasets", "create", "Users", "--account", "oa", "--report", "users")
    assert created.exit_code == 0, created.output
    ran = cli("datasets", "run", "Users", "--json")
    assert ran.exit_code == 0, ran.output
    assert as_json(cli("datasets", "list", "--json"))[0]["rows"] == len(emu.state.users)
    secret = emu.oauth_client["client_secret"]
    for result in (added, created, ran, cli("accounts", "show", "oa", "--json")):
        assert secret not in result.output
        assert code not in result.output
    for path in home.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path


def test_a_pasted_redirect_url_gives_its_code(make_emulator: Callable[..., Emulator]) -> None:
    emu = make_emulator()
    redirect = approve(emu, "mine")
    assert code_from_redirect(redirect, "mine") == code_of(redirect)
    assert code_from_redirect(" abc123 \n", "mine") == "abc123"


def test_a_redirect_of_another_request_or_a_bad_code_saves_nothing(
    cli: Cli, make_emulator: Callable[..., Emulator]
) -> None:
    emu = make_emulator()
    before = state(cli)
    foreign = add_oauth(cli, emu, approve(emu, "someone-elses-state"))
    assert foreign.exit_code == 2
    assert "state" in foreign.stderr
    refused = add_oauth(cli, emu, "not-a-code")
    assert refused.exit_code == 2, refused.output
    assert state(cli) == before


@pytest.mark.parametrize("missing", ["--client-id", "--redirect-uri"])
def test_required_options_are_named(cli: Cli, emulator: Emulator, missing: str) -> None:
    args = ["accounts", "add-oauth", "oa", "--base-url", emulator.base_url,
            "--client-id", "x", "--redirect-uri", REDIRECT]  # fmt: skip
    i = args.index(missing)
    del args[i : i + 2]
    result = cli(*args, input="code\n")
    assert result.exit_code == 2
    assert missing in result.output
