"""Space-wide lookup lists: ``priorities`` and ``resolutions``."""

from __future__ import annotations

from collections.abc import Iterator

from backlog_connector.backlog.shapes import get_list
from backlog_connector.reports.base import RunContext, TableBatch
from backlog_connector.reports.batching import batches_of
from backlog_connector.reports.columns import TableShape, field
from backlog_connector.reports.common import CatalogReport, counted
from backlog_connector.reports.values import INT, STRING

LOOKUP_TABLE = TableShape(
    "", (field("id", INT), field("name", STRING)), key=("id",), description="id and name"
)


class LookupReport(CatalogReport):
    """A space-wide list of ``{id, name}`` read from one endpoint."""

    path: str

    def read(self, ctx: RunContext) -> Iterator[TableBatch]:
        rows = get_list(ctx.client, self.path)
        yield from batches_of(LOOKUP_TABLE, counted(ctx, [rows]), space=ctx.space)


class PrioritiesReport(LookupReport):
    name = "priorities"
    title = "Priorities"
    description = "The issue priorities of the space."
    tables = (LOOKUP_TABLE.spec(),)
    path = "/priorities"


class ResolutionsReport(LookupReport):
    name = "resolutions"
    title = "Resolutions"
    description = "The issue resolutions of the space."
    tables = (LOOKUP_TABLE.spec(),)
    path = "/resolutions"
