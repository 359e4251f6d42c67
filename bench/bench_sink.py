"""Benchmark of the DuckDB sink: rows/s and peak RSS, replace and merge, 100k vs 200k rows.

Writes issue-like rows (40 columns, plus 2 custom-field child rows per issue) in 1,000-row Arrow
batches. Each (mode, size) runs in a fresh process so its peak RSS is its own; memory must stay
flat when the row count doubles. Prints one JSON object.

DuckDB keeps recently written blocks in its buffer cache up to its ``memory_limit`` (DuckDB's
default: 80 % of RAM), so RSS without a cap grows with the data as a cache, not as a leak. The
benchmark caps it at 256MB by default to show what the sink itself holds; ``--memory-limit none``
measures DuckDB's default.

usage: python bench/bench_sink.py [--rows 100000 200000] [--batch 1000] [--memory-limit 256MB]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa

from backlog_connector.reports.base import TableBatch, TableSpec, UpdateMode
from backlog_connector.sinks.duckdb import DuckDBSink

SPACE = "bench.backlog.com"
T0 = datetime(2023, 1, 1, tzinfo=UTC)


def _template(n: int) -> dict[str, pa.Array]:
    """Column values shaped like ``GET /issues`` rows, flattened (ids vary per batch)."""
    ints = list(range(n))

    def text(prefix: str, size: int = 1) -> pa.Array:
        return pa.array([f"{prefix} {i % 97} " * size for i in ints])

    def ts(offset: int) -> pa.Array:
        return pa.array(
            [T0 + timedelta(minutes=i + offset) for i in ints], pa.timestamp("us", "UTC")
        )

    def day(offset: int) -> pa.Array:
        return pa.array([date(2023, 1, 1) + timedelta(days=(i + offset) % 700) for i in ints])

    def small(mod: int) -> pa.Array:
        return pa.array([i % mod for i in ints], pa.int64())

    return {
        "project_id": small(5),
        "key_id": small(100_000),
        "issue_key": text("PRJ"),
        "issue_type_id": small(4),
        "issue_type_name": text("Task"),
        "issue_type_color": text("#e30000"),
        "summary": text("Fix the thing in module", 2),
        "description": text("A longer description of what goes wrong and how to reproduce", 6),
        "resolution_id": small(5),
        "resolution_name": text("Fixed"),
        "priority_id": small(3),
        "priority_name": text("Normal"),
        "status_id": small(4),
        "status_name": text("In Progress"),
        "status_color": text("#4488c5"),
        "status_display_order": small(4000),
        "assignee_id": small(50),
        "assignee_user_id": text("user"),
        "assignee_name": text("Someone Somebody"),
        "assignee_mail_address": text("someone@example.com"),
        "category_names": text("Backend, API"),
        "version_names": text("v1.2"),
        "milestone_names": text("Sprint"),
        "start_date": day(0),
        "due_date": day(30),
        "estimated_hours": pa.array([float(i % 16) for i in ints]),
        "actual_hours": pa.array([float(i % 12) for i in ints]),
        "parent_issue_id": pa.array([None if i % 3 else i for i in ints], pa.int64()),
        "created_user_id": small(50),
        "created_user_name": text("Creator Person"),
        "created": ts(0),
        "updated_user_id": small(50),
        "updated_user_name": text("Updater Person"),
        "updated": ts(600),
        "attachment_count": small(3),
        "shared_file_count": small(2),
        "star_count": small(7),
        "_space": pa.array([SPACE] * n),
    }


def _batches(total: int, size: int, tag: str) -> Iterator[TableBatch]:
    template = _template(size)
    for start in range(0, total, size):
        n = min(size, total - start)
        ids = pa.array(range(start + 1, start + n + 1), pa.int64())
        cols = {"id": ids, **{k: v.slice(0, n) for k, v in template.items()}}
        cols["summary"] = pa.array([f"{tag} {i}" for i in range(start, start + n)])
        yield TableBatch("", pa.RecordBatch.from_pydict(cols))
        yield TableBatch(
            "custom_fields",
            pa.RecordBatch.from_pydict(
                {
                    "issue_id": pa.concat_arrays([ids, ids]),
                    "field_id": pa.array([1] * n + [2] * n, pa.int64()),
                    "value": pa.array([tag] * (2 * n)),
                    "_space": pa.array([SPACE] * (2 * n)),
                }
            ),
        )


def _specs(size: int) -> tuple[TableSpec, TableSpec]:
    main = pa.RecordBatch.from_pydict({"id": pa.array([1], pa.int64()), **_template(1)}).schema
    child = pa.schema(
        [
            ("issue_id", pa.int64()),
            ("field_id", pa.int64()),
            ("value", pa.string()),
            ("_space", pa.string()),
        ]
    )
    return (
        TableSpec("", main, key=("id",)),
        TableSpec("custom_fields", child, key=("issue_id", "field_id"), parent_key=("issue_id",)),
    )


def _write(sink: DuckDBSink, mode: UpdateMode, rows: int, size: int, tag: str) -> float:
    """Seconds for one whole run (batch building included: it is cheap next to the sink)."""
    started = time.perf_counter()
    run = sink.open_run("bench_issues", _specs(size), mode, run_id=tag)
    for batch in _batches(rows, size, tag):
        run.write(batch)
    run.commit({"run": tag})
    return time.perf_counter() - started


def one(mode: str, rows: int, size: int, memory_limit: str | None) -> dict[str, object]:
    """Measure one (mode, rows) in this process."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.duckdb"
        with DuckDBSink(path, memory_limit=memory_limit) as sink:
            if mode == "merge":  # merge over a full table: every row is an update
                _write(sink, UpdateMode.REPLACE, rows, size, "seed")
            seconds = _write(sink, UpdateMode(mode), rows, size, "run")
            assert sink.row_count("bench_issues") == rows
            assert sink.row_count("bench_issues__custom_fields") == 2 * rows
        file_mb = path.stat().st_size / 2**20
    return {
        "mode": mode,
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "file_mb": round(file_mb, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 200_000])
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--memory-limit", default="256MB", help="DuckDB memory_limit or 'none'")
    parser.add_argument("--one", nargs=2, metavar=("MODE", "ROWS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_limit.lower() == "none":
        args.memory_limit = None
    if args.one:
        print(json.dumps(one(args.one[0], int(args.one[1]), args.batch, args.memory_limit)))
        return
    results = []
    for mode in ("replace", "merge"):
        for rows in args.rows:
            cmd = [sys.executable, __file__, "--one", mode, str(rows), "--batch", str(args.batch)]
            if args.memory_limit:
                cmd += ["--memory-limit", args.memory_limit]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            results.append(json.loads(out))
    by = {(r["mode"], r["rows"]): r for r in results}
    small, large = min(args.rows), max(args.rows)
    print(
        json.dumps(
            {
                "benchmark": "duckdb_sink",
                "batch_rows": args.batch,
                "columns": len(_specs(args.batch)[0].schema),
                "child_rows_per_issue": 2,
                "memory_limit": args.memory_limit,
                "results": results,
                "rss_growth_mb": {
                    mode: by[(mode, large)]["peak_rss_mb"] - by[(mode, small)]["peak_rss_mb"]
                    for mode in ("replace", "merge")
                },
            }
        )
    )


if __name__ == "__main__":
    main()
