"""Code compiled from C, for the hot paths that Python objects slow down.

``_pages`` parses issue pages from their JSON bytes and builds a batch's column buffers from
them without a Python object per value (see :mod:`backlog_connector.reports.native_batches`).
It is built by ``pip install`` with the package; where it could not be built, :data:`pages` is
None and every batch is built the Python way, with the same result.
"""

from __future__ import annotations

from types import ModuleType

pages: ModuleType | None
try:
    from backlog_connector.native import _pages as pages
except ImportError:  # not built here: the Python path does the same work
    pages = None
