"""``backlog-connector datasets``: create, list, show, run, preview, history, export, delete."""

from __future__ import annotations

from typing import Any

import click

from backlog_connector.backlog.errors import RetryLaterError
from backlog_connector.commands.common import (
    control_plane,
    errors_to_exit_codes,
    json_option,
    parse_options,
    print_json,
    table,
    when,
)
from backlog_connector.commands.dataset_export import export
from backlog_connector.commands.dataset_runs import history, run

#: previews with more columns than this are shown one record at a time
WIDE = 8


@click.group()
def datasets() -> None:
    """Named datasets: a report's rows, through an account, into a table."""


def _schedule_options(func: Any) -> Any:
    for decorator in reversed(
        [
            click.option("--schedule", help="manual, 'every 15m', 'daily 09:00', 'cron ...'"),
            click.option("--timezone", help="IANA zone of the schedule (default: the space's)."),
            click.option("--retries", type=int, help="Attempts after a failed run (0-10)."),
            click.option("--retry-interval", help="Wait before a retry: 30s, 5m, 1h, ..."),
            click.option("--description", help="What the dataset is for."),
            click.option("--webhook-url", help="Receives a JSON POST when a run finally fails."),
        ]
    ):
        func = decorator(func)
    return func


_no_check_options = click.option(
    "--no-check-options",
    "no_check",
    is_flag=True,
    help="Save without checking option names against the space (e.g. while it is down).",
)


@datasets.command("create")
@click.argument("name")
@click.option("--account", required=True, help="A saved account (see 'accounts list').")
@click.option("--report", required=True, help="A report of the catalog (see 'reports').")
@click.option("--option", "options", multiple=True, metavar="K=V", help="A report option.")
@click.option("--update-mode", type=click.Choice(["replace", "append", "merge"]))
@click.option("--table", "table_name", help="Table name (default: from the dataset name).")
@click.option(
    "--destination",
    help="Where the table lands: a saved destination (default: warehouse, the DuckDB file).",
)
@click.option(
    "--publish",
    type=click.Choice(["parquet", "none"]),
    help="Also write the table to published/<table>.parquet in the data home after every "
    "successful run (for tools that read files).",
)
@_schedule_options
@click.option("--disabled", is_flag=True, help="Create it paused (the scheduler skips it).")
@_no_check_options
@json_option
@errors_to_exit_codes
def create(
    name: str,
    account: str,
    report: str,
    options: tuple[str, ...],
    update_mode: str | None,
    table_name: str | None,
    destination: str | None,
    publish: str | None,
    schedule: str | None,
    timezone: str | None,
    retries: int | None,
    retry_interval: str | None,
    description: str | None,
    webhook_url: str | None,
    disabled: bool,
    no_check: bool,
    as_json: bool,
) -> None:
    """Create dataset NAME from a report of an account (option names such as statuses or
    projects are checked against the space)."""
    parsed = parse_options(options)
    with control_plane() as plane:
        info = plane.create_dataset(
            name,
            account=account,
            report=report,
            options=parsed,
            update_mode=update_mode,
            schedule=schedule or "manual",
            timezone=timezone,
            retries=retries if retries is not None else 0,
            retry_interval=retry_interval or "5m",
            description=description or "",
            table=table_name,
            webhook_url=webhook_url,
            enabled=not disabled,
            destination=destination,
            publish=publish,
            check_options=not no_check,
        )
    if as_json:
        print_json(info.to_dict())
        return
    click.echo(
        f"Created dataset {info.name!r}: report {info.report}, {info.update_mode}, table"
        f" {info.table} in {info.destination}, schedule {info.schedule}. Run it:"
        f" backlog-connector datasets run {_quoted(info.name)}"
    )


@datasets.command("update")
@click.argument("name")
@click.option("--account", help="Move the dataset to another saved account.")
@click.option(
    "--option",
    "options",
    multiple=True,
    metavar="K=V",
    help="Set a report option; the other options stay.",
)
@click.option(
    "--clear-option", "cleared", multiple=True, metavar="K", help="Remove a report option."
)
@click.option("--update-mode", type=click.Choice(["replace", "append", "merge"]))
@click.option(
    "--destination",
    help="Move the table to another destination (the next run is full; the old table stays).",
)
@click.option(
    "--publish",
    type=click.Choice(["parquet", "none"]),
    help="Write published/<table>.parquet after every successful run, or stop (none).",
)
@_schedule_options
@click.option("--enable/--disable", "enabled", default=None, help="Resume or pause it.")
@_no_check_options
@json_option
@errors_to_exit_codes
def update(
    name: str,
    options: tuple[str, ...],
    cleared: tuple[str, ...],
    no_check: bool,
    as_json: bool,
    **fields: Any,
) -> None:
    """Change a dataset's account, destination, options, mode, schedule, retries or
    description. --option K=V sets one report option and --clear-option K removes one; the
    options not named stay as they are."""
    from backlog_connector.datasets.option_merge import describe_options, merge_options

    changes = {k: v for k, v in fields.items() if v is not None}
    parsed = parse_options(options)
    if not changes and not parsed and not cleared:
        raise click.UsageError("nothing to change: give at least one option, e.g. --schedule")
    with control_plane() as plane:
        if parsed or cleared:
            current = plane.get_dataset(name).options
            changes["options"] = merge_options(current, parsed, cleared)
        info = plane.update_dataset(name, check_options=not no_check, **changes)
    if as_json:
        print_json(info.to_dict())
        return
    click.echo(f"Updated dataset {info.name!r}; options: {describe_options(info.options)}")


@datasets.command("list")
@json_option
@errors_to_exit_codes
def list_(as_json: bool) -> None:
    """Every dataset with its last run."""
    with control_plane() as plane:
        infos = plane.list_datasets()
    if as_json:
        print_json([i.to_dict() for i in infos])
        return
    table(
        [
            "name",
            "report",
            "account",
            "destination",
            "mode",
            "schedule",
            "rows",
            "last run",
            "when",
        ],
        [
            [
                i.name,
                i.report,
                i.account,
                i.destination,
                i.update_mode,
                i.schedule + ("" if i.enabled else " (paused)"),
                i.rows,
                i.last_run.status if i.last_run else "never",
                when(i.last_run.finished_at or i.last_run.created_at) if i.last_run else "-",
            ]
            for i in infos
        ],
    )


@datasets.command("show")
@click.argument("name")
@json_option
@errors_to_exit_codes
def show(name: str, as_json: bool) -> None:
    """One dataset: its settings, its last run and its columns (when the warehouse is free).
    A column whose name the destination had to shorten shows the report's field name too."""
    columns: list[tuple[str, str]] | None
    sources: dict[str, str] = {}
    busy = ""
    with control_plane() as plane:
        info = plane.get_dataset(name)
        try:
            columns = plane.schema(name)
            sources = plane.column_sources(name) if columns else {}
        except RetryLaterError as exc:  # another process (serve) holds the warehouse, or the
            columns, busy = None, str(exc)  # destination's server cannot be reached now
    if as_json:
        listed = None
        if columns is not None:
            listed = [
                {"name": c, "type": t, **({"source": sources[c]} if c in sources else {})}
                for c, t in columns
            ]
        print_json({**info.to_dict(), "columns": listed})
        return
    last = info.last_run
    table(
        ["field", "value"],
        [
            ["name", info.name],
            ["description", info.description or "-"],
            ["account", info.account],
            ["report", info.report],
            ["options", ", ".join(f"{k}={v}" for k, v in info.options.items()) or "-"],
            ["update mode", info.update_mode],
            [
                "schedule",
                f"{info.schedule} ({info.timezone})" + ("" if info.enabled else ", paused"),
            ],
            ["retries", f"{info.retries} every {info.retry_interval}"],
            ["destination", info.destination],
            ["published", f"published/{info.table}.parquet" if info.publish else "-"],
            ["table", info.table],
            ["rows", info.rows],
            ["webhook", info.webhook_shown or "-"],
            ["last run", f"#{last.id} {last.status} {when(last.finished_at)}" if last else "never"],
            ["created", when(info.created_at)],
            ["updated", when(info.updated_at)],
        ],
    )
    if columns is None:
        click.echo(f"columns unavailable: {busy}", err=True)
    elif columns and sources:
        table(
            ["column", "type", "field (shortened column)"],
            [(c, t, sources.get(c, "")) for c, t in columns],
            title=f"table {info.table}",
        )
    elif columns:
        table(["column", "type"], columns, title=f"table {info.table}")


@datasets.command("preview")
@click.argument("name")
@click.option("--limit", type=click.IntRange(0, 10_000), default=20, show_default=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@json_option
@errors_to_exit_codes
def preview(name: str, limit: int, fmt: str, as_json: bool) -> None:
    """The first rows of the dataset's table (--json is --format json)."""
    import csv
    import io

    with control_plane() as plane:
        data = plane.preview(name, limit)
    rows = data.to_pylist()
    if as_json or fmt == "json":
        print_json(rows)
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(data.column_names)
        writer.writerows([["" if v is None else v for v in row.values()] for row in rows])
        click.echo(buffer.getvalue(), nl=False)
    elif len(data.column_names) <= WIDE:
        table(data.column_names, [list(row.values()) for row in rows])
    else:  # too wide to read across: one record per block, like psql's expanded display
        for number, row in enumerate(rows, 1):
            table(["column", "value"], [[k, v] for k, v in row.items()], title=f"row {number}")


@datasets.command("delete")
@click.argument("name")
@click.option("--keep-table", is_flag=True, help="Keep the table in its destination.")
@errors_to_exit_codes
def delete(name: str, keep_table: bool) -> None:
    """Delete a dataset, its run history and (unless --keep-table) its table."""
    from backlog_connector.web.handoff import find_local_service

    with control_plane() as plane:
        service = find_local_service(plane.home)
        if service is not None:  # not under one of serve's runs
            from backlog_connector.commands.through_service import delete_through_service

            plane.get_dataset(name)
            delete_through_service(service, name, keep_table=keep_table)
        else:
            plane.delete_dataset(name, drop_table=not keep_table)
    click.echo(f"Deleted dataset {name!r}")


def _quoted(name: str) -> str:
    return f"'{name}'" if " " in name else name


datasets.add_command(export)
datasets.add_command(run)
datasets.add_command(history)
