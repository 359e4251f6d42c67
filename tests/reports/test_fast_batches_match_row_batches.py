"""The fast batch building (one Arrow struct conversion per batch, column-wise link tables,
fewer GC collections) gives exactly the tables of the row-by-row building it replaces, on the
same emulator pages: every column, custom fields, child tables, NULLs, Japanese text, and the
rejects of values that do not parse, including batches the fast way cannot convert."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from backlog_connector.emulator import Emulator
from backlog_connector.reports import fast_path, rejects
from backlog_connector.reports.base import RunContext, UpdateMode
from backlog_connector.reports.issue_columns import ISSUES_TABLE
from backlog_connector.reports.issues import IssuesReport
from backlog_connector.reports.values import dates_in_zone
from backlog_connector.sinks.duckdb import DuckDBSink

from .conftest import client_for

Json = dict[str, Any]
#: one batch per page of 100, so that odd issues on different pages land in different batches
BATCH = 100


def _odd_bodies(emu: Emulator) -> dict[int, str]:
    """Serve odd bodies for some issues (on pages 1, 2 and 3); what each one tests."""
    order = [i.id for i in emu.state.order]
    renderer = emu.renderer
    what: dict[int, str] = {}

    def serve(position: int, change: Callable[[Json], None], note: str) -> None:
        issue_id = order[position]
        body = copy.deepcopy(renderer.issue(emu.state.issues[issue_id]))
        change(body)
        renderer.serve_as(issue_id, body)
        what[issue_id] = note

    def unparsable(body: Json) -> None:  # the fast path converts the batch, rejects included
        body["created"] = "2014/07/15 15:00:00"
        body["startDate"] = "15.07.2014"
        body["summary"] = "日本語の件名 😀 \u0000 with a NUL"
        for entry in body["customFields"]:
            if entry["fieldTypeId"] == 3:
                entry["value"] = "abc"

    def legacy_due_date(body: Json) -> None:
        body.pop("dueDate", None)
        body["limitDate"] = "2014-06-30T15:00:00Z"

    def unknown_fields(body: Json) -> None:
        body["externalFileLinks"] = [{"id": 1, "url": "https://example.com/資料"}]
        body["watchers"] = None
        body["keyId"] = float(body["keyId"])  # 12.0: Arrow reads it as 12 either way

    def text_in_a_number(body: Json) -> None:  # the fast path cannot convert this batch
        body["estimatedHours"] = "many"
        body["assignee"] = None
        body["category"] = [None, {"id": 99, "name": None}, "odd"]

    def text_for_an_object(body: Json) -> None:
        body["status"] = "open"
        body["updatedUser"] = {"id": "7", "name": 12}

    serve(3, unparsable, "unparsable timestamp, date and custom number; Japanese, emoji, NUL")
    serve(5, legacy_due_date, "dueDate missing, limitDate set")
    serve(150, unknown_fields, "unknown top-level fields, a float key id")
    serve(160, text_in_a_number, "text in a number, NULL assignee, odd category items")
    serve(250, text_for_an_object, "text where an object belongs, wrong user field types")
    return what


def _read(
    emu: Emulator, fast: bool, monkeypatch: pytest.MonkeyPatch
) -> tuple[dict[str, pa.Table], list[rejects.Reject], int]:
    monkeypatch.setenv(fast_path.VARIABLE, "1" if fast else "0")
    report = IssuesReport(batch_rows=BATCH)
    batches: dict[str, list[pa.RecordBatch]] = {}
    with client_for(emu) as client:
        ctx = RunContext(client=client, options=report.validate_options({}),
                         space=client.address.fqdn, mode=UpdateMode.MERGE)  # fmt: skip
        with rejects.collecting() as log, dates_in_zone("Asia/Tokyo"):
            for batch in report.read(ctx):
                batches.setdefault(batch.suffix, []).append(batch.batch)
    tables = {suffix: pa.Table.from_batches(found) for suffix, found in batches.items()}
    return tables, log.kept, log.count


def _rows(table: pa.Table) -> list[dict[str, Any]]:
    return sorted(table.to_pylist(), key=repr)


def test_fast_batches_equal_row_batches_on_the_same_pages(
    make_emulator: Callable[..., Emulator], monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = make_emulator(issues=320, projects=3)
    odd = _odd_bodies(emu)

    rows_way, rows_rejects, rows_count = _read(emu, False, monkeypatch)
    fast_way, fast_rejects, fast_count = _read(emu, True, monkeypatch)

    assert set(fast_way) == set(rows_way) == {"", "categories", "versions", "milestones",
                                              "custom_fields"}  # fmt: skip
    for suffix, table in rows_way.items():
        assert fast_way[suffix].schema == table.schema, suffix
        assert _rows(fast_way[suffix]) == _rows(table), suffix
    assert fast_count == rows_count
    assert sorted(fast_rejects, key=repr) == sorted(rows_rejects, key=repr)

    # both ways of the fast building ran: pages it converts, and the page it cannot
    shape = ISSUES_TABLE.with_columns(())
    with client_for(emu) as client:
        pages = list(client.iter_offset("/issues", [("sort", "created"), ("order", "asc")]))
    plan = shape.struct_plan
    assert plan is not None
    assert plan.read(pages[0]) is not None
    assert plan.read(pages[3]) is not None
    assert plan.read(pages[1]) is None  # text in a number
    assert plan.read(pages[2]) is None  # text where an object belongs

    # the data holds what the comparison is meant to cover
    issues = {r["id"]: r for r in rows_way[""].to_pylist()}
    assert len(issues) == 320
    unparsable, legacy, unknown, text, obj = odd
    assert issues[unparsable]["created"] is None
    assert issues[unparsable]["summary"].startswith("日本語の件名 😀")
    assert {(r.column, r.raw) for r in rows_rejects if r.parent == (unparsable,)} >= {
        ("created", "2014/07/15 15:00:00"),
        ("start_date", "15.07.2014"),
    }
    assert any(r.table_suffix == "custom_fields" and r.raw == "abc" for r in rows_rejects)
    assert issues[legacy]["due_date"] is not None
    assert "externalFileLinks" in issues[unknown]["_extra"]
    assert issues[text]["estimated_hours"] is None
    assert issues[text]["assignee_id"] is None
    assert issues[obj]["status_name"] is None
    assert issues[obj]["updated_user_id"] == 7
    assert any(v is None for v in issues[unparsable].values())  # NULLs
    assert rows_way["custom_fields"].num_rows > 320
    categories = [r for r in rows_way["categories"].to_pylist() if r["issue_id"] == text]
    assert categories == [{"issue_id": text, "category_id": 99, "category_name": None,
                           "_space": categories[0]["_space"]}]  # fmt: skip


def test_both_ways_load_the_same_duckdb_tables(
    make_emulator: Callable[..., Emulator], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    emu = make_emulator(issues=250, projects=2)
    _odd_bodies_first_page(emu)
    sink = DuckDBSink(tmp_path / "warehouse.duckdb")
    try:
        for name, fast in (("rows_way", False), ("fast_way", True)):
            monkeypatch.setenv(fast_path.VARIABLE, "1" if fast else "0")
            _sync(emu, sink, name)
        for suffix in ("", "categories", "versions", "milestones", "custom_fields"):
            left = sink.preview(_name("rows_way", suffix), limit=100_000)
            right = sink.preview(_name("fast_way", suffix), limit=100_000)
            assert left.schema == right.schema, suffix
            assert _rows(left) == _rows(right), suffix
    finally:
        sink.close()


def _odd_bodies_first_page(emu: Emulator) -> None:
    first = emu.state.order[0]
    body = copy.deepcopy(emu.renderer.issue(first))
    body["updated"] = "not a time"
    emu.renderer.serve_as(first.id, body)


def _name(table: str, suffix: str) -> str:
    return f"{table}__{suffix}" if suffix else table


def _sync(emu: Emulator, sink: DuckDBSink, table: str) -> None:
    report = IssuesReport()
    with client_for(emu) as client:
        ctx = RunContext(client=client, options=report.validate_options({}),
                         space=client.address.fqdn, mode=UpdateMode.MERGE)  # fmt: skip
        run = sink.open_run(table, report.tables, ctx.mode, run_id=f"{table}-1", full=True)
        for batch in _batches(report, ctx):
            run.write(batch)
        run.commit(ctx.new_cursor)


def _batches(report: IssuesReport, ctx: RunContext) -> Iterator[Any]:
    with rejects.collecting():
        yield from report.read(ctx)
