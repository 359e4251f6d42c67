"""``backlog-connector datasets run`` and ``datasets history``: running datasets now (here,
through ``serve`` or on workers) and the record of their runs."""

from __future__ import annotations

import click

from backlog_connector.commands.common import (
    EXIT_FAILED,
    control_plane,
    errors_to_exit_codes,
    json_option,
    print_json,
    stderr,
    table,
    when,
)


@click.command("run")
@click.argument("names", nargs=-1, required=True)
@click.option("--full", is_flag=True, help="Ignore the saved cursor: read everything again.")
@json_option
@errors_to_exit_codes
def run(names: tuple[str, ...], full: bool, as_json: bool) -> None:
    """Run datasets now; several names run together, sharing each user's rate budget.
    Exit code 1 if any run did not succeed."""
    from backlog_connector.commands.progress import run_with_progress
    from backlog_connector.web.handoff import find_local_service

    with control_plane() as plane:
        service = None if plane.distributed else find_local_service(plane.home)
        if plane.distributed:  # the control plane in PostgreSQL: the workers run it
            from backlog_connector.commands.queued_runs import run_on_workers

            runs = run_on_workers(plane, names, stderr(), full=full)
        elif service is not None:  # serve runs this home's syncs: it runs these too
            from backlog_connector.commands.through_service import run_through_service

            runs = run_through_service(service, plane, names, stderr(), full=full)
        else:
            runs = run_with_progress(plane, names, stderr(), full=full)
    if as_json:
        print_json([r.to_dict() for r in runs])
    else:
        table(
            [
                "dataset",
                "run",
                "status",
                "rows read",
                "main rows",
                "child rows",
                "deleted",
                "requests",
                "429s",
                "waited s",
                "seconds",
            ],
            [
                [
                    r.dataset,
                    r.id,
                    r.status,
                    r.rows_read,
                    r.rows_main,
                    r.rows_child,
                    r.rows_deleted,
                    r.requests_total,
                    r.rate_limited,
                    f"{r.wait_seconds:.1f}",
                    f"{r.duration_seconds or 0:.1f}",
                ]
                for r in runs
            ],
        )
        from backlog_connector.datasets.friendly_errors import friendly_message

        for r in runs:
            if r.error:  # the short version; the run's record keeps the full text
                click.echo(f"{r.dataset}: {r.status}: {friendly_message(r.error)}", err=True)
            elif r.complete is False:
                click.echo(f"{r.dataset}: incomplete: {r.incomplete_reason}", err=True)
            if r.warnings:
                click.echo(
                    f"{r.dataset}: {r.warnings} value(s) did not parse and were stored as NULL; "
                    "the raw values are in the dataset's __rejects table",
                    err=True,
                )
    if any(r.status != "succeeded" for r in runs):
        raise SystemExit(EXIT_FAILED)


@click.command("history")
@click.argument("name")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@json_option
@errors_to_exit_codes
def history(name: str, limit: int, as_json: bool) -> None:
    """The dataset's runs, newest first, with their errors. Rows written are shown for the
    main table and for its child tables apart (``--json``: rows_main, rows_child, and
    rows_written, their sum)."""
    with control_plane() as plane:
        runs = plane.history(name, limit)
    if as_json:
        print_json([r.to_dict() for r in runs])
        return
    table(
        [
            "run",
            "trigger",
            "attempt",
            "status",
            "started",
            "seconds",
            "main rows",
            "child rows",
            "requests",
            "429s",
            "error",
        ],
        [
            [
                r.id,
                r.trigger,
                r.attempt,
                r.status + ("" if r.complete is not False else " (incomplete)"),
                when(r.started_at),
                f"{r.duration_seconds:.1f}" if r.duration_seconds is not None else "-",
                r.rows_main,  # None (shown "-"): recorded before rows were split
                r.rows_child,
                r.requests_total,
                r.rate_limited,
                r.error or r.incomplete_reason or "",
            ]
            for r in runs
        ],
    )
