"""``backlog-connector`` with its garbage collections recorded at exit (for the benchmarks).

Runs the CLI's own entry point in this process; when ``BENCH_GC_STATS`` names a file, the
number of collections (all generations, and full ones) is written there as JSON at exit.

usage: python bench/cli_gc_stats.py ARGS...   (the arguments of ``backlog-connector``)
"""

from __future__ import annotations

import atexit
import gc
import json
import os
from pathlib import Path


def _write() -> None:
    target = os.environ.get("BENCH_GC_STATS")
    if not target:
        return
    stats = gc.get_stats()
    figures = {
        "collections": sum(s["collections"] for s in stats),
        "full_collections": stats[-1]["collections"],
    }
    Path(target).write_text(json.dumps(figures))


if __name__ == "__main__":
    atexit.register(_write)
    from backlog_connector.cli import main

    main()
