"""Helpers of the CLI tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from click.testing import Result

Cli = Callable[..., Result]


def as_json(result: Result) -> Any:
    """The JSON a successful command printed."""
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def state(cli: Cli) -> tuple[Any, Any]:
    """Accounts and datasets as JSON: compared before and after a refused command."""
    return as_json(cli("accounts", "list", "--json")), as_json(cli("datasets", "list", "--json"))
