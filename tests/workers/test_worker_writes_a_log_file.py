"""``worker`` writes its log to the data home's ``logs/backlog-connector.log`` (0600) too."""

from __future__ import annotations

import stat
from pathlib import Path

from cluster import Proc, cluster_env, poll, start_worker

from pgtools import scratch_database


def test_worker_log_file(tmp_path: Path) -> None:
    with scratch_database("wlog") as control:
        home = tmp_path / "home"
        env = cluster_env(home, control.replace("postgresql://", "postgresql+psycopg://", 1))
        procs: list[Proc] = []
        try:
            procs.append(start_worker(env, tmp_path / "logs", "worker"))
            path = home / "logs" / "backlog-connector.log"
            poll(lambda: path.is_file() and path.stat().st_size > 0, bool, timeout=30)
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
            assert "backlog_connector" in path.read_text()
        finally:
            for proc in procs:
                proc.terminate()
