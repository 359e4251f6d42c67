"""The ``backlog-connector`` command. Sub-commands load on first use so start-up stays quick."""

from __future__ import annotations

import importlib

import click

#: command name -> "module:attribute" of a click command
COMMANDS: dict[str, str] = {
    "emulator": "backlog_connector.emulator.command:emulator",
    "accounts": "backlog_connector.commands.accounts:accounts",
    "reports": "backlog_connector.commands.reports:reports",
    "datasets": "backlog_connector.commands.datasets:datasets",
    "destinations": "backlog_connector.commands.destinations:destinations",
    "demo": "backlog_connector.commands.demo:demo",
    "serve": "backlog_connector.web.command:serve",
    "worker": "backlog_connector.workers.command:worker",
    "query": "backlog_connector.commands.query:query",
    "doctor": "backlog_connector.commands.doctor:doctor",
}


class LazyGroup(click.Group):
    """A group whose sub-commands are imported only when they are invoked or listed."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        command: click.Command = getattr(importlib.import_module(module_name), attr)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="backlog-connector")
def main() -> None:
    """Backlog Connector: Backlog issue data into analytics datasets."""
