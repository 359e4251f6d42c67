"""``backlog-connector query`` beside a running ``serve`` of the same data home: it reads the
warehouse (read-only) while serve owns the syncs, also while serve is running one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from serve_process import ServeProcess
from service_helpers import add_accounts, create, finished_runs, poll

from backlog_connector.emulator import Emulator


def _query(serve: ServeProcess, sql: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "backlog-connector"
    return subprocess.run(
        [str(script), "query", sql, "--json"], env=serve.env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


def test_query_beside_serve(serve: ServeProcess, space: Emulator) -> None:
    serve.start()
    with serve.client() as client:
        add_accounts(client, space)
        create(client, "Issues", account="admin", report="issues")
        assert client.post("/api/datasets/Issues/runs", json={}).status_code == 202
        poll(lambda: finished_runs(client, "Issues"), lambda runs: len(runs) == 1, timeout=60)
        assert [r["status"] for r in finished_runs(client, "Issues")] == ["succeeded"]

        counted = _query(serve, "SELECT count(*) AS n FROM issues")
        assert counted.returncode == 0, counted.stderr
        assert json.loads(counted.stdout) == [{"n": len(space.state.issues)}]

        space.set_faults(slow=1.0, slow_seconds=0.2)  # a run of seconds while we read
        try:
            assert client.post("/api/datasets/Issues/runs", json={"full": True}).status_code == 202
            during = _query(serve, "SELECT count(*) AS n FROM issues")
        finally:
            space.set_faults(slow=0.0)
        assert during.returncode == 0, during.stderr
        assert json.loads(during.stdout)[0]["n"] == len(space.state.issues)

        refused = _query(serve, "DELETE FROM issues")
        assert refused.returncode == 2
        assert "read-only" in refused.stderr
        poll(lambda: finished_runs(client, "Issues"), lambda runs: len(runs) == 2, timeout=90)
