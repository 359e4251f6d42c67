"""The error tree: pickling, the status/code table, and messages that name problem and fix."""

from __future__ import annotations

import pickle

import pytest

from backlog_connector.backlog import errors as e
from backlog_connector.backlog.error_map import (
    BY_CODE,
    BacklogErrorBody,
    error_for_response,
    outcome_for,
)


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (401, 11, e.AuthenticationError),
        (401, None, e.AuthenticationError),
        (403, 5, e.PermissionDeniedError),
        (403, 2, e.PermissionDeniedError),
        (401, 12, e.PermissionDeniedError),
        (404, 6, e.NotFoundError),
        (400, 7, e.InvalidRequestError),
        (400, 6, e.NotFoundError),
        (429, 13, e.RateLimitedError),
        (429, None, e.RateLimitedError),
        (500, 1, e.ServerError),
        (503, None, e.ServerError),
        (599, 7, e.ServerError),
        (418, None, e.GiveUpError),
        (302, None, e.InvalidAddressError),
        (400, 8, e.GiveUpError),
    ],
)
def test_table_maps_status_and_code(status: int, code: int | None, expected: type) -> None:
    assert outcome_for(status, code).error is expected


def test_every_documented_code_is_in_the_table() -> None:
    assert set(BY_CODE) == set(range(1, 14))


def test_actions_group_the_tree() -> None:
    assert e.InvalidAddressError("x").action == "configuration"
    assert e.NotFoundError("x").action == "configuration"
    assert e.BadResponseError("x").action == "retry_later"
    assert e.GiveUpError("x").action == "give_up"


def test_error_for_response_names_account_problem_fix_and_backlog_message() -> None:
    body = b'{"errors":[{"message":"Authentication failure.","code":11,"moreInfo":""}]}'
    err = error_for_response(401, body, account="acme", what="GET /space")
    assert isinstance(err, e.AuthenticationError)
    text = str(err)
    assert "'acme'" in text
    assert "HTTP 401" in text
    assert "code 11" in text
    assert "API key" in text  # the fix
    assert "Authentication failure." in text
    assert (err.status, err.code, err.account) == (401, 11, "acme")


def test_rate_limited_carries_retry_after() -> None:
    err = error_for_response(429, b"{}", account="a", what="GET /issues", retry_after=4.5)
    assert isinstance(err, e.RateLimitedError)
    assert err.retry_after == 4.5


def test_backlog_message_is_redacted() -> None:
    body = b'{"errors":[{"message":"bad key sekrit-123","code":11}]}'
    err = error_for_response(
        401, body, account="a", what="GET /space", redact=lambda t: t.replace("sekrit-123", "***")
    )
    assert "sekrit-123" not in str(err)


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (b'{"errors":[{"message":"No project.","code":6,"moreInfo":""}]}', 6, "No project."),
        (
            b'{"error":"invalid_grant","error_description":"Grant is invalid."}',
            None,
            "invalid_grant: Grant is invalid.",
        ),
        (b"<html>502 Bad Gateway</html>", None, None),
        (b'{"errors":"nope"}', None, None),
        (b"", None, None),
    ],
)
def test_error_body_parsing_never_fails(body: bytes, code: int | None, message: str | None) -> None:
    parsed = BacklogErrorBody.parse(body)
    assert (parsed.code, parsed.message) == (code, message)


@pytest.mark.parametrize(
    "err",
    [
        e.AuthenticationError("m", account="acme", status=401, code=11, backlog_message="bm"),
        e.RateLimitedError("m", retry_after=3.0, attempts=4, account="a", status=429, code=13),
        e.NetworkError("m", request_sent=False, attempts=2),
        e.InvalidAddressError("m"),
        e.GiveUpError("m", status=418),
    ],
)
def test_every_exception_pickles_with_its_attributes(err: e.BacklogConnectorError) -> None:
    back = pickle.loads(pickle.dumps(err))  # noqa: S301 - our own bytes
    assert type(back) is type(err)
    assert back.__dict__ == err.__dict__
    assert str(back) == str(err)


def test_retry_later_text_tells_attempts() -> None:
    err = e.ServerError("Backlog failed.", attempts=5)
    assert "after 5 attempts" in str(err)
