"""What a dataset's tables hold from earlier runs, offered to a report as ``RunContext.previous``.

Derived reports (cycle times, flow) keep the status history they computed in a child table;
an incremental run reads it back through this reader instead of asking Backlog again.
"""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa

from backlog_connector.sinks.base import Warehouse, table_name


def previous_rows(warehouse: Warehouse, base: str) -> Callable[[str], pa.Table | None]:
    """A reader of ``base``'s tables: ``read(suffix)`` is every row of ``base`` (suffix "") or
    ``base__suffix`` as committed by earlier runs, or None when that table does not exist."""

    def read(suffix: str) -> pa.Table | None:
        name = table_name(base, suffix)
        if name not in warehouse.list_tables():
            return None
        return warehouse.preview(name, limit=max(1, warehouse.row_count(name)))

    return read
