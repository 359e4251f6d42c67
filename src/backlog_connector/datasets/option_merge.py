"""A change of some of a dataset's report options: the options named are set or cleared, the
others stay (``datasets update --option K=V --clear-option K``, the REST API's PATCH)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from backlog_connector.backlog.errors import InvalidOptionError


def merge_options(
    current: Mapping[str, str],
    set_: Mapping[str, str] | None = None,
    clear: Iterable[str] = (),
) -> dict[str, str]:
    """``current`` with ``set_`` written over it and the keys of ``clear`` removed.

    A key to clear that is not set raises ``InvalidOptionError`` naming the options that are set;
    a key both set and cleared is refused too (which one was meant is unclear)."""
    merged = {str(k): str(v) for k, v in current.items()}
    setting = {str(k): str(v) for k, v in (set_ or {}).items()}
    clearing = [str(k) for k in clear]
    both = sorted(set(setting) & set(clearing))
    if both:
        raise InvalidOptionError(
            f"option {', '.join(both)} is both set and cleared; give it once, as --option K=V"
            " or as --clear-option K"
        )
    for key in clearing:
        if key not in merged:
            named = ", ".join(sorted(merged)) or "none"
            raise InvalidOptionError(
                f"cannot clear option {key!r}: it is not set (set options: {named})"
            )
        del merged[key]
    merged.update(setting)
    return merged


def describe_options(options: Mapping[str, str]) -> str:
    """``k=v, k=v`` in key order, or ``(none)``: how the CLI shows a dataset's options."""
    return ", ".join(f"{k}={v}" for k, v in sorted(options.items())) or "(none)"
