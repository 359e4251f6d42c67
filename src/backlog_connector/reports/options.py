"""Report options: ``--option name=value`` strings checked and typed against ``OptionSpec``s.

Validated values stay JSON-friendly (str, int, bool, list, None; dates as ``yyyy-MM-dd``) so a
control plane can store them and a cursor can fingerprint them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from backlog_connector.backlog.errors import InvalidOptionError
from backlog_connector.reports.base import OptionSpec

Parser = Callable[[str], Any]

_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}
_PROJECT_KEY = re.compile(r"^[A-Z][A-Z0-9_]*$")


class OptionValueError(ValueError):
    """Raised by a parser: the message says what is accepted."""


def split_list(text: str) -> list[str]:
    """``"a, b,,c"`` -> ``["a", "b", "c"]``."""
    return [part.strip() for part in text.split(",") if part.strip()]


def sample_of(names: Sequence[str], limit: int = 12) -> str:
    """``names`` for a message: all of a short list, else the first ``limit`` and "and N more"
    (e.g. ``"Open, Closed and 3 more"``); "none" for an empty one."""
    if not names:
        return "none"
    shown = ", ".join(names[:limit])
    rest = len(names) - limit
    return f"{shown} and {rest} more" if rest > 0 else shown


def parse_int(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise OptionValueError("a whole number is accepted, e.g. 42") from None


def parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise OptionValueError("true or false is accepted")


def parse_date(text: str) -> str:
    try:
        return dt.date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise OptionValueError("a date as yyyy-MM-dd is accepted, e.g. 2025-04-01") from None


def parse_ids_or_names(text: str) -> list[int | str]:
    """A comma-separated list whose items are numeric ids or names (resolved at run time)."""
    items: list[int | str] = [int(t) if t.isdigit() else t for t in split_list(text)]
    if not items:
        raise OptionValueError("a comma-separated list of ids or names is accepted, e.g. 1,2")
    return items


def parse_int_list(text: str) -> list[int]:
    tokens = split_list(text)
    if not tokens or not all(t.isdigit() for t in tokens):
        raise OptionValueError("a comma-separated list of numeric ids is accepted, e.g. 1,2,3")
    return [int(t) for t in tokens]


def parse_projects(text: str) -> list[int | str] | None:
    """``all`` -> None; else project keys (``BLG``) or numeric ids, comma-separated."""
    tokens = split_list(text)
    if not tokens or (len(tokens) == 1 and tokens[0].lower() == "all"):
        return None
    items: list[int | str] = []
    for token in tokens:
        if token.isdigit():
            items.append(int(token))
        elif _PROJECT_KEY.match(token.upper()):
            items.append(token.upper())
        else:
            raise OptionValueError(
                f"{token!r} is neither a project key (letters, digits, _) nor a numeric id; "
                "accepted: all, or keys / ids separated by commas, e.g. BLG,12"
            )
    return items


def _choice_parser(spec: OptionSpec) -> Parser:
    def parse(text: str) -> str:
        value = text.strip().lower()
        if value not in spec.choices:
            raise OptionValueError(f"accepted: {', '.join(spec.choices)}")
        return value

    return parse


_KIND_PARSERS: dict[str, Parser] = {
    "str": lambda text: text,
    "int": parse_int,
    "bool": parse_bool,
    "date": parse_date,
    "list": split_list,
}


def validate_options(
    report: str,
    specs: Sequence[OptionSpec],
    raw: Mapping[str, str],
    parsers: Mapping[str, Parser] | None = None,
) -> dict[str, Any]:
    """Typed options for ``report``: each raw string parsed by its spec (or by ``parsers``),
    defaults filled in. Raises ``InvalidOptionError`` naming the option, the problem and what
    is accepted; unknown names are errors."""
    by_name = {s.name: s for s in specs}
    unknown = sorted(set(raw) - set(by_name))
    if unknown:
        accepted = ", ".join(by_name) or "none"
        raise InvalidOptionError(
            f"Unknown option {', '.join(repr(u) for u in unknown)} for report {report!r}. "
            f"Accepted options: {accepted}."
        )
    values: dict[str, Any] = {}
    for spec in specs:
        text = raw.get(spec.name)
        if text is None:
            if spec.required:
                raise InvalidOptionError(
                    f"Report {report!r} needs the option {spec.name!r} ({spec.description}); "
                    f"add --option {spec.name}=VALUE."
                )
            values[spec.name] = spec.default
            continue
        parser = (parsers or {}).get(spec.name)
        if parser is None:
            parser = _choice_parser(spec) if spec.kind == "choice" else _KIND_PARSERS[spec.kind]
        try:
            values[spec.name] = parser(str(text))
        except OptionValueError as exc:
            raise InvalidOptionError(
                f"Option {spec.name!r} of report {report!r} has a bad value {text!r}: {exc}."
            ) from None
    return values
