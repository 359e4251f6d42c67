"""Read helpers, exports, drop, table ownership and opening the file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from sinkdata import CHILD, MAIN, TABLES, custom_fields, issues, rows

from backlog_connector.backlog.errors import InvalidOptionError, NotFoundError
from backlog_connector.reports.base import UpdateMode
from backlog_connector.sinks.duckdb import DuckDBSink, DuckDBWarehouse, open_read_only
from backlog_connector.sinks.errors import (
    InvalidTableNameError,
    TableOwnershipError,
    UnknownTableError,
    WarehouseError,
    WarehouseOpenError,
)

REPLACE = UpdateMode.REPLACE


def _fill(sink: DuckDBSink, base: str = "issues", ids: range = range(1, 6)) -> None:
    run = sink.open_run(base, TABLES, REPLACE, run_id="r1")
    run.write(issues(ids))
    run.write(custom_fields([(i, 1) for i in ids]))
    run.commit({"base": base})


def test_list_describe_count_preview(sink: DuckDBSink) -> None:
    _fill(sink)
    _fill(sink, "a_second")
    assert sink.list_tables() == [
        "a_second",
        "a_second__custom_fields",
        "issues",
        "issues__custom_fields",
    ]
    assert [c for c, _ in sink.describe("issues__custom_fields")] == CHILD.schema.names
    assert sink.row_count("issues") == 5
    assert sink.row_count("ISSUES") == 5  # DuckDB names ignore case
    preview = sink.preview("issues", 2)
    assert preview.num_rows == 2
    assert preview.column_names == MAIN.schema.names
    assert sink.preview("issues", 0).num_rows == 0


@pytest.mark.parametrize("limit", [-1, 2.5, "10", True])
def test_preview_rejects_bad_limits(sink: DuckDBSink, limit: object) -> None:
    _fill(sink)
    with pytest.raises(InvalidOptionError, match="limit"):
        sink.preview("issues", limit)  # type: ignore[arg-type]


@pytest.mark.parametrize("table", ["nope", "_backlog_connector_state", 'x"; DROP TABLE issues; --'])
def test_unknown_tables_are_reported(sink: DuckDBSink, table: str) -> None:
    _fill(sink)
    for call in (sink.describe, sink.row_count, sink.preview):
        with pytest.raises(UnknownTableError, match="no table") as err:
            call(table)
        assert isinstance(err.value, NotFoundError)
    assert sink.row_count("issues") == 5


def test_export_csv_and_parquet(sink: DuckDBSink, tmp_path: Path) -> None:
    _fill(sink)
    assert sink.export("issues", "parquet", tmp_path / "i.parquet") == 5
    table = pq.read_table(tmp_path / "i.parquet")
    assert table.schema.types == sink.preview("issues").schema.types
    assert sorted(table.column("id").to_pylist()) == [1, 2, 3, 4, 5]

    assert sink.export("issues", "csv", tmp_path / "i.csv") == 5
    text = (tmp_path / "i.csv").read_text()
    assert text.splitlines()[0] == "id,summary,updated,due_date,_space"
    assert "2024-01-01 09:31:00+00" in text  # TIMESTAMPTZ rendered in UTC
    csv = pacsv.read_csv(tmp_path / "i.csv")
    assert csv.num_rows == 5
    assert date(2024, 2, 2) in csv.column("due_date").to_pylist()
    assert not [p for p in tmp_path.iterdir() if "partial" in p.name]


def test_export_rejects_bad_input_and_writes_nothing(sink: DuckDBSink, tmp_path: Path) -> None:
    _fill(sink)
    with pytest.raises(InvalidOptionError, match="csv, parquet, json, xlsx"):
        sink.export("issues", "xml", tmp_path / "i.xml")
    with pytest.raises(InvalidOptionError, match="does not exist"):
        sink.export("issues", "csv", tmp_path / "missing" / "i.csv")
    with pytest.raises(InvalidOptionError, match="directory"):
        sink.export("issues", "csv", tmp_path)
    with pytest.raises(UnknownTableError):
        sink.export("nope", "csv", tmp_path / "n.csv")
    assert not any(p.suffix in (".xml", ".csv") or "partial" in p.name for p in tmp_path.iterdir())


def test_export_overwrites_an_existing_file(sink: DuckDBSink, tmp_path: Path) -> None:
    _fill(sink)
    out = tmp_path / "i.csv"
    out.write_text("old")
    sink.export("issues", "csv", out)
    assert out.read_text().startswith("id,")


def test_drop_removes_the_table_its_children_and_its_state(sink: DuckDBSink) -> None:
    _fill(sink)
    _fill(sink, "other")
    assert sink.drop("issues") == ["issues", "issues__custom_fields"]
    assert sink.list_tables() == ["other", "other__custom_fields"]
    assert sink.read_state("issues") is None
    assert sink.read_state("other") == {"base": "other"}
    assert sink.drop("issues") == []
    _fill(sink)  # the name is free again
    assert sink.row_count("issues") == 5


def test_drop_and_open_run_check_the_name(sink: DuckDBSink) -> None:
    for bad in ("_backlog_connector_state", "Bad Name", ""):
        with pytest.raises(InvalidTableNameError):
            sink.drop(bad)
        with pytest.raises(InvalidTableNameError):
            sink.open_run(bad, TABLES, REPLACE, run_id="r1")
    with pytest.raises(InvalidOptionError, match="update mode"):
        sink.open_run("issues", TABLES, "upsert", run_id="r1")  # type: ignore[arg-type]
    with pytest.raises(InvalidOptionError, match="run_id"):
        sink.open_run("issues", TABLES, REPLACE, run_id="")


def test_a_foreign_table_is_never_replaced(sink: DuckDBSink, warehouse_path: Path) -> None:
    sink.close()
    con = duckdb.connect(str(warehouse_path))
    con.execute("CREATE TABLE issues AS SELECT 42 AS answer")
    con.close()
    with DuckDBSink(warehouse_path) as again:
        with pytest.raises(TableOwnershipError, match="not created by Backlog Connector"):
            again.open_run("issues", TABLES, REPLACE, run_id="r1")
        assert rows(again, "issues") == [(42,)]


def test_another_datasets_child_table_name_is_refused(sink: DuckDBSink) -> None:
    _fill(sink)
    with pytest.raises(TableOwnershipError, match="belongs to the dataset table 'issues'"):
        sink.open_run("issues__custom_fields", [MAIN], REPLACE, run_id="r1")
    assert sink.row_count("issues__custom_fields") == 5


def test_read_only_opening(warehouse_path: Path, tmp_path: Path) -> None:
    with pytest.raises(WarehouseOpenError, match="does not exist"):
        open_read_only(warehouse_path)
    with DuckDBSink(warehouse_path) as sink:
        _fill(sink)
        run = sink.open_run("issues", TABLES, REPLACE, run_id="r2")
        run.write(issues(range(100, 110)))
        # the sink holds nothing open while a run stages: readers of this process get in
        with open_read_only(warehouse_path) as beside:
            assert beside.row_count("issues") == 5
        run.abort()
    with open_read_only(warehouse_path) as reader:
        assert isinstance(reader, DuckDBWarehouse)
        assert not isinstance(reader, DuckDBSink)
        assert reader.row_count("issues") == 5
        assert reader.read_state("issues") == {"base": "issues"}
    reader.close()
    with pytest.raises(WarehouseError, match="closed"):
        reader.row_count("issues")


def test_files_that_are_not_warehouses(tmp_path: Path) -> None:
    junk = tmp_path / "junk.duckdb"
    junk.write_text("not a database")
    with pytest.raises(WarehouseOpenError, match="cannot open"):
        open_read_only(junk)
    with pytest.raises(WarehouseOpenError, match="directory"):
        DuckDBSink(tmp_path)


def test_two_sinks_on_one_path_in_one_process_share_the_database(warehouse_path: Path) -> None:
    with DuckDBSink(warehouse_path) as first, DuckDBSink(warehouse_path) as second:
        _fill(first)
        assert second.row_count("issues") == 5


def test_close_rolls_back_open_runs(warehouse_path: Path) -> None:
    with DuckDBSink(warehouse_path) as sink:
        _fill(sink)
        run = sink.open_run("issues", TABLES, REPLACE, run_id="r2")
        run.write(issues(range(100, 110)))
    with DuckDBSink(warehouse_path) as sink:
        assert rows(sink, "issues", "id") == [(i,) for i in range(1, 6)]


def test_memory_limit(warehouse_path: Path, tmp_path: Path) -> None:
    with DuckDBSink(warehouse_path, memory_limit="300MB") as sink:
        run = sink.open_run("issues", TABLES, REPLACE, run_id="r1")
        limit = run._cur.execute("SELECT current_setting('memory_limit')").fetchall()  # type: ignore[attr-defined]
        assert limit == [("286.1 MiB",)]  # 300 MB, for the run's staging file
        run.write(issues([1]))
        run.commit(None)
        _fill(sink)
    with pytest.raises(InvalidOptionError, match=r"e\.g\. '512MB'"):
        DuckDBSink(tmp_path / "other.duckdb", memory_limit="lots")
    assert not (tmp_path / "other.duckdb").exists()
