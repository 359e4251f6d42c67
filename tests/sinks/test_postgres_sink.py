"""What only the PostgreSQL destination has to promise: users' views and grants survive every
run, a reader delays a commit but never fails it, a SIGKILL at any stage leaves the previous
tables, names past 63 bytes are shortened and mapped back, and bad destinations are refused."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pyarrow as pa
import pytest
from sinkdata import TABLES, custom_fields, issues, rows
from writer import start_writer, wait_for

from backlog_connector.backlog.errors import ConfigurationError
from backlog_connector.reports.base import UpdateMode
from backlog_connector.sinks import postgres_run
from backlog_connector.sinks.errors import (
    DestinationError,
    RunFinishedError,
    SchemaConflictError,
    WarehouseBusyError,
    WarehouseError,
)
from backlog_connector.sinks.postgres import PostgresSink, check_destination
from backlog_connector.sinks.postgres_conn import describe_url, normalise_url
from backlog_connector.sinks.postgres_types import MAX_IDENTIFIER_BYTES, pg_identifier
from pgtools import password_server

CF = "issues__custom_fields"
MERGE, REPLACE = UpdateMode.MERGE, UpdateMode.REPLACE


@pytest.fixture
def pg(sink_database: str, pg_schema: str) -> Iterator[PostgresSink]:
    s = PostgresSink(sink_database, pg_schema)
    yield s
    s.close()


def _sql(url: str, statement: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(statement, params or None)
        return cur.fetchall() if cur.description else []


def _seed(sink: PostgresSink, mode: UpdateMode = MERGE) -> None:
    run = sink.open_run("issues", TABLES, mode, run_id="seed", full=True)
    run.write(issues(range(1, 101)))
    run.write(custom_fields([(i, 1) for i in range(1, 101)]))
    run.commit({"run": "seed"})


def _snapshot(sink: PostgresSink) -> tuple[object, ...]:
    return (
        sink.list_tables(),
        sink.describe("issues"),
        rows(sink, "issues"),
        rows(sink, CF),
        sink.read_state("issues"),
    )


def _staging_tables(url: str, *, settle_seconds: float = 10.0) -> list[str]:
    """Staging tables left in the database. A closed or killed session's temporary tables go
    when its server process has finished exiting, a moment after the client let go: wait for
    that (up to ``settle_seconds``)."""
    deadline = time.monotonic() + settle_seconds
    while True:
        found = _sql(url, "SELECT relname FROM pg_class WHERE relname LIKE '\\_bc\\_%'")
        if not found or time.monotonic() > deadline:
            return sorted(r[0] for r in found)
        time.sleep(0.1)


@pytest.mark.parametrize("mode", [REPLACE, MERGE])
def test_a_view_and_a_grant_on_a_table_survive_every_run(
    pg: PostgresSink, sink_database: str, pg_schema: str, mode: UpdateMode
) -> None:
    _seed(pg, mode)
    view = f'"{pg_schema}".open_issues'
    _sql(sink_database, f'CREATE VIEW {view} AS SELECT id, summary FROM "{pg_schema}".issues')
    _sql(sink_database, "DROP ROLE IF EXISTS bc_reader")
    _sql(sink_database, "CREATE ROLE bc_reader")
    try:
        _sql(sink_database, f'GRANT SELECT ON "{pg_schema}".issues TO bc_reader')
        for n, full in enumerate((False, True, False)):
            run = pg.open_run("issues", TABLES, mode, run_id=f"r{n}", full=full)
            run.write(issues(range(50, 160), summary=f"run{n}-"))
            run.write(custom_fields([(i, 2) for i in range(50, 60)]))
            if mode is MERGE:
                run.delete([(1,), (2,)])
            run.commit({"n": n})
            seen = _sql(
                sink_database,
                f"SELECT count(*), count(*) FILTER (WHERE summary LIKE 'run{n}-%') FROM {view}",
            )[0]
            # merge: 1..159 less the two deleted, until the full run rebuilds to 50..159
            expected = 157 if mode is MERGE and n == 0 else 110
            assert seen == (expected, 110)
        granted = _sql(
            sink_database,
            "SELECT privilege_type FROM information_schema.role_table_grants "
            "WHERE grantee = 'bc_reader' AND table_schema = %s AND table_name = 'issues'",
            pg_schema,
        )
        assert granted == [("SELECT",)]
    finally:
        _sql(sink_database, f"DROP VIEW IF EXISTS {view}")
        _sql(sink_database, f'REVOKE ALL ON ALL TABLES IN SCHEMA "{pg_schema}" FROM bc_reader')
        _sql(sink_database, "DROP ROLE IF EXISTS bc_reader")


def test_a_column_a_view_uses_is_kept_by_replace_and_its_type_change_is_refused(
    pg: PostgresSink, sink_database: str, pg_schema: str
) -> None:
    run = pg.open_run("issues", TABLES, REPLACE, run_id="r1")
    run.write(issues([1], cf_x=pa.array([5], pa.int64()), cf_y=pa.array(["y"])))
    run.commit(None)
    _sql(sink_database, f'CREATE VIEW "{pg_schema}".v AS SELECT id, cf_x FROM "{pg_schema}".issues')
    run = pg.open_run("issues", TABLES, REPLACE, run_id="r2")
    run.write(issues([2]))  # neither cf_x nor cf_y: cf_y is dropped, cf_x stays (the view)
    run.commit(None)
    columns = dict(pg.describe("issues"))
    assert "cf_y" not in columns
    assert columns["cf_x"] == "bigint"
    assert rows(pg, "issues", "id", "cf_x") == [(2, None)]

    before = _snapshot(pg)
    run = pg.open_run("issues", TABLES, REPLACE, run_id="r3")
    run.write(issues([3], cf_x=pa.array(["five"])))
    with pytest.raises(SchemaConflictError, match="view") as err:
        run.commit(None)
    assert isinstance(err.value, ConfigurationError)
    assert _snapshot(pg) == before


def test_names_past_63_bytes_are_shortened_deterministically_and_mapped_back(
    pg: PostgresSink, sink_database: str, pg_schema: str
) -> None:
    long_a = "cf_" + "担当部署" * 6  # 3 + 72 bytes
    long_b = "cf_" + "担当部署" * 6 + "二"  # shares the first 63 bytes with long_a
    assert pg_identifier(long_a) != pg_identifier(long_b)
    assert pg_identifier(long_a) == pg_identifier(long_a)
    assert all(len(pg_identifier(n).encode()) <= MAX_IDENTIFIER_BYTES for n in (long_a, long_b))
    for n, values in enumerate((["a", "b"], ["c", "d"])):
        run = pg.open_run("issues", TABLES, MERGE, run_id=f"r{n}")
        run.write(issues([1, 2 + n], **{long_a: pa.array(values), long_b: pa.array([10 + n, 20])}))
        run.commit(None)
    columns = dict(pg.describe("issues"))
    assert columns[pg_identifier(long_a)] == "text"
    assert columns[pg_identifier(long_b)] == "bigint"
    assert pg.column_sources("issues") == {
        pg_identifier(long_a): long_a,
        pg_identifier(long_b): long_b,
    }
    assert rows(pg, "issues", "id", pg_identifier(long_a), pg_identifier(long_b)) == [
        (1, "c", 11),
        (2, "b", 20),
        (3, "d", 20),
    ]
    # a long dataset name: the table and its child fit too, and read back by the dataset's name
    base = "t" * 60
    run = pg.open_run(base, TABLES, MERGE, run_id="long")
    run.write(issues([1]))
    run.write(custom_fields([(1, 1)]))
    run.commit(None)
    assert pg.row_count(base) == 1
    assert pg.row_count(f"{base}__custom_fields") == 1
    stored = _sql(
        sink_database,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
        "AND table_name LIKE 'ttt%%'",
        pg_schema,
    )
    assert len(stored) == 2
    assert all(len(n.encode()) <= 63 for (n,) in stored)
    assert sorted(pg.drop(base)) == sorted(n for (n,) in stored)


def test_a_reader_holding_a_table_delays_the_commit_and_it_then_succeeds(
    sink_database: str, pg_schema: str
) -> None:
    waits: list[str] = []
    sink = PostgresSink(sink_database, pg_schema, on_wait=waits.append)
    try:
        _seed(sink, REPLACE)
        reader = psycopg.connect(sink_database)
        reader.execute(f'SELECT count(*) FROM "{pg_schema}".issues').fetchone()  # ACCESS SHARE
        result: dict[str, Any] = {}

        def replace() -> None:
            run = sink.open_run("issues", TABLES, REPLACE, run_id="r2")
            run.write(issues(range(1, 11), summary="new"))
            result["stats"] = run.commit({"run": "r2"})

        worker = threading.Thread(target=replace)
        worker.start()
        deadline = time.monotonic() + 30
        while not waits and time.monotonic() < deadline:
            time.sleep(0.05)
        assert waits
        assert "waiting for readers" in waits[0]
        # the reader still sees the old table, whole
        assert reader.execute(f'SELECT count(*) FROM "{pg_schema}".issues').fetchone() == (100,)
        reader.rollback()
        reader.close()
        worker.join(timeout=30)
        assert result["stats"].rows_written == {"issues": 10}
        assert sink.row_count("issues") == 10
        assert sink.read_state("issues") == {"run": "r2"}
    finally:
        sink.close()


def test_a_reader_that_never_lets_go_fails_the_commit_with_who_to_close(
    sink_database: str, pg_schema: str
) -> None:
    sink = PostgresSink(sink_database, pg_schema, lock_wait_seconds=3)
    try:
        _seed(sink, REPLACE)
        before = _snapshot(sink)
        with psycopg.connect(sink_database) as reader:
            reader.execute(f'SELECT 1 FROM "{pg_schema}".issues LIMIT 1').fetchone()
            run = sink.open_run("issues", TABLES, REPLACE, run_id="r2")
            run.write(issues([1]))
            with pytest.raises(WarehouseBusyError, match="pg_stat_activity"):
                run.commit(None)
            reader.rollback()
        assert _snapshot(sink) == before
        assert _staging_tables(sink_database) == []
    finally:
        sink.close()


def _writer(target: str, mode: str, batches: int, delay: float) -> subprocess.Popen[str]:
    return start_writer(target, mode, "doomed", batches, 2000, delay)


@pytest.mark.parametrize("stage", ["staging", "applying"])
@pytest.mark.parametrize("mode", ["replace", "merge"])
def test_kill_9_at_each_stage_leaves_the_tables_and_the_next_run_completes(
    pg: PostgresSink, sink_database: str, pg_schema: str, mode: str, stage: str
) -> None:
    _seed(pg, UpdateMode(mode))
    before = _snapshot(pg)
    reader = psycopg.connect(sink_database)
    target = f"{sink_database}#{pg_schema}"
    try:
        if stage == "staging":
            proc = _writer(target, mode, batches=100_000, delay=0.0)
            wait_for(proc, "wrote 20")
        else:
            # a reader holds the tables, so the applying transaction is open and waiting
            reader.execute(f'SELECT 1 FROM "{pg_schema}".issues LIMIT 1').fetchone()
            reader.execute(f'LOCK TABLE "{pg_schema}".issues IN SHARE MODE')
            proc = _writer(target, mode, batches=3, delay=0.0)
            wait_for(proc, "committing")
            time.sleep(1.0)  # inside the applying transaction's lock wait
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        reader.rollback()
        reader.close()
    assert _snapshot(pg) == before
    assert _staging_tables(sink_database) == []  # the dead session's temp tables are gone

    run = pg.open_run("issues", TABLES, UpdateMode(mode), run_id="after")
    run.write(issues(range(1, 11), summary="after"))
    run.commit({"run": "after"})
    assert pg.read_state("issues") == {"run": "after"}
    expected = 10 if mode == "replace" else 100
    assert pg.row_count("issues") == expected
    assert ("after1",) in [(r[0],) for r in rows(pg, "issues", "summary")]


def test_an_aborted_or_failed_run_leaves_no_staging_tables(
    pg: PostgresSink, sink_database: str
) -> None:
    _seed(pg)
    before = _snapshot(pg)
    for full in (False, True):
        run = pg.open_run("issues", TABLES, MERGE, run_id="r2", full=full)
        run.write(issues([7, 8]))
        run.delete([(1,)])
        run.abort()
    assert _staging_tables(sink_database) == []
    assert _snapshot(pg) == before


def test_a_failed_queued_copy_surfaces_at_the_next_call_and_rolls_back(
    pg: PostgresSink, sink_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(pg)
    before = _snapshot(pg)
    calls = []
    original = postgres_run.PostgresSinkRun._stage

    def failing(self: Any, *args: Any) -> None:
        calls.append(args)
        if len(calls) == 2:
            raise WarehouseError("disk went away")
        original(self, *args)

    monkeypatch.setattr(postgres_run.PostgresSinkRun, "_stage", failing)
    run = pg.open_run("issues", TABLES, MERGE, run_id="r2")
    run.write(issues([300]))  # a new schema: staged at once
    run.write(issues([301]))  # queued; fails on the helper thread
    with pytest.raises(WarehouseError, match="disk went away"):
        run.commit({"n": 2})
    with pytest.raises(RunFinishedError):
        run.write(issues([99]))
    assert _snapshot(pg) == before
    assert _staging_tables(sink_database) == []


def test_check_destination_refuses_what_cannot_work_without_showing_the_password(
    sink_database: str,
) -> None:
    host = sink_database.split("@", 1)[1].split("/", 1)[0]
    secret = "s3cr3t-Pa55"
    cases = {
        "mysql://u@h/db": "scheme",
        "postgresql:///db": "no host",
        f"postgresql://postgres:{secret}@{host}/": "no database",
        f"postgresql://postgres:{secret}@{host}/bc_no_such_db_here": "does not exist",
        f"postgresql://nobody_here:{secret}@{host}/test": "refused the login",
        f"postgresql://postgres:{secret}@127.0.0.1:9/test": "cannot reach",
    }
    for url, expected in cases.items():
        with pytest.raises(DestinationError, match=expected) as err:
            check_destination(url)
        assert secret not in str(err.value)
        assert isinstance(err.value, ConfigurationError)
    assert (
        normalise_url("postgres://u@h:5/d?sslmode=require")
        == "postgresql://u@h:5/d?sslmode=require"
    )
    assert secret not in describe_url(f"postgresql://u:{secret}@h/d")
    shown = describe_url(f"postgresql://u@h/d?sslmode=require&password={secret}&sslpassword=x")
    assert shown == "postgresql://u@h/d?sslmode=require"


def test_check_destination_refuses_a_user_who_may_not_create_tables(sink_database: str) -> None:
    _sql(sink_database, "DROP ROLE IF EXISTS bc_no_create")
    _sql(sink_database, "CREATE ROLE bc_no_create LOGIN")
    try:
        _sql(sink_database, "CREATE SCHEMA IF NOT EXISTS locked")
        _sql(sink_database, "REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        head, _, rest = sink_database.partition("://")
        url = f"{head}://bc_no_create@{rest.split('@', 1)[1]}"
        with pytest.raises(DestinationError, match="may not"):
            check_destination(url, "locked")
        check_destination(sink_database, "locked")  # the owner may
    finally:
        _sql(sink_database, "DROP SCHEMA IF EXISTS locked CASCADE")
        _sql(sink_database, "DROP OWNED BY bc_no_create")
        _sql(sink_database, "DROP ROLE IF EXISTS bc_no_create")


def test_drop_refuses_while_a_view_depends_and_changes_nothing(
    pg: PostgresSink, sink_database: str, pg_schema: str
) -> None:
    _seed(pg)
    _sql(sink_database, f'CREATE VIEW "{pg_schema}".v AS SELECT id FROM "{pg_schema}".issues')
    before = _snapshot(pg)
    with pytest.raises(ConfigurationError, match="view"):
        pg.drop("issues")
    assert _snapshot(pg) == before
    _sql(sink_database, f'DROP VIEW "{pg_schema}".v')
    assert pg.drop("issues") == sorted(["issues", CF])
    assert pg.list_tables() == []


def test_a_wrong_password_is_refused_and_never_shown() -> None:
    right, wrong = "Right-Pa55word", "Wrong-Pa55word"
    with password_server(right) as url:
        server = url.split("@", 1)[1]
        check_destination(f"postgresql://bc:{right}@{server}")  # the right one gets in
        with pytest.raises(DestinationError, match="refused the login") as err:
            check_destination(f"postgresql://bc:{wrong}@{server}")
        assert wrong not in str(err.value)
        assert right not in str(err.value)


def test_a_dropped_schema_is_made_again_by_the_next_run_of_the_same_sink(
    pg: PostgresSink, sink_database: str, pg_schema: str
) -> None:
    _seed(pg)
    _sql(sink_database, f'DROP SCHEMA "{pg_schema}" CASCADE')
    assert pg.read_state("issues") is None  # the state went with it: the next run is full
    run = pg.open_run("issues", TABLES, MERGE, run_id="again", full=True)
    run.write(issues([1, 2]))
    run.commit({"run": "again"})
    assert pg.row_count("issues") == 2
    assert pg.read_state("issues") == {"run": "again"}


def test_url_query_values_reach_libpq_as_given() -> None:
    from backlog_connector.sinks.postgres_conn import libpq_url

    url = libpq_url("postgresql://u@h/d?options=-c%20search_path%3Dfoo&application_name=a+b")
    assert "options=-c%20search_path%3Dfoo" in url  # a space stays a space (not '+')
    assert "application_name=a%2Bb" in url  # and a plus stays a plus
    with pytest.raises(DestinationError, match="malformed"):
        normalise_url("postgresql://u:x@[::1:5432/db")
