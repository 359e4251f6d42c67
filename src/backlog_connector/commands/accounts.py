"""``backlog-connector accounts``: save, list, show, verify, update and remove accounts."""

from __future__ import annotations

import os
import secrets
import sys
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import click

from backlog_connector.backlog.errors import InvalidOptionError
from backlog_connector.commands.common import (
    control_plane,
    errors_to_exit_codes,
    json_option,
    print_json,
    table,
    when,
)

API_KEY_ENV = "BACKLOG_API_KEY"
OAUTH_SECRET_ENV = "BACKLOG_OAUTH_CLIENT_SECRET"  # noqa: S105 (a variable name)


@click.group()
def accounts() -> None:
    """Saved Backlog accounts (a space address and an API key, encrypted at rest)."""


KEY_ON_COMMAND_LINE_WARNING = (
    "warning: a key given with --api-key is visible to every user of this machine (ps) and"
    f' stays in the shell history; pipe it on stdin (echo "$KEY" | ... or --api-key -),'
    f" type it at the prompt, or set {API_KEY_ENV} instead"
)


def warn_key_on_command_line() -> None:
    """Say (on stderr, never the key) why ``--api-key KEY`` is a poor way to pass a key."""
    click.echo(KEY_ON_COMMAND_LINE_WARNING, err=True)


def read_api_key(given: str | None) -> str:
    """The key from ``$BACKLOG_API_KEY``, else stdin (a hidden prompt on a terminal); a key
    given with ``--api-key`` still works, with a warning (``-`` means stdin)."""
    if given and given != "-":
        warn_key_on_command_line()
        return given
    if given == "-":
        return sys.stdin.readline().strip() if sys.stdin is not None else ""
    env = os.environ.get(API_KEY_ENV)
    if env:
        return env
    if sys.stdin is None:
        return ""
    if sys.stdin.isatty():
        key: str = click.prompt("API key", hide_input=True, err=True)
        return key
    return sys.stdin.readline().strip()


def _address_options(func: Any) -> Any:
    func = click.option(
        "--base-url",
        help="Explicit base URL (Backlog Enterprise, the emulator); plain http only to loopback.",
    )(func)
    return click.option(
        "--fqdn", help="The space's host: SPACE.backlog.com, SPACE.backlog.jp, ...backlogtool.com."
    )(func)


@accounts.command("add")
@click.argument("name")
@_address_options
@click.option(
    "--api-key",
    help=f"Discouraged (visible in ps): the key is read from ${API_KEY_ENV}, else stdin or a"
    " hidden prompt; '-' reads stdin.",
)
@click.option(
    "--api-key-in-query", is_flag=True, help="Send the key as ?apiKey= (old Backlog Enterprise)."
)
@json_option
@errors_to_exit_codes
def add(
    name: str,
    fqdn: str | None,
    base_url: str | None,
    api_key: str | None,
    api_key_in_query: bool,
    as_json: bool,
) -> None:
    """Verify the credentials against the space, then save them as account NAME."""
    key = read_api_key(api_key)
    with control_plane() as plane:
        info = plane.add_account(
            name, fqdn=fqdn, base_url=base_url, api_key=key, api_key_in_query=api_key_in_query
        )
    if as_json:
        print_json(info.to_dict())
        return
    click.echo(
        f"Saved account {info.name!r}: {info.user_name} ({info.user_role_name}) on"
        f" {info.space_name} [{info.space}]"
    )


@accounts.command("add-oauth")
@click.argument("name")
@_address_options
@click.option("--client-id", required=True, help="The OAuth application's client id.")
@click.option(
    "--client-secret",
    help=f"The application's client secret (else ${OAUTH_SECRET_ENV}, else a prompt).",
)
@click.option(
    "--redirect-uri",
    required=True,
    help="The redirect URI registered for the application.",
)
@json_option
@errors_to_exit_codes
def add_oauth(
    name: str,
    fqdn: str | None,
    base_url: str | None,
    client_id: str,
    client_secret: str | None,
    redirect_uri: str,
    as_json: bool,
) -> None:
    """Save account NAME with OAuth 2.0: approve the application in a browser, then paste the
    URL you were sent to (or just its code) here. Tokens are encrypted and refreshed as needed."""
    secret = client_secret or os.environ.get(OAUTH_SECRET_ENV) or _prompt_secret("Client secret")
    state = secrets.token_urlsafe(16)
    with control_plane() as plane:
        url = plane.oauth_authorization_url(
            fqdn=fqdn, base_url=base_url, client_id=client_id, redirect_uri=redirect_uri,
            state=state,
        )  # fmt: skip
        click.echo(f"Open this address, approve the application, then paste where it sent "
                   f"you (or the code):\n  {url}", err=True)  # fmt: skip
        code = code_from_redirect(_read_line("Redirect URL or code"), state)
        info = plane.add_oauth_account_with_code(
            name, fqdn=fqdn, base_url=base_url, client_id=client_id, client_secret=secret,
            redirect_uri=redirect_uri, code=code,
        )  # fmt: skip
    if as_json:
        print_json(info.to_dict())
        return
    click.echo(
        f"Saved account {info.name!r} (OAuth): {info.user_name} ({info.user_role_name}) on"
        f" {info.space_name} [{info.space}]"
    )


def code_from_redirect(answer: str, state: str) -> str:
    """The authorisation code from a pasted redirect URL (its ``state`` must be ours) or from
    a bare code."""
    answer = answer.strip()
    if "code=" not in answer:
        return answer
    query = parse_qs(urlsplit(answer).query or answer)
    returned = query.get("state", [None])[0]
    if returned is not None and returned != state:
        raise InvalidOptionError(
            "the pasted URL carries another state than this request's: paste the URL from the "
            "approval you just made (run the command again to get a new one)"
        )
    codes = query.get("code", [""])
    return codes[0]


def _prompt_secret(label: str) -> str:
    if sys.stdin is not None and sys.stdin.isatty():
        value: str = click.prompt(label, hide_input=True, err=True)
        return value
    return ""


def _read_line(label: str) -> str:
    if sys.stdin is None:
        return ""
    if sys.stdin.isatty():
        value: str = click.prompt(label, err=True)
        return value
    return sys.stdin.readline()


@accounts.command("list")
@json_option
@errors_to_exit_codes
def list_(as_json: bool) -> None:
    """Every saved account, with the datasets that use it."""
    with control_plane() as plane:
        infos = plane.list_accounts()
    if as_json:
        print_json([i.to_dict() for i in infos])
        return
    table(
        ["name", "space", "user", "role", "auth", "verified", "datasets"],
        [
            [
                i.name,
                i.space,
                i.user_name,
                i.user_role_name,
                i.auth,
                when(i.verified_at),
                ", ".join(i.datasets) or "-",
            ]
            for i in infos
        ],
    )


@accounts.command("show")
@click.argument("name")
@json_option
@errors_to_exit_codes
def show(name: str, as_json: bool) -> None:
    """One account: where, who, the space, the datasets using it, the last rate budget."""
    with control_plane() as plane:
        info = plane.get_account(name)
        budget = plane.rate_budget(name)
    if as_json:
        print_json({**info.to_dict(), "rate_budget": budget})
        return
    _print_account(info.to_dict(), budget)


@accounts.command("verify")
@click.argument("name")
@json_option
@errors_to_exit_codes
def verify(name: str, as_json: bool) -> None:
    """Check the saved credentials against the space again (exit 2 if refused)."""
    with control_plane() as plane:
        info = plane.verify_account(name)
        budget = plane.rate_budget(name)
    if as_json:
        print_json({**info.to_dict(), "rate_budget": budget})
        return
    click.echo(f"Account {name!r} works: {info.user_name} on {info.space_name} [{info.space}]")


@accounts.command("projects")
@click.argument("name")
@json_option
@errors_to_exit_codes
def projects(name: str, as_json: bool) -> None:
    """The projects of account NAME's space that its user can see (keys for --option
    projects=...)."""
    with control_plane() as plane:
        found = plane.list_projects(name)
    if as_json:
        print_json(found)
        return
    table(
        ["key", "name", "id", "archived"],
        [[p["key"], p["name"], p["id"], "yes" if p["archived"] else "no"] for p in found],
    )


@accounts.command("update")
@click.argument("name")
@_address_options
@click.option(
    "--api-key", help=f"A new API key ('-' reads it from stdin; else ${API_KEY_ENV} if set)."
)
@click.option(
    "--api-key-in-query/--no-api-key-in-query",
    default=None,
    help="Send the key as ?apiKey= (old Backlog Enterprise), or in the header again.",
)
@json_option
@errors_to_exit_codes
def update(
    name: str,
    fqdn: str | None,
    base_url: str | None,
    api_key: str | None,
    api_key_in_query: bool | None,
    as_json: bool,
) -> None:
    """Change an account's key, address or key placement (verified before it is saved)."""
    if api_key == "-":
        api_key = sys.stdin.readline().strip()
    elif api_key is None:
        api_key = os.environ.get(API_KEY_ENV) or None
    else:
        warn_key_on_command_line()
    with control_plane() as plane:
        info = plane.update_account(
            name,
            api_key=api_key,
            fqdn=fqdn,
            base_url=base_url,
            api_key_in_query=api_key_in_query,
        )
    if as_json:
        print_json(info.to_dict())
        return
    click.echo(f"Updated account {name!r} ({info.space})")


@accounts.command("remove")
@click.argument("name")
@click.option("--force", is_flag=True, help="Also delete the datasets that use the account.")
@errors_to_exit_codes
def remove(name: str, force: bool) -> None:
    """Forget an account (refused while datasets use it, unless --force)."""
    with control_plane() as plane:
        plane.remove_account(name, force=force)
    click.echo(f"Removed account {name!r}")


def _print_account(data: dict[str, Any], budget: dict[str, Any]) -> None:
    rows = [
        ["name", data["name"]],
        ["space", f"{data['space_name']} ({data['space_key']}) [{data['space']}]"],
        ["base URL", data["base_url"]],
        ["time zone", data["space_timezone"]],
        ["user", f"{data['user_name']} (id {data['user_id']}, {data['user_role_name']})"],
        ["auth", data["auth"] + (" in query" if data["api_key_in_query"] else "")],
        ["verified", when(datetime.fromisoformat(v)) if (v := data["verified_at"]) else "-"],
        ["datasets", ", ".join(data["datasets"]) or "-"],
    ]
    for category, values in sorted(budget.items()):
        if isinstance(values, dict):
            rows.append(
                [
                    f"budget {category}",
                    f"{values.get('remaining')}/{values.get('limit') or '?'} left, resets"
                    f" {_at(values.get('reset'))} (seen {_at(values.get('seen_at'))})",
                ]
            )
    table(["field", "value"], rows)


def _at(iso: Any) -> str:
    return when(datetime.fromisoformat(iso)) if isinstance(iso, str) else "?"
