"""Column names: Backlog's camelCase keys and custom-field names made into stable identifiers."""

from __future__ import annotations

import re

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_WORD = re.compile(r"[^\w]+")


def snake_case(name: str) -> str:
    """``projectKey`` -> ``project_key``, ``URLPath`` -> ``url_path``, ``key_id`` unchanged."""
    return _CAMEL_BOUNDARY.sub("_", name).lower()


def column_name(path: str) -> str:
    """The column for a dotted source path: ``status.name`` -> ``status_name``."""
    return "_".join(snake_case(part) for part in path.split("."))


def sanitize(name: str) -> str:
    """Lower-case word characters joined by ``_`` (Unicode letters kept, so Japanese field
    names stay readable); "" when nothing usable is left."""
    words = _NON_WORD.sub("_", snake_case(name.strip())).strip("_")
    return re.sub(r"_+", "_", words)
