"""Query parameters in Backlog's conventions: arrays as repeated ``name[]``, booleans as words."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from backlog_connector.backlog.errors import InvalidOptionError

Scalar = str | int | float | bool | dt.date | None
ParamValue = Scalar | Sequence[Scalar]
#: a mapping, or a sequence of (name, value) pairs (names may repeat)
Params = Mapping[str, ParamValue] | Sequence[tuple[str, ParamValue]]


def _scalar(name: str, value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        raise InvalidOptionError(
            f"Parameter {name!r} got a datetime; Backlog takes dates as yyyy-MM-dd (pass a date)."
        )
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float | str):
        return str(value)
    raise InvalidOptionError(
        f"Parameter {name!r} has a value of type {type(value).__name__}; "
        "use text, a number, a boolean, a date or a list of them."
    )


def encode_params(params: Params | None) -> list[tuple[str, str]]:
    """Flatten ``params`` into (name, text) pairs.

    A list or tuple value expands to repeated ``name[]`` pairs (the ``[]`` is added when
    missing); ``None`` values are left out; booleans become ``true``/``false``.
    """
    if params is None:
        return []
    pairs: Iterable[tuple[str, ParamValue]]
    pairs = params.items() if isinstance(params, Mapping) else params
    out: list[tuple[str, str]] = []
    for item in pairs:
        if not isinstance(item, tuple) or len(item) != 2 or not isinstance(item[0], str):
            raise InvalidOptionError(
                f"Query parameters must be a mapping or (name, value) pairs, not {item!r}."
            )
        name, value = item
        if value is None:
            continue
        if isinstance(value, list | tuple | set | frozenset):
            key = name if name.endswith("[]") else name + "[]"
            out.extend((key, _scalar(name, v)) for v in value if v is not None)
        else:
            out.append((name, _scalar(name, value)))  # type: ignore[arg-type]
    return out


def without(pairs: list[tuple[str, str]], names: Iterable[str]) -> list[tuple[str, str]]:
    """``pairs`` minus every pair whose name is in ``names`` (paging replaces them)."""
    drop = set(names)
    return [(k, v) for k, v in pairs if k not in drop]


def check_api_path(path: str) -> None:
    """Refuse anything but a plain path below ``/api/v2`` (the query goes in params)."""
    if (
        not isinstance(path, str)
        or not path.startswith("/")
        or path.startswith("//")
        or any(ch in path for ch in "?#\\ ")
        or "://" in path
        or any(segment in (".", "..") for segment in path.split("/"))
    ):
        raise InvalidOptionError(
            f"{path!r} is not an API path; pass the path below /api/v2, e.g. '/issues', "
            "and the query as params."
        )
