"""A separate process that writes a slow run into a warehouse, for the kill -9 tests.

usage: python sink_writer_proc.py PATH MODE RUN_ID BATCHES ROWS_PER_BATCH DELAY_SECONDS

Prints ``wrote N`` after each batch and ``committed`` at the end.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from sinkdata import TABLES, custom_fields, issues

from backlog_connector.reports.base import UpdateMode
from backlog_connector.sinks.duckdb import DuckDBSink


def main() -> None:
    path, mode, run_id, batches, size, delay = sys.argv[1:7]
    with DuckDBSink(Path(path)) as sink:
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
        run.commit({"run": run_id})
    print("committed", flush=True)


if __name__ == "__main__":
    main()
