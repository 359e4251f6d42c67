"""Which allocator Arrow's buffers come from while runs read.

pyarrow's default pool on Linux (mimalloc) keeps what a batch freed for reuse, and a run frees
a few megabytes per batch: over a 100,000-issue run the process kept about 40 MB more at its
peak than with the C library's allocator, which hands large blocks back to the system as they
are freed. A run therefore builds its batches in the system pool, unless
``ARROW_DEFAULT_MEMORY_POOL`` names a pool (the user's choice is kept).
"""

from __future__ import annotations

import os

import pyarrow as pa

_ENV = "ARROW_DEFAULT_MEMORY_POOL"


def use_system_pool() -> None:
    """Make the system allocator Arrow's default pool for this process (idempotent; nothing
    when ``ARROW_DEFAULT_MEMORY_POOL`` is set)."""
    if os.environ.get(_ENV):
        return
    pool = pa.system_memory_pool()
    if pa.default_memory_pool().backend_name != pool.backend_name:
        pa.set_memory_pool(pool)
