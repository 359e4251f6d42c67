"""A process that commits a run's rows through the dataset's real sink (the DuckDB warehouse or
its PostgreSQL destination), then dies by SIGKILL before the run row is finished: the window
between the data's commit and the control-plane update.

Usage: python commit_then_die.py HOME DATASET
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pyarrow as pa

from backlog_connector.datasets.models import Run, utcnow
from backlog_connector.datasets.service import ControlPlane
from backlog_connector.reports.base import TableBatch, UpdateMode
from backlog_connector.reports.catalog import get_report


def main() -> None:
    home, dataset = Path(sys.argv[1]), sys.argv[2]
    with ControlPlane.open(home) as plane:
        info = plane.get_dataset(dataset)
        run = plane.queue_run(dataset)
        plane._claim(run.id)  # owner: this process, as execute_runs records it
        with plane._sessions.begin() as s:  # running, as the runner's start records it
            row = s.get(Run, run.id)
            assert row is not None
            row.status, row.started_at = "running", utcnow()
        report = get_report(info.report)
        _table, sink = plane._dataset_sink(dataset)
        sink_run = sink.open_run(info.table, report.tables, UpdateMode(info.update_mode),
                                 run_id=str(run.id), full=True)  # fmt: skip
        rows = pa.table({"id": pa.array([1, 2, 3], pa.int64()),
                         "_space": pa.array(["x"] * 3)})  # fmt: skip
        sink_run.write(TableBatch(suffix="", batch=rows.to_batches()[0]))
        sink_run.commit({"version": 1})
        print(run.id, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    main()
