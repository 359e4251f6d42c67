"""Query and form parameters: repeated ``name[]`` values, validated into Python values."""

from __future__ import annotations

from urllib.parse import parse_qsl

from .errors import invalid


class Params:
    """The parameters of one request, in order, with typed getters that raise 400 code 7."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.pairs = pairs
        self._multi: dict[str, list[str]] = {}
        for key, value in pairs:
            self._multi.setdefault(key, []).append(value)

    @classmethod
    def parse(cls, text: str) -> Params:
        return cls(parse_qsl(text, keep_blank_values=True))

    def __contains__(self, name: str) -> bool:
        return name in self._multi

    def names(self) -> list[str]:
        return list(self._multi)

    def get(self, name: str) -> str | None:
        values = self._multi.get(name)
        return values[-1] if values else None

    def all(self, name: str) -> list[str]:
        return self._multi.get(name, [])

    def get_int(self, name: str, default: int | None = None) -> int | None:
        value = self.get(name)
        if value is None or value == "":
            return default
        return _to_int(name, value)

    def get_ints(self, name: str) -> list[int]:
        """Every value of a ``name[]`` parameter as int."""
        return [_to_int(name, v) for v in self.all(name) if v != ""]

    def get_number(self, name: str) -> float | None:
        value = self.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except ValueError:
            raise invalid(f"{name} must be a number, not {value!r}.") from None

    def get_bool(self, name: str) -> bool | None:
        value = self.get(name)
        if value is None or value == "":
            return None
        if value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise invalid(f"{name} must be true or false, not {value!r}.")

    def count(self, default: int = 20) -> int:
        """``count`` in 1..100 (backlog-api.md §0.4)."""
        count = self.get_int("count", default)
        assert count is not None
        if not 1 <= count <= 100:
            raise invalid(
                f"count must be between 1 and 100, not {count}.",
                "Ask for at most 100 per page and page with offset or minId/maxId.",
            )
        return count

    def offset(self) -> int:
        offset = self.get_int("offset", 0)
        assert offset is not None
        if offset < 0:
            raise invalid(f"offset must be 0 or more, not {offset}.")
        return offset

    def order(self, default: str = "desc") -> str:
        order = self.get("order") or default
        if order not in ("asc", "desc"):
            raise invalid(f"order must be asc or desc, not {order!r}.")
        return order


def _to_int(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise invalid(f"{name} must be an integer, not {value!r}.") from None
