"""Several datasets write at once from threads, sharing one database instance and state table."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sinkdata import TABLES, custom_fields, issues, rows

from backlog_connector.reports.base import UpdateMode
from backlog_connector.sinks.base import WriteStats
from backlog_connector.sinks.duckdb import DuckDBSink


def test_two_runs_on_different_tables_from_two_threads(sink: DuckDBSink) -> None:
    both_open = threading.Barrier(2, timeout=30)
    both_written = threading.Barrier(2, timeout=30)
    seen_mid_run: dict[str, list[str]] = {}

    def run(base: str, mode: UpdateMode, offset: int) -> WriteStats:
        r = sink.open_run(base, TABLES, mode, run_id=f"{base}-1")
        both_open.wait()  # both transactions are open (and stay open) from here on
        for n in range(20):
            ids = range(offset + n * 100, offset + (n + 1) * 100)
            r.write(issues(ids, summary=base))
            r.write(custom_fields([(i, 1) for i in ids]))
        both_written.wait()
        seen_mid_run[base] = sink.list_tables()  # neither run has committed yet
        both_written.wait()
        return r.commit({"base": base})

    with ThreadPoolExecutor(2) as pool:
        a = pool.submit(run, "alpha", UpdateMode.MERGE, 0)
        b = pool.submit(run, "beta", UpdateMode.APPEND, 10_000)
        stats = a.result(timeout=60), b.result(timeout=60)

    assert seen_mid_run == {"alpha": [], "beta": []}
    assert [s.rows_written["alpha" if i == 0 else "beta"] for i, s in enumerate(stats)] == [
        2000,
        2000,
    ]
    assert rows(sink, "alpha", "id") == [(i,) for i in range(2000)]
    assert rows(sink, "beta", "id") == [(i,) for i in range(10_000, 12_000)]
    assert sink.row_count("alpha__custom_fields") == sink.row_count("beta__custom_fields") == 2000
    assert sink.read_state("alpha") == {"base": "alpha"}
    assert sink.read_state("beta") == {"base": "beta"}


def test_readers_in_other_threads_see_only_committed_rows(sink: DuckDBSink) -> None:
    first = sink.open_run("issues", TABLES, UpdateMode.REPLACE, run_id="r1")
    first.write(issues(range(5)))
    first.commit(None)

    run = sink.open_run("issues", TABLES, UpdateMode.REPLACE, run_id="r2")
    run.write(issues(range(100, 200)))
    with ThreadPoolExecutor(4) as pool:
        counts = list(pool.map(lambda _: sink.row_count("issues"), range(8)))
    assert counts == [5] * 8
    run.commit(None)
    assert sink.row_count("issues") == 100
