"""Issue search: the filters of backlog-api.md §4.7, then sort, then the offset/count slice.

Array filters are ORed within one parameter and ANDed across parameters. The default sort is
``created`` descending (Backlog does not document one). Ties break on the issue id in the same
direction, so paging is stable. Date filters are inclusive calendar days in UTC. ``keyword``
matches the summary, description or issue key, case-insensitively. Missing values sort first
in ascending order.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .errors import invalid
from .model import Issue
from .params import Params
from .space import Space
from .timefmt import day_of, parse_query_date

Predicate = Callable[[Issue], bool]

SORT_KEYS = (
    "issueType",
    "category",
    "version",
    "milestone",
    "summary",
    "status",
    "priority",
    "attachment",
    "sharedFile",
    "created",
    "createdUser",
    "updated",
    "updatedUser",
    "assignee",
    "startDate",
    "dueDate",
    "estimatedHours",
    "actualHours",
    "childIssue",
)

_ARRAY_FILTERS: dict[str, Callable[[Issue], Any]] = {
    "issueTypeId[]": lambda i: i.issue_type_id,
    "statusId[]": lambda i: i.status_id,
    "priorityId[]": lambda i: i.priority_id,
    "assigneeId[]": lambda i: i.assignee_id if i.assignee_id is not None else -1,
    "createdUserId[]": lambda i: i.created_user_id,
    "resolutionId[]": lambda i: i.resolution_id,
    "id[]": lambda i: i.id,
    "parentIssueId[]": lambda i: i.parent_issue_id,
}
_MULTI_FILTERS: dict[str, Callable[[Issue], tuple[int, ...]]] = {
    "categoryId[]": lambda i: i.category_ids,
    "versionId[]": lambda i: i.version_ids,
    "milestoneId[]": lambda i: i.milestone_ids,
}
_DATE_FILTERS: dict[str, Callable[[Issue], int | None]] = {
    "created": lambda i: day_of(i.created),
    "updated": lambda i: day_of(i.updated),
    "startDate": lambda i: i.start_day,
    "dueDate": lambda i: i.due_day,
}


class IssueQuery:
    """A parsed, validated issue search for one user."""

    def __init__(self, space: Space, user_id: int, params: Params) -> None:
        self.space = space
        visible = space.visible_project_ids(user_id)
        wanted = params.get_ints("projectId[]")
        self.project_ids = sorted(visible & set(wanted)) if wanted else sorted(visible)
        self.all_projects = not wanted and len(visible) == len(space.projects)
        self.predicates = self._predicates(params)
        sort = params.get("sort") or "created"
        if sort not in SORT_KEYS and not self._is_custom_sort(sort):
            raise invalid(
                f"Unknown sort key {sort!r}.",
                f"Use one of {', '.join(SORT_KEYS)} or customField_<id>.",
            )
        self.sort = sort
        self.descending = params.order() == "desc"

    def _is_custom_sort(self, sort: str) -> bool:
        if not sort.startswith("customField_"):
            return False
        suffix = sort.removeprefix("customField_")
        return suffix.isdigit() and int(suffix) in self.space.custom_fields

    # ---- filters -------------------------------------------------------------------------

    def _predicates(self, params: Params) -> list[Predicate]:
        preds: list[Predicate] = []
        for name, getter in _ARRAY_FILTERS.items():
            values = set(params.get_ints(name))
            if values:
                preds.append(_one_of(getter, values))
        for name, multi in _MULTI_FILTERS.items():
            values = set(params.get_ints(name))
            if values:
                preds.append(_any_of(multi, values))
        for prefix, day_getter in _DATE_FILTERS.items():
            since, until = params.get(prefix + "Since"), params.get(prefix + "Until")
            if since:
                preds.append(_at_least(day_getter, parse_query_date(prefix + "Since", since)))
            if until:
                preds.append(_at_most(day_getter, parse_query_date(prefix + "Until", until)))
        parent_child = params.get_int("parentChild", 0)
        if parent_child is None or not 0 <= parent_child <= 10:
            raise invalid(f"parentChild must be between 0 and 10, not {parent_child}.")
        if parent_child:
            preds.append(self._parent_child(parent_child))
        keyword = (params.get("keyword") or "").strip().lower()
        if keyword:
            preds.append(self._keyword(keyword))
        attachment = params.get_bool("attachment")
        if attachment is not None:
            preds.append(lambda i: bool(i.attachments) == attachment)
        shared = params.get_bool("sharedFile")
        if shared is not None:
            preds.append(lambda i: bool(self.space.shared_files_of(i)) == shared)
        has_due = params.get_bool("hasDueDate")
        if has_due is True:
            raise invalid("hasDueDate supports only false.", "Leave it out, or send false.")
        if has_due is False:
            preds.append(lambda i: i.due_day is None)
        preds.extend(self._custom_field_predicates(params))
        return preds

    def _keyword(self, keyword: str) -> Predicate:
        space = self.space

        def match(i: Issue) -> bool:
            return (
                keyword in i.summary.lower()
                or keyword in i.description.lower()
                or keyword in space.issue_key(i).lower()
            )

        return match

    def _parent_child(self, mode: int) -> Predicate:
        children = self.space.children

        def has_children(i: Issue) -> bool:
            return bool(children.get(i.id))

        def is_child(i: Issue) -> bool:
            return i.parent_issue_id is not None

        def is_grandchild(i: Issue) -> bool:
            parent = self.space.issues.get(i.parent_issue_id) if i.parent_issue_id else None
            return parent is not None and parent.parent_issue_id is not None

        table: dict[int, Predicate] = {
            1: lambda i: not is_child(i),
            2: is_child,
            3: lambda i: not is_child(i) and not has_children(i),
            4: has_children,
            5: is_grandchild,
            6: lambda i: is_child(i) and not is_grandchild(i),
            7: lambda i: not is_child(i),
            8: lambda i: not is_grandchild(i),
            9: is_child,
            10: lambda i: not has_children(i),
        }
        return table[mode]

    def _custom_field_predicates(self, params: Params) -> Iterator[Predicate]:
        space = self.space
        for name in params.names():
            if not name.startswith("customField_"):
                continue
            base = name.removeprefix("customField_")
            suffix = ""
            for end in ("[]", "_min", "_max"):
                if base.endswith(end):
                    base, suffix = base.removesuffix(end), end
            field = space.custom_fields.get(int(base)) if base.isdigit() else None
            if field is None:
                raise invalid(f"No custom field for {name}.", "Use an id from customFields.")
            fields = space.project_fields[field.project_id]
            index = fields.index(field)

            raw = _custom_getter(space, field.project_id, index)

            if suffix in ("_min", "_max"):
                value = params.get(name) or ""
                bound: float | int
                if field.type_id == 4:
                    bound = parse_query_date(name, value)
                else:
                    number = params.get_number(name)
                    if number is None:
                        continue
                    bound = number
                yield _at_least(raw, bound) if suffix == "_min" else _at_most(raw, bound)
            elif suffix == "[]":
                yield _has_item(raw, field.type_id, set(params.get_ints(name)))
            else:
                yield _contains_text(raw, (params.get(name) or "").lower())

    # ---- running -------------------------------------------------------------------------

    def matches(self) -> Iterator[Issue]:
        """Every matching issue in the requested order."""
        if self.sort == "created":
            return self._filtered()
        found = list(self._filtered())
        key = self._sort_key()

        def sort_key(i: Issue) -> tuple[bool, Any, int]:
            value = key(i)
            return (value is not None, value if value is not None else 0, i.id)

        found.sort(key=sort_key, reverse=self.descending)
        return iter(found)

    def page(self, offset: int, count: int) -> list[Issue]:
        """The ``offset``/``count`` slice of :meth:`matches`."""
        lists = self._lists()
        if self.sort == "created" and not self.predicates and len(lists) == 1:
            issues, size = lists[0], len(lists[0])
            if self.descending:  # the common unfiltered walk: slice, no scan
                return issues[max(0, size - offset - count) : max(0, size - offset)][::-1]
            return issues[offset : offset + count]
        return list(itertools.islice(self.matches(), offset, offset + count))

    def count(self) -> int:
        if not self.predicates:
            return sum(len(x) for x in self._lists())
        return sum(1 for _ in self._filtered())

    def _filtered(self) -> Iterator[Issue]:
        source = iter(self._by_created())
        preds = self.predicates
        if not preds:
            return source
        if len(preds) == 1:
            return filter(preds[0], source)

        def every(i: Issue) -> bool:
            for pred in preds:  # noqa: SIM110 - a plain loop: no generator per issue
                if not pred(i):
                    return False
            return True

        return filter(every, source)

    def _lists(self) -> list[list[Issue]]:
        """The candidate issues, one (created, id)-sorted list per project (or one for all)."""
        if self.all_projects:
            return [self.space.order]
        return [self.space.by_project.get(pid, []) for pid in self.project_ids]

    def _by_created(self) -> Iterable[Issue]:
        lists = self._lists()
        if self.descending:
            if len(lists) == 1:
                return reversed(lists[0])
            return heapq.merge(
                *(reversed(x) for x in lists), key=lambda i: (i.created, i.id), reverse=True
            )
        if len(lists) == 1:
            return iter(lists[0])
        return heapq.merge(*lists, key=lambda i: (i.created, i.id))

    def _sort_key(self) -> Callable[[Issue], Any]:
        space = self.space
        users = space.users
        sort = self.sort
        if sort.startswith("customField_"):
            field = space.custom_fields[int(sort.removeprefix("customField_"))]
            index = space.project_fields[field.project_id].index(field)
            orders = {item.id: item.display_order for item in field.items}

            def custom(i: Issue) -> Any:
                if i.project_id != field.project_id:
                    return None
                value = space.custom_of(i)[index]
                if field.type_id in (5, 8):
                    value = value[0] if isinstance(value, tuple) else value
                    return orders.get(value) if value is not None else None
                if field.type_id in (6, 7):
                    ids = sorted(_item_ids(value, field.type_id))
                    return orders[ids[0]] if ids else None
                return value

            return custom

        def first_name(ids: tuple[int, ...], table: dict[int, Any]) -> str | None:
            return table[ids[0]].name if ids else None

        keys: dict[str, Callable[[Issue], Any]] = {
            "issueType": lambda i: space.issue_types[i.issue_type_id].display_order,
            "category": lambda i: first_name(i.category_ids, space.categories),
            "version": lambda i: first_name(i.version_ids, space.versions),
            "milestone": lambda i: first_name(i.milestone_ids, space.versions),
            "summary": lambda i: i.summary,
            "status": lambda i: space.statuses[i.project_id][i.status_id].display_order,
            "priority": lambda i: i.priority_id,
            "attachment": lambda i: len(i.attachments),
            "sharedFile": lambda i: len(self.space.shared_files_of(i)),
            "createdUser": lambda i: users[i.created_user_id].name,
            "updated": lambda i: i.updated,
            "updatedUser": lambda i: users[i.updated_user_id].name,
            "assignee": lambda i: users[i.assignee_id].name if i.assignee_id else None,
            "startDate": lambda i: i.start_day,
            "dueDate": lambda i: i.due_day,
            "estimatedHours": lambda i: i.estimated_hours,
            "actualHours": lambda i: i.actual_hours,
            "childIssue": lambda i: len(space.children.get(i.id, ())),
        }
        return keys[sort]


def _item_ids(value: Any, type_id: int) -> set[int]:
    if value is None:
        return set()
    if type_id == 5:
        return {value}
    if type_id == 6:
        return set(value)
    if type_id == 7:
        return set(value[0])
    return {value[0]} if value[0] is not None else set()


def _one_of(getter: Callable[[Issue], Any], values: set[int]) -> Predicate:
    return lambda i: getter(i) in values


def _any_of(getter: Callable[[Issue], tuple[int, ...]], values: set[int]) -> Predicate:
    return lambda i: not values.isdisjoint(getter(i))


def _at_least(getter: Callable[[Issue], Any], bound: float) -> Predicate:
    def check(i: Issue) -> bool:
        value = getter(i)
        return value is not None and bool(value >= bound)

    return check


def _at_most(getter: Callable[[Issue], Any], bound: float) -> Predicate:
    def check(i: Issue) -> bool:
        value = getter(i)
        return value is not None and bool(value <= bound)

    return check


def _has_item(getter: Callable[[Issue], Any], type_id: int, wanted: set[int]) -> Predicate:
    return lambda i: bool(_item_ids(getter(i), type_id) & wanted)


def _contains_text(getter: Callable[[Issue], Any], needle: str) -> Predicate:
    return lambda i: needle in str(getter(i) or "").lower()


def _custom_getter(space: Space, project_id: int, index: int) -> Callable[[Issue], Any]:
    return lambda i: space.custom_of(i)[index] if i.project_id == project_id else None
