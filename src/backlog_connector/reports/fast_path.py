"""The switch between the fast batch building of this release and the row-by-row one before it.

Both give the same tables (a test compares them on the same data); the older one is kept as
the fallback of any batch the fast one cannot convert, and selectable as a whole by setting
``BACKLOG_CONNECTOR_FAST_BATCHES=0`` so that benchmarks can measure both in one run.
"""

from __future__ import annotations

import os

VARIABLE = "BACKLOG_CONNECTOR_FAST_BATCHES"


def enabled() -> bool:
    """Whether batches are built the fast way (struct conversion, fewer GC collections)."""
    return os.environ.get(VARIABLE, "1") != "0"
