from collections.abc import Sequence
from typing import Any

#: (length, null count, validity bitmap or None, data, offsets or None)
ColumnBuffers = tuple[int, int, bytes | None, bytes, bytes | None]

class Page:
    """One page of objects parsed from its JSON bytes."""

    def __len__(self) -> int: ...
    def ints(self, key: str) -> list[int | None] | None: ...
    def texts(self, key: str) -> list[str | None] | None: ...
    def row(self, index: int) -> bytes: ...

def parse(body: bytes) -> Page | None: ...
def make_plan(
    tops: Sequence[str],
    subs: Sequence[str],
    fields: Sequence[tuple[int, int, int, int, int]],
    lists: Sequence[int],
    counts: Sequence[int],
    custom: int,
    id_top: int,
    slots: Sequence[tuple[int, int]],
    slot_types: Sequence[int],
) -> Any: ...
def extract(pages: Sequence[Page], plan: Any) -> tuple[Any, ...] | None: ...
