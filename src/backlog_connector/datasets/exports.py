"""Exports of a dataset's tables: the main one, one child (``--table-suffix``), or all of them
into a folder (``--all-tables``), each path checked by ``export_paths`` before anything is
written."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from backlog_connector.backlog.errors import InvalidOptionError
from backlog_connector.datasets.export_paths import check_export_target
from backlog_connector.datasets.models import Dataset
from backlog_connector.sinks.errors import UnknownTableError

if TYPE_CHECKING:
    from backlog_connector.datasets.definitions import DatasetsMixin
    from backlog_connector.sinks.base import Sink

#: file name ending of each export format
EXTENSIONS = {"csv": "csv", "parquet": "parquet", "json": "json", "xlsx": "xlsx"}
_SUFFIX = re.compile(r"[a-z0-9_]+")


def _no_table(name: str) -> UnknownTableError:
    return UnknownTableError(
        f"dataset {name!r} has no table yet; run it first: datasets run {name!r}"
    )


def _protected(plane: DatasetsMixin) -> list[Path]:
    protected = [plane.warehouse_path, plane.settings.key_file]
    url = sa.engine.make_url(plane.settings.control_db_url())
    if url.get_backend_name() == "sqlite" and url.database:
        protected.append(Path(url.database))
    return protected


def dataset_tables(plane: DatasetsMixin, name: str) -> tuple[str, list[str], Sink]:
    """The dataset's main table, every table it has in its destination (main first, then its
    children by name) and the destination's sink. Empty list: it never ran."""
    base, sink = plane._dataset_sink(name)
    with plane._sessions() as s:
        others = [t for t in s.scalars(sa.select(Dataset.table_name)) if t != base]
    try:
        existing = sink.list_tables()
    except UnknownTableError:
        existing = []

    def belongs(table: str) -> bool:
        if table != base and not table.startswith(base + "__"):
            return False
        # a longer dataset table that starts with this one's name owns its own children
        return not any(table == o or table.startswith(o + "__") for o in others)

    children = sorted(t for t in existing if t != base and belongs(t))
    return base, ([base, *children] if base in existing else children), sink


def export_table(
    plane: DatasetsMixin,
    name: str,
    fmt: str,
    path: Path,
    *,
    overwrite: bool = False,
    table_suffix: str | None = None,
    encoding: str = "utf-8",
) -> Path:
    """Write the main table (or the child ``table_suffix``) to ``path``; the absolute path."""
    base, tables, sink = dataset_tables(plane, name)
    table = base
    if table_suffix:
        if not _SUFFIX.fullmatch(table_suffix):
            raise InvalidOptionError(
                f"table suffix {table_suffix!r} takes lower-case a-z, 0-9 and '_' (e.g."
                " custom_fields)"
            )
        table = f"{base}__{table_suffix}"
        if table not in tables:
            if not tables:
                raise _no_table(name)
            suffixes = [t[len(base) + 2 :] for t in tables if t != base]
            raise InvalidOptionError(
                f"dataset {name!r} has no child table {table_suffix!r}; its child tables:"
                f" {', '.join(suffixes) or 'none'}"
            )
    target = check_export_target(
        Path(path), home=plane.home, protected=_protected(plane), overwrite=overwrite
    )
    try:
        sink.export(table, fmt, target, encoding=encoding)
    except UnknownTableError:
        raise _no_table(name) from None
    return target


def export_all_tables(
    plane: DatasetsMixin,
    name: str,
    fmt: str,
    folder: Path,
    *,
    overwrite: bool = False,
    encoding: str = "utf-8",
) -> list[Path]:
    """Write every table of the dataset into ``folder`` (made if missing; its parent must
    exist), one ``<table>.<format>`` file each; every target is checked before the first is
    written. The paths written, main table first."""
    from backlog_connector.sinks.export_formats import check_encoding

    if fmt not in EXTENSIONS:
        raise InvalidOptionError(
            f"export format {fmt!r} is not supported; use one of {', '.join(EXTENSIONS)}"
        )
    check_encoding(fmt, encoding)
    _base, tables, sink = dataset_tables(plane, name)
    if not tables:
        raise _no_table(name)
    given = Path(os.path.abspath(os.path.expanduser(str(folder))))
    protected = _protected(plane)
    if given.exists() and not given.is_dir():
        raise InvalidOptionError(
            f"cannot export all tables to {given}: it is not a folder; give a folder path"
        )
    names = [given / f"{t}.{EXTENSIONS[fmt]}" for t in tables]
    if given.is_dir():
        targets = [
            check_export_target(t, home=plane.home, protected=protected, overwrite=overwrite)
            for t in names
        ]
    else:  # outside the data home, its parent exists: make it
        check_export_target(given, home=plane.home, protected=protected)
        given.mkdir()
        targets = names
    for table, target in zip(tables, targets, strict=True):
        sink.export(table, fmt, target, encoding=encoding)
    return targets
