"""``serve`` writes its log to ``logs/backlog-connector.log`` in the data home too: private
(0600 in a 0700 folder), rotated, secrets masked (an account that sends its key as ?apiKey=)."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

from serve_process import ServeProcess
from service_helpers import add_accounts, create, finished_runs, poll

from backlog_connector.datasets.log_file import attach_log_file, detach_log_files
from backlog_connector.emulator import Emulator


def test_serve_log_file_is_private_and_has_no_secret(serve: ServeProcess, space: Emulator) -> None:
    serve.start(timeout=120, log_level="debug")  # debug logging is slow on a loaded machine
    with serve.client() as client:
        add_accounts(client, space)  # 'member' sends its key in the query string
        create(client, "Users", account="member", report="users")
        assert client.post("/api/datasets/Users/runs", json={}).status_code == 202
        poll(lambda: finished_runs(client, "Users"), lambda runs: len(runs) == 1, timeout=60)
    serve.terminate()
    path = serve.home / "logs" / "backlog-connector.log"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    text = path.read_text()
    assert "queued manual run" in text  # the scheduler's lines
    assert "GET /users" in text or "/api/v2/users" in text  # the client's (debug) lines
    for key in space.api_keys.values():
        assert key not in text
        assert key not in serve.stderr()


def test_the_log_file_rotates_and_masks(tmp_path: Path) -> None:
    from backlog_connector.datasets import log_file

    old = log_file.MAX_BYTES
    log_file.MAX_BYTES = 2000
    try:
        path = attach_log_file(tmp_path / "home")
        logger = logging.getLogger("backlog_connector.test_rotation")
        logger.setLevel(logging.INFO)
        for n in range(200):
            logger.info("line %d GET https://a.backlog.com/api/v2/space?apiKey=SECRETKEY%d", n, n)
    finally:
        detach_log_files()
        log_file.MAX_BYTES = old
    files = sorted(p.name for p in path.parent.iterdir())
    assert files == [
        "backlog-connector.log", *(f"backlog-connector.log.{i}" for i in range(1, 4))
    ]  # fmt: skip
    for name in files:
        data = (path.parent / name).read_text()
        assert "SECRETKEY" not in data
        assert stat.S_IMODE((path.parent / name).stat().st_mode) == 0o600
