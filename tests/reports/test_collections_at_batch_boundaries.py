"""Inside a run's read loop the garbage collector runs only at batch boundaries: automatic
collection is off, a full collection comes once every ``every`` rows, and the state before is
restored after (with the fast path off, collection stays automatic)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest

from backlog_connector.reports.gc_pause import fewer_collections


@pytest.fixture
def full_collections() -> Iterator[list[int]]:
    """Full collections counted while the test runs."""
    seen: list[int] = []

    def count(phase: str, info: dict[str, Any]) -> None:
        if phase == "start" and info["generation"] == 2:
            seen.append(1)

    gc.collect()  # the generation counters start from zero: no automatic full one comes soon
    gc.callbacks.append(count)
    try:
        yield seen
    finally:
        gc.callbacks.remove(count)


def test_one_collection_every_so_many_rows_and_none_automatic(
    full_collections: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BACKLOG_CONNECTOR_FAST_BATCHES", raising=False)
    assert gc.isenabled()
    with fewer_collections(every=1_000) as collections:
        assert not gc.isenabled()
        for _ in range(25):
            collections.tick(100)  # 2,500 rows: two full collections
            _cycles = [[] for _ in range(2_000)]
            for item in _cycles:
                item.append(item)  # garbage that automatic collection would chase
    assert len(full_collections) == 2
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_the_row_by_row_path_keeps_automatic_collection(
    full_collections: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BACKLOG_CONNECTOR_FAST_BATCHES", "0")
    with fewer_collections(every=1_000) as collections:
        assert gc.isenabled()
        collections.tick(5_000)
    assert full_collections == []
