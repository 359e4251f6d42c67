"""Read deadlines learnt from answer times: when a GET stops waiting and is sent again."""

from __future__ import annotations

import pytest

from backlog_connector.backlog.deadlines import (
    CUT_ATTEMPTS,
    FLOOR,
    GROWTH,
    MULTIPLIER,
    WARM_UP,
    AnswerDeadlines,
    shape_of,
)

COMMENTS = shape_of("read", "/issues/123/comments")


def test_numbers_in_paths_fold_into_one_shape() -> None:
    assert COMMENTS == shape_of("read", "/issues/9/comments") == "read /issues/:n/comments"
    assert shape_of("search", "/issues") == "search /issues"
    assert shape_of("read", "/projects/12/statuses") != COMMENTS


def test_no_deadline_until_a_shape_has_enough_answers() -> None:
    deadlines = AnswerDeadlines(30.0)
    for _ in range(WARM_UP - 1):
        deadlines.record(COMMENTS, 0.5)
    assert deadlines.deadline(COMMENTS, 1) is None  # a short walk is never cut
    deadlines.record(COMMENTS, 0.5)
    assert deadlines.deadline(COMMENTS, 1) == pytest.approx(MULTIPLIER * 0.5)
    assert deadlines.deadline("read /space", 1) is None  # learnt per shape


def test_the_deadline_follows_the_95th_percentile_and_grows_per_cut() -> None:
    deadlines = AnswerDeadlines(30.0)
    for i in range(100):
        deadlines.record(COMMENTS, 2.0 if i % 50 == 0 else 0.2)  # 2 % outliers
    first = deadlines.deadline(COMMENTS, 1)
    assert first == pytest.approx(MULTIPLIER * 0.2)  # the outliers do not set it
    assert deadlines.deadline(COMMENTS, 2) == pytest.approx(first * GROWTH)
    assert deadlines.deadline(COMMENTS, CUT_ATTEMPTS + 1) is None  # then the full timeout


def test_floor_and_timeout_bound_the_deadline() -> None:
    fast = AnswerDeadlines(30.0)
    slow = AnswerDeadlines(5.0)
    for _ in range(WARM_UP):
        fast.record(COMMENTS, 0.0005)
        slow.record(COMMENTS, 2.0)
    assert fast.deadline(COMMENTS, 1) == pytest.approx(FLOOR)
    assert slow.deadline(COMMENTS, 1) is None  # 8 s would exceed the client's 5 s timeout
