"""Values present in the JSON that their column cannot hold: which ones count as refused, and
how the rejects table keeps them (no server needed)."""

from __future__ import annotations

import datetime as dt

import orjson

from backlog_connector.reports import rejects
from backlog_connector.reports.columns import TableShape, field
from backlog_connector.reports.values import (
    DATE,
    INT,
    INT_LIST,
    STRING,
    TIMESTAMP,
    refused,
    to_array,
)

SHAPE = TableShape(
    "",
    (
        field("id", INT),
        field("when", TIMESTAMP),
        field("day", DATE),
        field("n", INT),
        field("ids", INT_LIST),
        field("note", STRING),
    ),
    key=("id",),
)


def test_only_present_values_that_become_null_are_refused() -> None:
    values = ["2014-07-15T15:00:00Z", None, "", "  ", "2014/07/15 15:00:00", 12]
    assert refused(values, to_array(values, TIMESTAMP)) == [4]  # None and blanks are missing
    numbers = [1, "2", "two", 2.5, None]
    assert refused(numbers, to_array(numbers, INT)) == [2, 3]
    lists = [[1, 2], [1, "x"], None]
    assert refused(lists, to_array(lists, INT_LIST)) == [1]


def test_a_batch_notes_its_rejects_with_the_row_key_and_the_raw_value() -> None:
    rows = [
        {
            "id": 1,
            "when": "2014-07-15T15:00:00Z",
            "day": "2014-07-15T15:00:00Z",
            "n": 3,
            "ids": [1],
            "note": "fine",
        },
        {
            "id": 2,
            "when": "2014/07/15 15:00:00",
            "day": "15.07.2014",
            "n": "many",
            "ids": [1, "one"],
            "note": {"any": "text is never refused"},
        },
    ]
    with rejects.collecting() as log:
        batch = SHAPE.batch(rows, "acme.backlog.com")
    first, second = batch.to_pylist()
    assert first["day"].isoformat() == "2014-07-16"  # the Tokyo midnight
    assert (second["when"], second["day"], second["n"], second["ids"]) == (None, None, None, None)
    assert log.count == 4
    assert [(r.column, r.raw, r.parent, orjson.loads(r.row_key)) for r in log.kept] == [
        ("when", "2014/07/15 15:00:00", (2,), {"id": 2}),
        ("day", "15.07.2014", (2,), {"id": 2}),
        ("n", "many", (2,), {"id": 2}),
        ("ids", '[1,"one"]', (2,), {"id": 2}),
    ]
    assert "timestamp" in log.kept[0].reason
    assert "integer" in log.kept[2].reason


def test_the_log_counts_everything_but_keeps_a_bounded_number() -> None:
    with rejects.collecting(rejects.RejectLog(limit=2)) as log:
        SHAPE.batch([{"id": i, "n": "x"} for i in range(5)], "s")
    assert (log.count, len(log.kept)) == (5, 2)


def test_the_rejects_table_carries_the_main_key_and_the_space() -> None:
    spec = rejects.rejects_spec(SHAPE.spec())
    assert spec.suffix == "rejects"
    assert spec.parent_key == ("id",)
    log = rejects.RejectLog()
    log.add(rejects.Reject("", (7,), '{"id": 7}', "n", "many", "not an integer"))
    row = rejects.rejects_batch(log, spec, "acme.backlog.com").to_pylist()[0]
    assert row == {
        "id": 7,
        "table_suffix": "",
        "row_key": '{"id": 7}',
        "column_name": "n",
        "raw_value": "many",
        "reason": "not an integer",
        "_space": "acme.backlog.com",
    }


def test_without_a_run_nothing_is_collected() -> None:
    assert rejects.current() is None
    SHAPE.batch([{"id": 1, "n": "x"}], "s")  # no log: built all the same


def test_date_only_values_are_midnights_of_the_space_zone() -> None:
    from backlog_connector.reports.values import dates_in_zone, parse_date

    def day(value: str) -> str:
        number = parse_date(value)
        assert number is not None
        return (dt.date(1970, 1, 1) + dt.timedelta(days=number)).isoformat()

    # without the zone: the nearest UTC midnight (right from UTC-11 to UTC+12)
    assert day("2014-07-15T15:00:00Z") == "2014-07-16"  # Tokyo
    assert day("2014-12-14T11:00:00Z") == "2014-12-14"  # wrong for Auckland in summer (+13)
    with dates_in_zone("Pacific/Auckland"):
        assert day("2014-12-14T11:00:00Z") == "2014-12-15"  # midnight there
        assert day("2014-12-15T00:00:00Z") == "2014-12-15"  # a UTC midnight stays that day
        assert day("2024-06-24") == "2024-06-24"
    with dates_in_zone("Asia/Tokyo"):
        assert day("2014-07-15T15:00:00Z") == "2014-07-16"
    with dates_in_zone("Not/A_Zone"):
        assert day("2014-07-15T15:00:00Z") == "2014-07-16"  # unknown zone: rounding
