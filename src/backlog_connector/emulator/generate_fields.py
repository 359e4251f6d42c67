"""Generated custom fields of an emulated space: definitions and per-issue values."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from .model import CustomField, Issue

T = TypeVar("T")


class ValuePools(Protocol):
    """What :class:`CustomValues` needs of a project's generation pools."""

    def custom_values(self, below: Callable[[int], int], created: int) -> tuple[Any, ...]: ...


_FIELD_NAMES = {
    1: ("顧客名", "Customer"),
    2: ("備考", "Notes"),
    3: ("見積ポイント", "Story points"),
    4: ("リリース予定日", "Target date"),
    5: ("環境", "Environment"),
    6: ("対象OS", "Platforms"),
    7: ("確認項目", "Checks"),
    8: ("重要度", "Severity"),
}
ITEMS: dict[int, tuple[str, ...]] = {
    1: (),
    2: (),
    3: (),
    4: (),
    5: ("本番", "ステージング", "開発"),
    6: ("Windows", "macOS", "iOS", "Android"),
    7: ("仕様確認", "テスト済み", "Reviewed"),
    8: ("高", "中", "低"),
}


def make_custom_field(
    fid: int, pid: int, type_no: int, last_type_id: int, english: bool
) -> CustomField:
    extra: dict[str, Any] = {}
    if type_no == 3:
        extra = {"min": 0.0, "max": 100.0, "initialValue": None, "unit": "pt"}
    elif type_no == 4:
        # the allowed range of a date field, as Backlog sends dates (midnight UTC)
        extra = {
            "min": "2025-01-01T00:00:00Z" if pid % 2 else None,
            "max": "2026-12-31T00:00:00Z" if pid % 2 else None,
            "initialDate": {"id": 1, "shift": None, "date": None},
        }
    elif type_no >= 5:
        extra = {"allowAddItem": type_no in (5, 6)}
        if type_no in (7, 8):
            extra["allowInput"] = True
    # the last field applies to the first issue type only; the others to every type
    applicable = [last_type_id - 4] if type_no == 8 else []
    return CustomField(
        id=fid,
        project_id=pid,
        type_id=type_no,
        name=_FIELD_NAMES[type_no][1 if english else 0],
        description="" if type_no % 2 else "入力してください",
        required=False,
        applicable_issue_types=applicable,
        display_order=type_no - 1,
        extra={**extra, "version": 1 + (fid + type_no) % 3},
    )


class CustomValues:
    """Custom-field values of a generated issue, from (seed, issue id) alone: derived on first
    use so that start-up stays fast, and the same whenever they are derived."""

    def __init__(self, seed: int, pools: Mapping[int, ValuePools]) -> None:
        self.seed = seed
        self.pools = pools

    def __call__(self, issue: Issue) -> tuple[Any, ...]:
        random_ = random.Random(f"{self.seed}:custom:{issue.id}").random

        def below(k: int) -> int:
            return int(random_() * k)

        return self.pools[issue.project_id].custom_values(below, issue.created)


def sample(items: list[T], k: int, below: Callable[[int], int]) -> list[T]:
    """``k`` distinct elements (a partial Fisher-Yates shuffle of a copy)."""
    pool = list(items)
    for n in range(k):
        j = n + below(len(pool) - n)
        pool[n], pool[j] = pool[j], pool[n]
    return pool[:k]
