"""Checks that an answer has the documented shape before anyone reads rows out of it.

Backlog's list endpoints answer with a bare JSON array of objects, its single-resource endpoints
with one object. Anything else (a list wrapped in ``{"issues": [...]}``, an object where a list
belongs, a page of strings) must fail the run loudly, naming the endpoint and what was expected:
read leniently, such an answer would load 0 rows and report success.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from backlog_connector.backlog.errors import UnexpectedShapeError

if TYPE_CHECKING:
    from backlog_connector.backlog.client import BacklogClient
    from backlog_connector.backlog.params import Params

Row = dict[str, Any]

__all__ = ["describe", "expect_list", "expect_object", "get_list", "get_object"]


def describe(value: Any) -> str:
    """A short, secret-free description of a JSON value's shape (for error messages)."""
    if isinstance(value, dict):
        keys = ", ".join(repr(k) for k in list(value)[:5])
        more = ", ..." if len(value) > 5 else ""
        return f"an object with keys {keys}{more}" if value else "an empty object"
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    if value is None:
        return "an empty body (null)"
    return f"a {type(value).__name__}"


def expect_list(body: Any, *, path: str, account: str | None = None) -> list[Row]:
    """``body`` as the list of objects that ``GET path`` documents; else
    :class:`UnexpectedShapeError` naming the path and what arrived."""
    if not isinstance(body, list):
        hint = ""
        if isinstance(body, dict) and any(isinstance(v, list) for v in body.values()):
            hint = " (a list wrapped in an object)"
        raise UnexpectedShapeError(
            f"GET {path} answered with {describe(body)}{hint} where Backlog documents a JSON "
            "list of objects; nothing was loaded. If the service changed its answer, the "
            "connector needs an update: report it with this message.",
            path=path,
            account=account,
        )
    bad = [i for i, item in enumerate(body) if not isinstance(item, dict)]
    if bad:
        raise UnexpectedShapeError(
            f"GET {path} answered with a list whose item {bad[0]} is {describe(body[bad[0]])} "
            f"({len(bad)} of {len(body)} items are not objects) where Backlog documents a list "
            "of objects; nothing was loaded. Report it with this message.",
            path=path,
            account=account,
        )
    return body


def expect_object(
    body: Any, *, path: str, keys: Sequence[str] = (), account: str | None = None
) -> Row:
    """``body`` as the object that ``GET path`` documents, holding ``keys``; else
    :class:`UnexpectedShapeError`."""
    if not isinstance(body, dict):
        raise UnexpectedShapeError(
            f"GET {path} answered with {describe(body)} where Backlog documents one JSON "
            "object; nothing was loaded. Report it with this message.",
            path=path,
            account=account,
        )
    missing = [k for k in keys if k not in body]
    if missing:
        raise UnexpectedShapeError(
            f"GET {path} answered with {describe(body)} without the documented field(s) "
            f"{', '.join(missing)}; nothing was loaded. Report it with this message.",
            path=path,
            account=account,
        )
    return body


def get_list(client: BacklogClient, path: str, params: Params | None = None) -> list[Row]:
    """``client.get(path, params)``, checked to be a list of objects."""
    return expect_list(client.get(path, params), path=path, account=client.account_name or None)


def get_object(
    client: BacklogClient, path: str, params: Params | None = None, *, keys: Sequence[str] = ()
) -> Row:
    """``client.get(path, params)``, checked to be one object holding ``keys``."""
    return expect_object(
        client.get(path, params), path=path, keys=keys, account=client.account_name or None
    )
