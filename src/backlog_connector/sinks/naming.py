"""Table names: derived from dataset names, checked, and quoted for SQL."""

from __future__ import annotations

import re

from backlog_connector.sinks.errors import InvalidTableNameError

#: Tables the connector keeps for itself (state, registry) start with this prefix.
INTERNAL_PREFIX = "_backlog_connector"

_OTHER = re.compile(r"[^a-z0-9]+")
_VALID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def dataset_table_name(dataset_name: str) -> str:
    """The table name for a dataset: lower case, each run of characters other than ``[a-z0-9]``
    becomes ``_``, no leading/trailing ``_``, ``t_`` in front of a leading digit.

    >>> dataset_table_name("Backlog Issues")
    'backlog_issues'
    """
    name = _OTHER.sub("_", dataset_name.lower()).strip("_")
    if not name:
        raise InvalidTableNameError(
            f"the dataset name {dataset_name!r} has no letters a-z or digits to build a table "
            "name from; choose a name that has some, or name the table explicitly (--table)"
        )
    return f"t_{name}" if name[0].isdigit() else name


def check_table_name(name: str) -> str:
    """Return ``name`` if it can name a dataset table, else raise ``InvalidTableNameError``.

    Accepted: ASCII letters, digits and ``_``, not starting with a digit, and not one of the
    connector's own tables (prefix ``_backlog_connector``).
    """
    if not isinstance(name, str) or not _VALID.fullmatch(name):
        raise InvalidTableNameError(
            f"{name!r} is not a valid table name: use ASCII letters, digits and '_', "
            "not starting with a digit (e.g. 'backlog_issues')"
        )
    if name.lower().startswith(INTERNAL_PREFIX):
        raise InvalidTableNameError(
            f"{name!r} is reserved for the connector's own tables (prefix {INTERNAL_PREFIX!r}); "
            "choose another table name"
        )
    return name


def quote(identifier: str) -> str:
    """``identifier`` as a quoted SQL identifier (embedded double quotes doubled)."""
    return '"' + identifier.replace('"', '""') + '"'
