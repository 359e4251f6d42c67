"""The read-ahead helper: order, errors, early stop."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from backlog_connector.reports.prefetch import prefetch


def test_items_arrive_in_order() -> None:
    assert list(prefetch(range(50), depth=3)) == list(range(50))
    assert list(prefetch([])) == []


def test_an_error_of_the_source_reaches_the_caller_after_the_items_before_it() -> None:
    def source() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("page 3 failed")

    items = prefetch(source())
    assert [next(items), next(items)] == [1, 2]
    with pytest.raises(ValueError, match="page 3 failed"):
        next(items)


def test_closing_early_stops_the_reader_thread() -> None:
    produced: list[int] = []

    def endless() -> Iterator[int]:
        n = 0
        while True:
            produced.append(n)
            yield n
            n += 1

    before = threading.active_count()
    items = prefetch(endless(), depth=2)
    assert next(items) == 0
    items.close()
    time.sleep(0.3)
    assert threading.active_count() == before
    assert len(produced) <= 5  # bounded read-ahead, never the whole source
