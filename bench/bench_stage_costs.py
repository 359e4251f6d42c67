"""Benchmark of where a full ``issues`` sync's CPU goes, stage by stage, in one process: the
HTTP exchanges (client, without decoding), decoding the pages (orjson), turning them into Arrow
batches (tracker, struct conversion, custom fields, child tables) and the DuckDB sink (staging
writes and the commit into the warehouse); each as CPU seconds per 1,000 issues (all threads
of the process), and their sum against issue 16's target of 0.07.

The same stages for the path a run takes (``native_pages_*``): pages parsed in C
(``parse_in_c``), then the tracker and the batches built in C from the parsed pages
(``batches_in_c``), where the two stages above are orjson and the Arrow batches.

It also times two native decoders on the same page bytes, reading the plain fields the table
declares (what would replace orjson and the struct conversion): pyarrow's JSON reader (strict
types, one page per call) and DuckDB's ``read_json`` (lenient types, so its answer would need a
second check; a batch of pages per call). Custom fields, whose values change type from field
to field, are not in either.

Each stage runs ``--rounds`` times; the best round counts. The emulator serves pre-rendered
pages (``--warm``). Prints one JSON object.

usage: python bench/bench_stage_costs.py [--issues 20000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa
import pyarrow.json as pj

from backlog_connector.backlog.address import SpaceAddress
from backlog_connector.backlog.client import BacklogClient
from backlog_connector.backlog.credentials import ApiKey
from backlog_connector.reports.base import TableBatch, UpdateMode
from backlog_connector.reports.batching import BATCH_ROWS, BatchBuffer
from backlog_connector.reports.custom_fields import plan_columns, table_columns
from backlog_connector.reports.gc_pause import fewer_collections
from backlog_connector.reports.issue_columns import ISSUE_CHILDREN, ISSUES_TABLE
from backlog_connector.reports.native_batches import NativeBuffer, NativeIssues, parse, row_loader
from backlog_connector.reports.sync import PAGE_SIZE, IssueTracker
from backlog_connector.sinks.duckdb import DuckDBSink
from bench_sync import start_emulator

TARGET_CPU_SECONDS_PER_1000 = 0.07
BATCH_PAGES = BATCH_ROWS // PAGE_SIZE  # the pages of one batch, as the report builds them


def best_cpu(rounds: int, work: Callable[[], Any]) -> float:
    """The least process CPU seconds of ``rounds`` runs of ``work``."""
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best


def raw_pages(base_url: str, key: str, issues: int) -> list[bytes]:
    """The bodies of ``GET /issues`` pages, fetched outside the measurements."""
    url = urllib.parse.urlsplit(base_url)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port)
    pages = []
    for offset in range(0, issues, PAGE_SIZE):
        query = urllib.parse.urlencode(
            {"apiKey": key, "count": PAGE_SIZE, "offset": offset, "sort": "created", "order": "asc"}
        )
        conn.request("GET", f"/api/v2/issues?{query}")
        pages.append(conn.getresponse().read())
    conn.close()
    return pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    issues, rounds = args.issues, args.rounds
    emulator, info = start_emulator(issues, warm=True)
    try:
        figures = measure(info["base_url"], info["api_keys"]["admin"], issues, rounds)
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)
    print(json.dumps(figures, indent=2))


def measure(base_url: str, key: str, issues: int, rounds: int) -> dict[str, Any]:
    client = BacklogClient(SpaceAddress.parse_base_url(base_url), ApiKey(key))
    definitions = [
        d for p in client.get("/projects") for d in client.get(f"/projects/{p['id']}/customFields")
    ]
    planned = plan_columns(definitions)
    shape = ISSUES_TABLE.with_columns(table_columns(planned))
    bodies = raw_pages(base_url, key, issues)
    params = [("sort", "created"), ("order", "asc")]

    def fetch() -> None:
        with fewer_collections():
            for _page in client.iter_offset("/issues", params, page_size=PAGE_SIZE):
                pass

    def decode() -> None:
        with fewer_collections():
            for body in bodies:
                orjson.loads(body)

    def batches() -> list[TableBatch]:
        out: list[TableBatch] = []
        buffer = BatchBuffer(shape, ISSUE_CHILDREN, space="bench", limit=BATCH_ROWS)
        tracker = IssueTracker(None)
        with fewer_collections() as collections:
            for body in bodies:
                page = orjson.loads(body)
                out += buffer.add(tracker.keep(page))
                collections.tick(len(page))
            out += buffer.flush()
        return out

    build = NativeIssues.build(shape, ISSUE_CHILDREN, planned)
    if build is None:
        raise SystemExit("the native module is not built: run scripts/setup.sh")

    def parse_natively() -> list[Any]:
        return [parse(body) for body in bodies]

    parsed = parse_natively()

    def native_batches() -> list[TableBatch]:
        # what the report does with natively parsed pages: the tracker, then C's batches
        out: list[TableBatch] = []
        fallback = BatchBuffer(shape, ISSUE_CHILDREN, space="bench", limit=BATCH_ROWS)
        buffer = NativeBuffer(build, fallback, space="bench", limit=BATCH_ROWS)
        tracker = IssueTracker(None)
        for page in parsed:
            tracker.keep_rows(page.ints("id"), page.texts("updated"), row_loader(page))
            out += buffer.add(page)
        out += buffer.flush()
        if buffer.python_batches:
            raise SystemExit("C left batches of the emulator's pages to Python")
        return out

    built = batches()
    tables = [shape.spec(), *(child.shape.spec() for child in ISSUE_CHILDREN)]
    with tempfile.TemporaryDirectory() as tmp:
        sink = DuckDBSink(Path(tmp) / "warehouse.duckdb")
        runs = iter(range(rounds))

        def store() -> None:
            run = sink.open_run("iss", tables, UpdateMode.MERGE, run_id=f"r{next(runs)}", full=True)
            for batch in built:
                run.write(batch)
            run.commit({"bench": True})

        sink_cpu = best_cpu(rounds, store)
        sink.close()

    fetch_cpu = best_cpu(rounds, fetch)  # HTTP, the client and orjson
    decode_cpu = best_cpu(rounds, decode)
    batches_cpu = best_cpu(rounds, batches)  # orjson and the batches
    parse_cpu = best_cpu(rounds, parse_natively)
    native_cpu = best_cpu(rounds, native_batches)
    client.close()
    per_1000 = 1000 / issues
    stages = {
        "http_and_client": (fetch_cpu - decode_cpu) * per_1000,
        "decode_orjson": decode_cpu * per_1000,
        "arrow_batches": (batches_cpu - decode_cpu) * per_1000,
        "duckdb_sink": sink_cpu * per_1000,
    }
    native = native_decoders(shape, bodies, rounds)
    total = sum(stages.values())
    native_stages = {
        "http_and_client": stages["http_and_client"],
        "parse_in_c": parse_cpu * per_1000,
        "batches_in_c": native_cpu * per_1000,
        "duckdb_sink": stages["duckdb_sink"],
    }
    return {
        "benchmark": "CPU per stage of a full issues sync, in one process",
        "issues": issues,
        "cpus": os.cpu_count(),
        "rows_staged": sum(b.batch.num_rows for b in built),
        "cpu_seconds_per_1000_issues": {k: round(v, 4) for k, v in stages.items()},
        "sum_of_stages": round(total, 4),
        "target": TARGET_CPU_SECONDS_PER_1000,
        "sum_without_arrow_batches": round(total - stages["arrow_batches"], 4),
        "native_pages_cpu_seconds_per_1000_issues": {
            k: round(v, 4) for k, v in native_stages.items()
        },
        "native_pages_sum_of_stages": round(sum(native_stages.values()), 4),
        "native_decoders_cpu_seconds_per_1000_issues": {
            k: round(v * per_1000, 4) for k, v in native.items()
        },
    }


def native_decoders(shape: Any, bodies: list[bytes], rounds: int) -> dict[str, float]:
    """CPU seconds of reading the plain declared fields of every page natively."""
    plan = shape.struct_plan
    schema = pa.schema([pa.field("r", pa.list_(plan.type))])
    options = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")

    def with_pyarrow() -> None:
        for body in bodies:
            wrapped = b'{"r":' + body + b"}"
            pj.read_json(
                io.BytesIO(wrapped),
                read_options=pj.ReadOptions(use_threads=False, block_size=len(wrapped) + 1),
                parse_options=options,
            )

    columns = {f.name: _duckdb_type(f.type) for f in plan.type}
    con = duckdb.connect(config={"threads": 1})

    def with_duckdb(folder: Path) -> None:
        file = folder / "batch.json"
        for start in range(0, len(bodies), BATCH_PAGES):
            group = bodies[start : start + BATCH_PAGES]
            file.write_bytes(b"[" + b",".join(b.strip()[1:-1] for b in group) + b"]")
            con.sql(
                "SELECT * FROM read_json($file, format='array', columns=$columns)",
                params={"file": str(file), "columns": columns},
            ).to_arrow_table()

    with tempfile.TemporaryDirectory() as tmp:
        duck = best_cpu(rounds, lambda: with_duckdb(Path(tmp)))
    con.close()
    return {"pyarrow_json_per_page": best_cpu(rounds, with_pyarrow), "duckdb_read_json": duck}


def _duckdb_type(arrow: pa.DataType) -> str:
    if pa.types.is_struct(arrow):
        inner = ", ".join(f'"{f.name}" {_duckdb_type(f.type)}' for f in arrow)
        return f"STRUCT({inner})"
    if pa.types.is_list(arrow):
        return f"{_duckdb_type(arrow.value_type)}[]"
    return {pa.int64(): "BIGINT", pa.float64(): "DOUBLE", pa.bool_(): "BOOLEAN"}.get(
        arrow, "VARCHAR"
    )


if __name__ == "__main__":
    main()
