"""Query parameters and the paging strategies (no HTTP here)."""

from __future__ import annotations

import datetime as dt

import pytest

from backlog_connector.backlog.errors import BadResponseError, InvalidOptionError
from backlog_connector.backlog.paging import IdCursorPaginator, OffsetPaginator, SinglePage
from backlog_connector.backlog.params import encode_params, without


def test_params_expand_lists_and_format_values() -> None:
    pairs = encode_params(
        {
            "projectId": [1, 2],
            "statusId[]": (3,),
            "archived": False,
            "keyword": None,
            "createdSince": dt.date(2025, 1, 2),
            "count": 100,
        }
    )
    assert pairs == [
        ("projectId[]", "1"),
        ("projectId[]", "2"),
        ("statusId[]", "3"),
        ("archived", "false"),
        ("createdSince", "2025-01-02"),
        ("count", "100"),
    ]
    assert encode_params([("projectId[]", 1), ("projectId[]", 2)]) == [
        ("projectId[]", "1"),
        ("projectId[]", "2"),
    ]
    assert without(pairs, {"count"})[-1] == ("createdSince", "2025-01-02")


@pytest.mark.parametrize("bad", [{"x": object()}, {"x": dt.datetime(2025, 1, 1)}, ["x"]])
def test_bad_params_are_refused(bad: object) -> None:
    with pytest.raises(InvalidOptionError):
        encode_params(bad)  # type: ignore[arg-type]


def test_offset_paginator_walks_until_a_short_page() -> None:
    pager = OffsetPaginator(page_size=2)
    assert pager.page_params() == [("offset", "0"), ("count", "2")]
    pager.take([{"id": 1}, {"id": 2}])
    assert pager.has_next
    assert pager.page_params()[0] == ("offset", "2")
    pager.take([{"id": 3}])
    assert not pager.has_next


@pytest.mark.parametrize("size", [0, 101, -1])
def test_page_size_outside_backlog_range_is_refused(size: int) -> None:
    with pytest.raises(InvalidOptionError, match="1 to 100"):
        OffsetPaginator(page_size=size)


def test_id_cursor_desc_moves_down_and_drops_repeats() -> None:
    pager = IdCursorPaginator("desc", min_id=2, page_size=3)
    assert pager.page_params() == [("order", "desc"), ("count", "3"), ("minId", "2")]
    assert [r["id"] for r in pager.take([{"id": 9}, {"id": 8}, {"id": 7}])] == [9, 8, 7]
    assert ("maxId", "7") in pager.page_params()
    # a server treating maxId as inclusive repeats 7: it is dropped
    assert [r["id"] for r in pager.take([{"id": 7}, {"id": 6}, {"id": 5}])] == [6, 5]
    assert pager.has_next
    assert [r["id"] for r in pager.take([{"id": 4}, {"id": 3}, {"id": 2}])] == [4, 3]
    assert pager.has_next
    assert pager.take([{"id": 2}]) == []
    assert not pager.has_next


def test_id_cursor_asc_and_a_page_of_only_repeats_stops() -> None:
    pager = IdCursorPaginator("asc", page_size=2)
    pager.take([{"id": 1}, {"id": 2}])
    assert ("minId", "2") in pager.page_params()
    assert pager.take([{"id": 2}, {"id": 2}]) == []
    assert not pager.has_next


def test_id_cursor_refuses_rows_without_ids_and_bad_options() -> None:
    with pytest.raises(BadResponseError):
        IdCursorPaginator().take([{"name": "x"}])
    with pytest.raises(InvalidOptionError):
        IdCursorPaginator(order="sideways")
    with pytest.raises(InvalidOptionError):
        IdCursorPaginator(min_id=5, max_id=5)


def test_single_page() -> None:
    pager = SinglePage()
    assert pager.page_params() == []
    assert pager.has_next
    assert pager.take([{"id": 1}]) == [{"id": 1}]
    assert not pager.has_next
