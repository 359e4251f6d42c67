"""Helpers for the emulator tests: clients and a tiny JSON shape checker."""

from __future__ import annotations

import re
from typing import Any

import httpx

from backlog_connector.emulator import Emulator

TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


def client(emu: Emulator, who: str = "admin", **kwargs: Any) -> httpx.Client:
    """An httpx client on ``/api/v2`` sending the API key of ``who`` in the header."""
    return httpx.Client(
        base_url=emu.base_url + "/api/v2",
        headers={"Backlog-API-Key": emu.api_keys[who]},
        timeout=10,
        **kwargs,
    )


class Ts:
    """Marker: a ``yyyy-MM-ddTHH:mm:ssZ`` string."""


class Absent:
    """Marker, in a tuple of options: the key may be left out (older bodies omit it)."""


def _may_be_absent(expected: Any) -> bool:
    return isinstance(expected, tuple) and Absent in expected


def check_shape(value: Any, shape: dict[str, Any], where: str = "$") -> None:
    """Assert ``value`` has exactly the keys of ``shape`` and each value one of its types.

    A shape value is a type, a tuple of types (``None`` allowed), ``Ts``, a nested dict shape,
    or a one-element list ``[shape]`` for an array of such.
    """
    assert isinstance(value, dict), f"{where}: expected an object, got {value!r}"
    required = {k for k, expected in shape.items() if not _may_be_absent(expected)}
    assert required <= set(value) <= set(shape), f"{where}: keys {sorted(value)} != {sorted(shape)}"
    for key, expected in shape.items():
        if key in value:
            _check(value[key], expected, f"{where}.{key}")


def _check(value: Any, expected: Any, where: str) -> None:
    options = expected if isinstance(expected, tuple) else (expected,)
    options = tuple(o for o in options if o is not Absent)
    errors = []
    for option in options:
        try:
            _check_one(value, option, where)
            return
        except AssertionError as exc:
            errors.append(str(exc))
    raise AssertionError("; ".join(errors))


def _check_one(value: Any, option: Any, where: str) -> None:
    if option is None:
        assert value is None, f"{where}: expected null, got {value!r}"
    elif option is Ts:
        assert isinstance(value, str), f"{where}: expected a timestamp, got {value!r}"
        assert TIMESTAMP.fullmatch(value), f"{where}: bad timestamp {value!r}"
    elif isinstance(option, dict):
        check_shape(value, option, where)
    elif isinstance(option, list):
        assert isinstance(value, list), f"{where}: expected an array, got {value!r}"
        for n, item in enumerate(value):
            _check(item, option[0], f"{where}[{n}]")
    elif option is float:
        assert isinstance(value, int | float), where
        assert not isinstance(value, bool), where
    elif option is int:
        assert isinstance(value, int), f"{where}: {value!r}"
        assert not isinstance(value, bool), f"{where}: {value!r}"
    else:
        assert isinstance(value, option), f"{where}: expected {option}, got {value!r}"


NULAB = {"nulabId": str, "name": str, "uniqueId": str}
USER = {
    "id": int,
    "userId": (str, None, Absent),
    "name": str,
    "roleType": int,
    "lang": (str, None),
    "nulabAccount": (NULAB, None),
    "mailAddress": str,
    "lastLoginTime": (Ts, None),
}
PROJECT = {
    "id": int,
    "projectKey": str,
    "name": str,
    "chartEnabled": bool,
    "useResolvedForChart": bool,
    "subtaskingEnabled": bool,
    "projectLeaderCanEditProjectLeader": bool,
    "useWiki": bool,
    "useDocument": bool,
    "useFileSharing": bool,
    "useWikiTreeView": bool,
    "useSubversion": bool,
    "useGit": bool,
    "useOriginalImageSizeAtWiki": bool,
    "textFormattingRule": str,
    "archived": bool,
    "displayOrder": int,
    "useDevAttributes": bool,
    "grandchildIssueEnabled": bool,
}
STATUS = {"id": int, "projectId": int, "name": str, "color": str, "displayOrder": int}
ISSUE_TYPE_SHORT = {"id": int, "projectId": int, "name": str, "color": str, "displayOrder": int}
ISSUE_TYPE = ISSUE_TYPE_SHORT | {"templateSummary": (str, None), "templateDescription": (str, None)}
CATEGORY = {"id": int, "projectId": int, "name": str, "displayOrder": int}
VERSION = {
    "id": int,
    "projectId": int,
    "name": str,
    "description": str,
    "startDate": (Ts, None),
    "releaseDueDate": (Ts, None),
    "archived": bool,
    "displayOrder": int,
}
ID_NAME = {"id": int, "name": str}
ITEM = {"id": int, "name": str, "displayOrder": int}
ISSUE = {
    "id": int,
    "projectId": int,
    "issueKey": str,
    "keyId": int,
    "issueType": ISSUE_TYPE_SHORT,
    "summary": str,
    "description": str,
    "resolution": (ID_NAME, None),
    "priority": ID_NAME,
    "status": STATUS,
    "assignee": (USER, None),
    "category": [CATEGORY],
    "versions": [VERSION],
    "milestone": [VERSION],
    "startDate": (Ts, None),
    "dueDate": (Ts, None),
    "estimatedHours": (float, None),
    "actualHours": (float, None),
    "parentIssueId": (int, None),
    "createdUser": USER,
    "created": Ts,
    "updatedUser": USER,
    "updated": Ts,
    "customFields": list,
    "attachments": [{"id": int, "name": str, "size": int, "createdUser": USER, "created": Ts}],
    "sharedFiles": list,
    "stars": list,
}
CHANGE_LOG = {
    "field": str,
    "newValue": (str, None),
    "originalValue": (str, None),
    "attachmentInfo": (dict, None),
    "attributeInfo": (dict, None),
    "notificationInfo": (dict, None),
}
COMMENT = {
    "id": int,
    "projectId": int,
    "issueId": int,
    "content": str,
    "changeLog": ([CHANGE_LOG], None),
    "createdUser": USER,
    "created": Ts,
    "updated": Ts,
    "stars": list,
    "notifications": list,
}
ACTIVITY = {
    "id": int,
    "project": PROJECT,
    "type": int,
    "content": dict,
    "notifications": list,
    "createdUser": USER,
    "created": Ts,
}
ERRORS = {"errors": [{"message": str, "code": int, "moreInfo": str}]}


def error_code(response: httpx.Response) -> int:
    """The Backlog error code of an error answer (checking its shape)."""
    body = response.json()
    check_shape(body, ERRORS)
    code: int = body["errors"][0]["code"]
    return code
