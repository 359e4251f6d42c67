"""``backlog-connector doctor``: check the data home, the key file, the control plane, the
warehouse, the log file, each account and each destination; one line per check."""

from __future__ import annotations

import click

from backlog_connector.commands.common import EXIT_FAILED, json_option, print_json


@click.command()
@json_option
def doctor(as_json: bool) -> None:
    """Check this installation: the data home (exists, 0700), the key file (0600), the control
    plane (reachable, migrated), the warehouse (opens, readable), the log file, each account
    (its credentials verify) and each destination (it connects). Exit code 1 if any fails."""
    from backlog_connector.commands.failures import start_log, stop_log
    from backlog_connector.datasets.doctor import run_checks
    from backlog_connector.settings import load_settings

    start_log()
    try:
        checks = run_checks(load_settings())
    finally:
        stop_log()
    if as_json:
        print_json([c.to_dict() for c in checks])
    else:
        for check in checks:
            click.echo(f"{'ok  ' if check.ok else 'FAIL'}  {check.name}: {check.detail}")
    if not all(c.ok for c in checks):
        raise SystemExit(EXIT_FAILED)
