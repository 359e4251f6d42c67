"""The route table of the emulated API: one request's ``Call``, its ``Reply``, and ``@route``."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .params import Params
from .render import dumps


@dataclass
class Call:
    """One authenticated API request (path relative to ``/api/v2``)."""

    method: str
    path: str
    query: Params
    form: Params
    user_id: int


@dataclass
class Reply:
    """An answer: status, body bytes, content type and extra headers."""

    status: int
    body: bytes
    content_type: str = "application/json;charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


def ok(value: Any, status: int = 200) -> Reply:
    return Reply(status, dumps(value))


#: (method, path pattern, name of the Api method), filled by @route in definition order
ROUTES: list[tuple[str, re.Pattern[str], str]] = []


def route(method: str, pattern: str) -> Callable[[Any], Any]:
    """Register an ``Api`` method for ``method`` on paths fully matching ``pattern``."""

    def register(fn: Any) -> Any:
        ROUTES.append((method, re.compile(pattern), fn.__name__))
        return fn

    return register
