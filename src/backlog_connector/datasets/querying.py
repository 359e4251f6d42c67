"""``query``: read-only SQL over a destination of the control plane (``sinks.query`` does the
reading; this finds the destination)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from backlog_connector.backlog.errors import InvalidOptionError
from backlog_connector.datasets.views import WAREHOUSE

if TYPE_CHECKING:
    from backlog_connector.datasets.destinations import DestinationsMixin
    from backlog_connector.sinks.query import QueryResult

#: the most rows one query returns
MAX_LIMIT = 1_000_000


def run_query(
    plane: DestinationsMixin, sql: str, *, destination: str = WAREHOUSE, limit: int = 1000
) -> QueryResult:
    """Run one read-only statement on ``destination`` (``warehouse``: the DuckDB file);
    at most ``limit`` rows. A statement that would write raises ``ReadOnlyQueryError``."""
    from backlog_connector.sinks.query import query_duckdb, query_postgres

    if not sql or not sql.strip():
        raise InvalidOptionError('no SQL given: write e.g. query "SELECT * FROM my_table"')
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidOptionError(f"--limit must be 1 to {MAX_LIMIT} rows, got {limit!r}")
    with plane._sessions() as s:
        row = plane._destination_row(s, destination)
        if row is None:
            return query_duckdb(plane.warehouse_path, sql, limit)
        url, schema = plane._destination_url(row), row.schema_name
    return query_postgres(url, schema, sql, limit)
