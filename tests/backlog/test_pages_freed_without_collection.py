"""A page the client has read is freed by reference counting alone: no cycle holds the HTTP
response (and its body) until a garbage collection, which a run turns off while it reads."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator

import httpx
import pytest

from backlog_connector.backlog.client import BacklogClient
from backlog_connector.emulator import Emulator


@pytest.fixture
def collections_saved() -> Iterator[list[object]]:
    """Automatic collection off; what a collection finds is kept in the yielded list."""
    was_enabled = gc.isenabled()
    gc.disable()
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        yield gc.garbage
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was_enabled:
            gc.enable()


def test_read_pages_leave_no_response_for_the_collector(
    emulator: Emulator,
    make_client: Callable[..., BacklogClient],
    collections_saved: list[object],
) -> None:
    client = make_client(emulator)
    pages = list(client.iter_offset("/issues", [], page_size=20))
    assert sum(len(page) for page in pages) == 300
    del pages
    gc.collect()
    found = [o for o in collections_saved if isinstance(o, httpx.Response | httpx.Request)]
    assert found == []
