"""Lists of named objects (an issue's categories, versions, milestones, a page's tags) read
natively: one Arrow conversion of a batch's lists, then the joined names and the link table's
columns by Arrow kernels, instead of a Python loop over every item.

The conversion to ``list<struct<id, name>>`` uses the same converters as the column builders
(:func:`.values.to_array`), so what it gives equals what the Python path builds. Where it cannot
give the same (an item that is not an object, an id that is not an integer, a name that is not
text, a NULL name in a joined list), :func:`items` answers None and the caller takes the Python
path for that batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from backlog_connector.reports.values import INT, STRING

ITEM = pa.struct([pa.field("id", INT), pa.field("name", STRING)])
ITEMS = pa.list_(ITEM)
_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError)


def items(values: Sequence[Any]) -> pa.ListArray | None:
    """``values`` (one JSON list, or None, per row) as a list array of (id, name) items; None
    where some value is not a list of objects with an integer id and a text name."""
    try:
        found = pa.array(values, ITEMS)
    except _ERRORS:
        return None
    if not isinstance(found, pa.ListArray) or pc.list_flatten(found).null_count:
        return None  # a JSON null among the items: the Python path leaves it out
    return found


def joined_names(lists: pa.ListArray) -> pa.Array | None:
    """Each row's item names joined with ", " (NULL for an empty or missing list), as
    :func:`.columns.join_names` gives them; None when some name is NULL (left out there)."""
    names = pc.list_flatten(lists).field("name")
    if names.null_count:
        return None
    lengths = pc.list_value_length(lists).fill_null(0)
    offsets = pa.concat_arrays([pa.array([0], pa.int32()), pc.cumulative_sum(lengths)])
    joined = pc.binary_join(pa.ListArray.from_arrays(offsets, names), ", ")
    return pc.if_else(pc.equal(lengths, 0), pa.scalar(None, STRING), joined)


def link_columns(
    parent_ids: Sequence[Any], lists: pa.ListArray, id_name: str, item_name: str
) -> dict[str, pa.Array] | None:
    """The columns of a link table (parent id, item id, item name; one row per item) from the
    parents' ids and their lists; None when an id is not an integer."""
    try:
        parents = pa.array(parent_ids, INT)
    except _ERRORS:
        return None
    flat = pc.list_flatten(lists)
    return {
        id_name: parents.take(pc.list_parent_indices(lists)),
        f"{item_name}_id": flat.field("id"),
        f"{item_name}_name": flat.field("name"),
    }
