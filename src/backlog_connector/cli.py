"""The ``backlog-connector`` command. Sub-commands load on first use so start-up stays quick:
``--help`` lists them from the table below without importing any of them."""

from __future__ import annotations

import importlib

import click

#: command name -> ("module:attribute" of a click command, the first sentence of its help,
#: which ``--help`` lists; tests/cli/test_startup_imports.py keeps the two in step)
COMMANDS: dict[str, tuple[str, str]] = {
    "emulator": (
        "backlog_connector.emulator.command:emulator",
        "Serve a local Backlog space (API v2) for trying the connector without an account.",
    ),
    "accounts": (
        "backlog_connector.commands.accounts:accounts",
        "Saved Backlog accounts (a space address and an API key, encrypted at rest).",
    ),
    "reports": (
        "backlog_connector.commands.reports:reports",
        "The reports a dataset can use: what each returns, its options, key and update modes.",
    ),
    "datasets": (
        "backlog_connector.commands.datasets:datasets",
        "Named datasets: a report's rows, through an account, into a table.",
    ),
    "destinations": (
        "backlog_connector.commands.destinations:destinations",
        "Where datasets land: the embedded DuckDB file 'warehouse' (the default) or saved"
        " PostgreSQL databases (their password encrypted at rest, never shown).",
    ),
    "demo": (
        "backlog_connector.commands.demo:demo",
        "Start the emulator, save an account, create one dataset per seed report, run them all,"
        " and show where the data is.",
    ),
    "serve": (
        "backlog_connector.web.command:serve",
        "Serve the web UI and the REST API (/api, OpenAPI at /docs) and run the schedules.",
    ),
    "worker": (
        "backlog_connector.workers.command:worker",
        "Execute queued runs: any number of workers, on any machine that reaches the control"
        " plane's PostgreSQL.",
    ),
    "query": (
        "backlog_connector.commands.query:query",
        "Run one read-only SQL statement (SELECT, WITH, EXPLAIN, DESCRIBE, SHOW) on a"
        " destination and print the rows (--json is --format json).",
    ),
    "doctor": (
        "backlog_connector.commands.doctor:doctor",
        "Check this installation: the data home (exists, 0700), the key file (0600), the control"
        " plane (reachable, migrated), the warehouse (opens, readable), the log file, each account"
        " (its credentials verify) and each destination (it connects).",
    ),
}


class LazyGroup(click.Group):
    """A group whose sub-commands are imported only when they are invoked."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target[0].split(":")
        command: click.Command = getattr(importlib.import_module(module_name), attr)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands and their summaries, as click lists them, from ``COMMANDS``."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = [(name, _summary(COMMANDS[name][1], limit)) for name in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _summary(text: str, limit: int) -> str:
    """``text`` shortened the way click shortens a command's help in a group's listing."""
    return click.Command(None, help=text).get_short_help_str(limit)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="backlog-connector")
def main() -> None:
    """Backlog Connector: Backlog issue data into analytics datasets."""
