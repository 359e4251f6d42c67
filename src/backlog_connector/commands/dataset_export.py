"""``backlog-connector datasets export``: a dataset's tables to CSV, Parquet, JSON or xlsx
files, a folder of them, or standard output."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import click

from backlog_connector.commands.common import control_plane, errors_to_exit_codes


@click.command("export")
@click.argument("name")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "parquet", "json", "xlsx"]), required=True
)
@click.option(
    "--output",
    required=True,
    help="File to write, or '-' for standard output; with --all-tables a folder.",
)
@click.option("--force", is_flag=True, help="Replace the output file(s) if they exist.")
@click.option(
    "--encoding",
    type=click.Choice(["utf-8", "utf-8-sig"]),
    default="utf-8",
    show_default=True,
    help="CSV only: utf-8-sig adds the byte-order mark Excel (Japanese Windows) needs.",
)
@click.option(
    "--table-suffix",
    metavar="S",
    help="Export the child table <table>__S instead of the main one (e.g. custom_fields).",
)
@click.option(
    "--all-tables",
    is_flag=True,
    help="Export the main table and every child table into the folder --output, one file each.",
)
@errors_to_exit_codes
def export(
    name: str,
    fmt: str,
    output: str,
    force: bool,
    encoding: str,
    table_suffix: str | None,
    all_tables: bool,
) -> None:
    """Write the dataset's table to a CSV, Parquet, JSON or Excel file (or to stdout with
    --output -); a child table with --table-suffix, all of them with --all-tables.

    An existing file is replaced only with --force, and never one of the data home's files.
    """
    if all_tables and table_suffix:
        raise click.UsageError("give --all-tables or --table-suffix, not both")
    if all_tables and output == "-":
        raise click.UsageError("--all-tables writes one file per table: give a folder as --output")
    with control_plane() as plane:
        if all_tables:
            for path in plane.export_all(
                name, fmt, Path(output), overwrite=force, encoding=encoding
            ):
                click.echo(f"Wrote {path}")
            return
        if output != "-":
            path = plane.export(
                name, fmt, Path(output), overwrite=force, table_suffix=table_suffix,
                encoding=encoding,
            )  # fmt: skip
            click.echo(f"Wrote {path}")
            return
        with tempfile.TemporaryDirectory(prefix="bc-export-") as folder:
            path = plane.export(
                name, fmt, Path(folder) / f"export.{fmt}", table_suffix=table_suffix,
                encoding=encoding,
            )  # fmt: skip
            out = sys.stdout.buffer
            with path.open("rb") as source:
                shutil.copyfileobj(source, out)
            out.flush()
