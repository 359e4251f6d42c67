"""The report catalog as plain data, without importing every report (and pyarrow) at each start.

``views.report_catalog()`` builds it from ``reports.catalog``; that takes most of a
``reports --json``. The result is kept like a compiled module: a JSON file in the package's
``__pycache__``, named by a digest of the package's sources (their paths, sizes and modification
times, and the version), so any change of the code builds it again. Where that folder is not
writable the catalog is simply built each time.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import backlog_connector
from backlog_connector.datasets.info import OptionInfo, ReportInfo

PACKAGE = Path(backlog_connector.__file__).parent


def report_catalog() -> list[ReportInfo]:
    """``views.report_catalog()``, read from the cache when the sources did not change."""
    path = PACKAGE / "__pycache__" / f"report-catalog-{_sources_digest()}.json"
    try:
        return [_report(item) for item in json.loads(path.read_text(encoding="utf-8"))]
    except (OSError, ValueError, KeyError, TypeError):
        pass  # not built yet (or unreadable): build it
    from backlog_connector.datasets.views import report_catalog as build

    infos = build()
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(exist_ok=True)
        partial.write_text(json.dumps([i.to_dict() for i in infos]), encoding="utf-8")
        os.replace(partial, path)  # readers see the whole file or none
    except OSError:
        partial.unlink(missing_ok=True)
    return infos


def _sources_digest() -> str:
    sources: list[str] = []
    for folder, dirs, files in os.walk(PACKAGE):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in files:
            if name.endswith(".py"):
                stat = os.stat(os.path.join(folder, name))
                sources.append(f"{folder}/{name}:{stat.st_size}:{stat.st_mtime_ns}")
    digest = hashlib.sha256(backlog_connector.__version__.encode())
    digest.update(";".join(sorted(sources)).encode())
    return digest.hexdigest()[:24]


def _report(item: dict[str, Any]) -> ReportInfo:
    return ReportInfo(
        name=item["name"],
        title=item["title"],
        description=item["description"],
        options=tuple(
            OptionInfo(
                name=o["name"],
                description=o["description"],
                kind=o["kind"],
                choices=tuple(o["choices"]),
                default=o["default"],
                required=o["required"],
            )
            for o in item["options"]
        ),
        tables=tuple(item["tables"]),
        key=tuple(item["key"]),
        update_modes=tuple(item["update_modes"]),
        default_update_mode=item["default_update_mode"],
        incremental=item["incremental"],
    )
