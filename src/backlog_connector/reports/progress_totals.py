"""Totals for a run's progress display: how many issues a walk over ``/issues`` will visit.

Backlog's issue search has no total; ``GET /issues/count`` with the same filters gives one
(one request of the search budget). The total only feeds the display, so a count that cannot
be had gives None (the run shows rows without a percentage) instead of failing the run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from backlog_connector.backlog.errors import BacklogConnectorError, CancelledError
from backlog_connector.backlog.shapes import get_object
from backlog_connector.reports.base import RunContext

log = logging.getLogger("backlog_connector.reports")

#: search parameters that page or order the walk; the count takes only the filters
_NOT_FILTERS = frozenset({"sort", "order", "offset", "count"})


def issue_total(ctx: RunContext, params: Iterable[tuple[str, Any]]) -> int | None:
    """The number of issues the search with ``params`` finds (paging and order ignored), or
    None when ``issues/count`` fails or answers something that is not a count."""
    filters = [(k, v) for k, v in params if k not in _NOT_FILTERS]
    try:
        count = get_object(ctx.client, "/issues/count", filters, keys=("count",))["count"]
    except CancelledError:
        raise
    except BacklogConnectorError as exc:  # the walk itself will meet the real problem
        log.info("no total for the progress display: %s", exc)
        return None
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        return None
    return count


def walk_total(ctx: RunContext, params: Iterable[tuple[str, Any]], *, full: bool = True) -> None:
    """Tell the run's progress how many issues the walk with ``params`` visits. Only for a
    full walk (``full``): an incremental one is short, and its count would cost a search
    request on every scheduled run (the free plan has 15 a minute); it shows issues done."""
    if full:
        ctx.progress_total(issue_total(ctx, params), unit="issues")
