"""``backlog-connector query "SQL"``: read-only SQL over a destination (table, CSV or JSON)."""

from __future__ import annotations

import csv
import io

import click

from backlog_connector.commands.common import (
    control_plane,
    errors_to_exit_codes,
    json_option,
    print_json,
    table,
)


@click.command()
@click.argument("sql")
@click.option(
    "--destination",
    default="warehouse",
    show_default=True,
    help="A saved destination, or warehouse (the DuckDB file).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@click.option(
    "--limit", type=click.IntRange(1, 1_000_000), default=1000, show_default=True,
    help="At most this many rows.",
)  # fmt: skip
@json_option
@errors_to_exit_codes
def query(sql: str, destination: str, fmt: str, limit: int, as_json: bool) -> None:
    """Run one read-only SQL statement (SELECT, WITH, EXPLAIN, DESCRIBE, SHOW) on a
    destination and print the rows (--json is --format json). A statement that would write
    is refused (exit 2) and changes nothing; it works while 'serve' runs."""
    with control_plane() as plane:
        result = plane.query(sql, destination=destination, limit=limit)
    if as_json or fmt == "json":
        print_json(result.records())
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(result.columns)
        writer.writerows([["" if v is None else v for v in row] for row in result.rows])
        click.echo(buffer.getvalue(), nl=False)
    else:
        table(result.columns, result.rows)
    if result.truncated:
        click.echo(f"(first {limit} rows shown; --limit N for more)", err=True)
