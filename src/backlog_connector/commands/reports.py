"""``backlog-connector reports``: the report catalog."""

from __future__ import annotations

import click

from backlog_connector.commands.common import (
    errors_to_exit_codes,
    json_option,
    print_json,
    table,
)


@click.command()
@json_option
@errors_to_exit_codes
def reports(as_json: bool) -> None:
    """The reports a dataset can use: what each returns, its options, key and update modes."""
    from backlog_connector.datasets.catalog_cache import report_catalog

    infos = report_catalog()  # static: no data home, database or key file is needed
    if as_json:
        print_json([i.to_dict() for i in infos])
        return
    table(
        ["report", "returns", "options", "key", "update modes"],
        [
            [
                i.name,
                i.description or i.title,
                "\n".join(_option_text(o.name, o.kind, o.choices) for o in i.options) or "-",
                ", ".join(i.key),
                ", ".join(
                    m + (" (default)" if m == i.default_update_mode else "") for m in i.update_modes
                ),
            ]
            for i in infos
        ],
    )


def _option_text(name: str, kind: str, choices: tuple[str, ...]) -> str:
    return f"{name}={'|'.join(choices)}" if choices else f"{name} ({kind})"
