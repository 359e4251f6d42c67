"""datasets/ imports only the layers above it (DESIGN.md: reports, sinks, backlog), never
the scheduler or the surfaces; the CLI gets what it needs from datasets/."""

from __future__ import annotations

import ast
from pathlib import Path

import backlog_connector

PACKAGE = Path(backlog_connector.__file__).parent
BELOW_DATASETS = ("scheduler", "workers", "web", "cli", "commands")
#: everything below the client (DESIGN.md): backlog/ imports none of them
BELOW_BACKLOG = ("reports", "sinks", "datasets", *BELOW_DATASETS)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_datasets_never_imports_a_layer_below_it() -> None:
    bad = {
        (path.name, name)
        for path in (PACKAGE / "datasets").rglob("*.py")
        for name in _imports(path)
        if any(name.startswith(f"backlog_connector.{layer}") for layer in BELOW_DATASETS)
    }
    assert bad == set()


def test_the_client_never_imports_a_layer_below_it() -> None:
    # the rate ledger's interface lives in backlog/; its PostgreSQL implementation in datasets/
    bad = {
        (path.name, name)
        for path in (PACKAGE / "backlog").rglob("*.py")
        for name in _imports(path)
        if any(name.startswith(f"backlog_connector.{layer}") for layer in BELOW_BACKLOG)
    }
    assert bad == set()


def test_commands_take_the_progress_event_from_datasets() -> None:
    bad = {
        (path.name, name)
        for path in (PACKAGE / "commands").glob("*.py")
        for name in _imports(path)
        if name.startswith("backlog_connector.reports")
    }
    assert bad == set()


def test_the_native_code_is_a_leaf() -> None:
    # reports/ drives it; it knows nothing of the layers that use it
    bad = {
        (path.name, name)
        for path in (PACKAGE / "native").rglob("*.py")
        for name in _imports(path)
        if name.startswith("backlog_connector.") and not name.startswith("backlog_connector.native")
    }
    assert bad == set()
    assert (PACKAGE / "native" / "_pages.c").exists()
