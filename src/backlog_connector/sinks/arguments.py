"""Checks of what callers hand every sink (DuckDB and PostgreSQL alike), before it touches a
database: a run's name, mode and id, a preview's limit, an export's format and target."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from backlog_connector.backlog.errors import InvalidOptionError
from backlog_connector.reports.base import TableSpec, UpdateMode
from backlog_connector.sinks.export_formats import EXPORT_FORMATS, check_encoding
from backlog_connector.sinks.naming import check_table_name
from backlog_connector.sinks.run_rules import check_specs

__all__ = ["EXPORT_FORMATS", "export_target", "partial_beside", "preview_limit", "run_arguments"]


def run_arguments(
    base: str, tables: Sequence[TableSpec], mode: UpdateMode | str, run_id: str
) -> UpdateMode:
    """The run's mode, once ``base``, ``mode``, ``run_id`` and the table specs are checked."""
    check_table_name(base)
    try:
        checked = UpdateMode(mode)
    except ValueError:
        modes = ", ".join(m.value for m in UpdateMode)
        raise InvalidOptionError(f"update mode {mode!r} is not one of {modes}") from None
    if not isinstance(run_id, str) or not run_id:
        raise InvalidOptionError("run_id must be a non-empty string")
    check_specs(base, tables, checked)
    return checked


def preview_limit(limit: int) -> int:
    """``limit`` if it is a whole number of rows >= 0."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise InvalidOptionError(
            f"preview limit must be a whole number of rows >= 0, got {limit!r}"
        )
    return limit


def export_target(fmt: str, path: Path, encoding: str = "utf-8") -> Path:
    """The export's target once the format (and its encoding) is known and the path can take
    a file."""
    if fmt not in EXPORT_FORMATS:
        raise InvalidOptionError(
            f"export format {fmt!r} is not supported; use one of {', '.join(EXPORT_FORMATS)}"
        )
    check_encoding(fmt, encoding)
    target = Path(path)
    if not target.parent.is_dir():
        raise InvalidOptionError(
            f"cannot export to {target}: the directory {target.parent} does not exist; "
            "create it or choose another output path"
        )
    if target.is_dir():
        raise InvalidOptionError(f"cannot export to {target}: it is a directory; add a file name")
    return target


def partial_beside(target: Path) -> Path:
    """A fresh file beside ``target`` to write the export into, then rename over it (atomic):
    a name the caller cannot have planted (O_EXCL)."""
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(handle)
    return Path(name)
