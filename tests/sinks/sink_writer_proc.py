"""A separate process that writes a slow run into a warehouse, for the kill -9 tests.

usage: python sink_writer_proc.py PATH MODE RUN_ID BATCHES ROWS_PER_BATCH DELAY_SECONDS

PATH is a DuckDB file, or ``postgresql://...#schema`` for a PostgreSQL destination. Prints
``wrote N`` after each batch, ``committing`` before the commit and ``committed`` after it.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from sinkdata import TABLES, custom_fields, issues

from backlog_connector.reports.base import UpdateMode
from backlog_connector.sinks.base import Sink
from backlog_connector.sinks.duckdb import DuckDBSink


def _sink(path: str) -> Sink:
    if path.startswith("postgresql://"):
        from backlog_connector.sinks.postgres import PostgresSink

        url, _, schema = path.partition("#")
        return PostgresSink(url, schema)
    return DuckDBSink(Path(path))


def main() -> None:
    path, mode, run_id, batches, size, delay = sys.argv[1:7]
    sink = _sink(path)
    try:
        run = sink.open_run("issues", TABLES, UpdateMode(mode), run_id=run_id)
        if mode == "merge":
            run.delete([(1,), (2,)])
        for n in range(int(batches)):
            start = n * int(size) + 50  # overlaps the seeded ids 1..100, then new ones
            ids = range(start, start + int(size))
            run.write(issues(ids, summary=f"{run_id}-"))
            run.write(custom_fields([(i, 99) for i in ids[:100]], value=run_id))
            print(f"wrote {n + 1}", flush=True)
            time.sleep(float(delay))
        print("committing", flush=True)
        run.commit({"run": run_id})
    finally:
        sink.close()
    print("committed", flush=True)


if __name__ == "__main__":
    main()
