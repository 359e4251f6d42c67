"""A dataset's main table as a file to download, for the API and the dataset page: the sink's
own export (DuckDB or PostgreSQL) into a private temporary folder, streamed back in chunks and
removed once sent."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from backlog_connector.datasets.service import ControlPlane

MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}


def export_response(cp: ControlPlane, name: str, fmt: str) -> FileResponse:
    """The dataset ``name``'s main table as a ``csv`` or ``parquet`` download named after its
    table; the control plane's errors (unknown dataset, no table yet) pass through."""
    folder = tempfile.TemporaryDirectory(prefix="bc-export-")
    try:
        target = Path(folder.name) / f"{cp.get_dataset(name).table}.{fmt}"
        path = cp.export(name, fmt, target)
    except BaseException:
        folder.cleanup()
        raise
    return FileResponse(path, media_type=MEDIA_TYPES[fmt], filename=path.name,
                        background=BackgroundTask(folder.cleanup))  # fmt: skip
