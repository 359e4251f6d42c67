"""``space`` (one row) and ``rate_limit`` (one row per request category)."""

from __future__ import annotations

import time
from collections.abc import Iterator

from backlog_connector.backlog.shapes import expect_object, get_object
from backlog_connector.reports.base import RunContext, TableBatch, UpdateMode
from backlog_connector.reports.batching import batches_of
from backlog_connector.reports.columns import TableShape, field
from backlog_connector.reports.common import CatalogReport, counted
from backlog_connector.reports.values import INT, STRING, TIMESTAMP

SNAPSHOT_MODES = (UpdateMode.REPLACE, UpdateMode.APPEND)

SPACE_TABLE = TableShape(
    "",
    (
        field("spaceKey", STRING),
        field("name", STRING),
        field("ownerId", INT),
        field("lang", STRING),
        field("timezone", STRING),
        field("reportSendTime", STRING),
        field("textFormattingRule", STRING),
        field("created", TIMESTAMP),
        field("updated", TIMESTAMP),
    ),
    extra=True,
    key=("space_key",),
    description="the space: key, name, owner, language, time zone",
)

RATE_LIMIT_CATEGORIES = ("read", "update", "search", "icon")

RATE_LIMIT_TABLE = TableShape(
    "",
    (
        field("category", STRING),
        field("limit", INT),
        field("remaining", INT),
        field("reset", TIMESTAMP),
        field("fetchedAt", TIMESTAMP),
    ),
    key=("category",),
    description="the caller's rate limit per request category: limit, remaining, reset time",
)


class SpaceReport(CatalogReport):
    name = "space"
    title = "Space"
    description = "The Backlog space itself (one row)."
    tables = (SPACE_TABLE.spec(),)
    update_modes = SNAPSHOT_MODES

    def read(self, ctx: RunContext) -> Iterator[TableBatch]:
        space = get_object(ctx.client, "/space", keys=("spaceKey",))
        pages = [[space]]
        yield from batches_of(SPACE_TABLE, counted(ctx, pages), space=ctx.space)


class RateLimitReport(CatalogReport):
    name = "rate_limit"
    title = "Rate limit"
    description = "The API rate limit of the account's user, one row per category."
    tables = (RATE_LIMIT_TABLE.spec(),)
    update_modes = SNAPSHOT_MODES

    def read(self, ctx: RunContext) -> Iterator[TableBatch]:
        limits = get_object(ctx.client, "/rateLimit", keys=("rateLimit",))["rateLimit"]
        limits = expect_object(limits, path="/rateLimit (rateLimit)")
        fetched_at = int(time.time())
        known = [c for c in RATE_LIMIT_CATEGORIES if c in limits]
        others = sorted(c for c in limits if c not in RATE_LIMIT_CATEGORIES)
        rows = [
            {**limits[c], "category": c, "fetchedAt": fetched_at}
            for c in (*known, *others)
            if isinstance(limits[c], dict)
        ]
        yield from batches_of(RATE_LIMIT_TABLE, counted(ctx, [rows]), space=ctx.space)
