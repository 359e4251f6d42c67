"""What every sub-command shares: opening the control plane, exit codes, tables and JSON.

Exit codes: 0 ok, 1 a run (or the service) failed, 2 bad input (a ``ConfigurationError`` or
a usage error). Errors go to stderr as one line naming the problem and the fix.

Kept light for start-up: rich loads only when a table or console is printed, the control plane
only when a command opens it (and its listings read without SQLAlchemy: ``datasets.quick``).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn, ParamSpec, TypeVar

import click
import orjson

from backlog_connector.backlog.errors import BacklogConnectorError, ConfigurationError

if TYPE_CHECKING:
    from rich.console import Console

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2

P = ParamSpec("P")
R = TypeVar("R")

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


def stdout() -> Console:
    """A console on stdout (wide enough that tables are not squeezed when piped)."""
    from rich.console import Console

    return Console(soft_wrap=False, width=None if sys.stdout.isatty() else 160)


def stderr() -> Console:
    """A console on stderr, for progress and messages that must not pollute ``--json``."""
    from rich.console import Console

    return Console(stderr=True)


def fail(message: str, code: int) -> NoReturn:
    """Print ``Error: message`` on stderr and exit with ``code``."""
    click.echo(f"Error: {message}", err=True)
    raise SystemExit(code)


def errors_to_exit_codes(func: Callable[P, R]) -> Callable[P, R]:
    """Turn connector errors into one line on stderr and exit code 2 (configuration) or 1."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from backlog_connector.commands.failures import report, start_log, stop_log

        start_log()
        try:
            return func(*args, **kwargs)
        except ConfigurationError as exc:
            fail(report(exc), EXIT_BAD_INPUT)
        except BacklogConnectorError as exc:
            fail(report(exc), EXIT_FAILED)
        finally:
            stop_log()

    return wrapper


@contextmanager
def control_plane() -> Iterator[Any]:
    """The control plane of the data home, closed afterwards (the warehouse is released):
    a ``QuickPlane``, which reads the listings directly and opens the full ``ControlPlane`` for
    anything else."""
    from backlog_connector.datasets.quick import QuickPlane

    plane = QuickPlane()
    try:
        yield plane
    finally:
        plane.close()


def print_json(data: Any) -> None:
    """Write ``data`` as indented JSON on stdout."""
    click.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2, default=str).decode())


def when(value: datetime | None) -> str:
    """A timestamp for tables: local time to the second, '-' if none."""
    if value is None:
        return "-"
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def table(columns: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None = None) -> None:
    """Print a rich table on stdout."""
    from rich.table import Table

    out = Table(title=title, show_lines=False, header_style="bold")
    for column in columns:
        out.add_column(column, overflow="fold")
    for row in rows:
        out.add_row(*("-" if cell is None else str(cell) for cell in row))
    stdout().print(out)


def parse_options(pairs: Sequence[str]) -> dict[str, str]:
    """``--option K=V`` pairs as a dict; a pair without '=' is a usage error."""
    options: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(
                f"{pair!r} is not KEY=VALUE; write e.g. --option projects=DEMO",
                param_hint="--option",
            )
        options[key.strip()] = value.strip()
    return options
