"""The read-ahead helper: order, errors, early stop."""

from __future__ import annotations

import threading
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

    before = set(threading.enumerate())
    items = prefetch(endless(), depth=2)
    assert next(items) == 0
    # the reader thread itself, not a count of all threads (other tests' threads come and go)
    readers = [t for t in threading.enumerate() if t not in before and t.name == "backlog-prefetch"]
    assert len(readers) == 1
    items.close()
    readers[0].join(timeout=10)  # close() joins it already; the deadline only bounds a failure
    assert not readers[0].is_alive()
    assert len(produced) <= 5  # bounded read-ahead, never the whole source
