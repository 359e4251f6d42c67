"""``backlog-connector destinations``: add, list, show, verify and remove destinations."""

from __future__ import annotations

import os
import sys
from datetime import datetime
from typing import Any

import click

from backlog_connector.commands.common import (
    control_plane,
    errors_to_exit_codes,
    json_option,
    print_json,
    table,
    when,
)

PASSWORD_ENV = "BACKLOG_DESTINATION_PASSWORD"  # noqa: S105 (a variable name)


@click.group()
def destinations() -> None:
    """Where datasets land: the embedded DuckDB file 'warehouse' (the default) or saved
    PostgreSQL databases (their password encrypted at rest, never shown)."""


def read_password(from_stdin: bool) -> str | None:
    """The password from ``--password-stdin`` (one line; prompted without echo on a terminal),
    else ``$BACKLOG_DESTINATION_PASSWORD``, else None (the URL may hold one, or the server may
    need none)."""
    if from_stdin:
        if sys.stdin is not None and sys.stdin.isatty():
            typed: str = click.prompt("Password", hide_input=True, err=True)
            return typed
        line = sys.stdin.readline() if sys.stdin is not None else ""
        password = line.rstrip("\r\n")
        if not password:
            raise click.UsageError("--password-stdin: no password on stdin")
        return password
    return os.environ.get(PASSWORD_ENV) or None


@destinations.command("add")
@click.argument("name")
@click.option(
    "--url",
    required=True,
    help="postgresql://user[:password]@host[:port]/database[?sslmode=require]",
)
@click.option("--schema", default="public", show_default=True, help="The tables' schema.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help=f"Read the password from stdin (else ${PASSWORD_ENV}, else the URL's).",
)
@json_option
@errors_to_exit_codes
def add(name: str, url: str, schema: str, password_stdin: bool, as_json: bool) -> None:
    """Check a PostgreSQL database (connect, then try creating the schema and a probe table in
    it, rolled back), then save it as destination NAME. Nothing is saved (nor created in the
    database) when the check fails.

    Keep the password out of the URL (and out of your shell history): set
    BACKLOG_DESTINATION_PASSWORD or pipe it with --password-stdin."""
    password = read_password(password_stdin)
    with control_plane() as plane:
        info = plane.add_destination(name, url, schema=schema, password=password)
    if as_json:
        print_json(info.to_dict())
        return
    click.echo(
        f"Saved destination {info.name!r}: {info.url}, schema {info.schema} (checked: tables"
        f" can be created). Use it: datasets create ... --destination {_quoted(info.name)}"
    )


@destinations.command("list")
@json_option
@errors_to_exit_codes
def list_(as_json: bool) -> None:
    """The built-in warehouse and every saved destination, with the datasets landing there."""
    with control_plane() as plane:
        infos = plane.list_destinations()
    if as_json:
        print_json([i.to_dict() for i in infos])
        return
    table(
        ["name", "kind", "where", "schema", "verified", "datasets"],
        [
            [
                i.name,
                i.kind,
                i.url or i.path,
                i.schema,
                when(i.verified_at) if i.kind != "duckdb" else "-",
                ", ".join(i.datasets) or "-",
            ]
            for i in infos
        ],
    )


@destinations.command("show")
@click.argument("name")
@json_option
@errors_to_exit_codes
def show(name: str, as_json: bool) -> None:
    """One destination: where it is (without the password) and the datasets landing there."""
    with control_plane() as plane:
        info = plane.get_destination(name)
    if as_json:
        print_json(info.to_dict())
        return
    _print_destination(info.to_dict())


@destinations.command("verify")
@click.argument("name")
@json_option
@errors_to_exit_codes
def verify(name: str, as_json: bool) -> None:
    """Check the destination again: connect and create a probe table (exit 2 if refused)."""
    with control_plane() as plane:
        info = plane.verify_destination(name)
    if as_json:
        print_json(info.to_dict())
        return
    where = info.url if info.kind != "duckdb" else info.path
    click.echo(f"Destination {name!r} works: {where}")


@destinations.command("remove")
@click.argument("name")
@click.option("--force", is_flag=True, help="Also delete the datasets that use it.")
@errors_to_exit_codes
def remove(name: str, force: bool) -> None:
    """Forget a destination, leaving its tables in the database (refused while datasets use
    it, unless --force)."""
    with control_plane() as plane:
        plane.remove_destination(name, force=force)
    click.echo(f"Removed destination {name!r}")


def _print_destination(data: dict[str, Any]) -> None:
    rows = [["name", data["name"]], ["kind", data["kind"]]]
    if data["kind"] == "duckdb":
        rows.append(["file", data["path"]])
    else:
        rows += [
            ["URL", data["url"]],
            ["schema", data["schema"]],
            ["verified", _at(data["verified_at"])],
            ["created", _at(data["created_at"])],
        ]
    rows.append(["datasets", ", ".join(data["datasets"]) or "-"])
    table(["field", "value"], rows)


def _at(iso: Any) -> str:
    return when(datetime.fromisoformat(iso)) if isinstance(iso, str) else "-"


def _quoted(name: str) -> str:
    return f"'{name}'" if " " in name else name
