"""Two CLI processes of one data home never run the same dataset at once: the second one's run
is recorded ``skipped`` (not ``failed``), and the first one's table is exact."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from backlog_connector.emulator import Emulator


def _cli(home: Path, *args: str, stdin: str | None = None) -> subprocess.Popen[str]:
    script = Path(sys.executable).parent / "backlog-connector"
    env = {**os.environ, "BACKLOG_CONNECTOR_HOME": str(home)}
    return subprocess.Popen(
        [str(script), *args], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _done(proc: subprocess.Popen[str], stdin: str | None = None) -> tuple[int, str, str]:
    out, err = proc.communicate(stdin, timeout=180)
    return proc.returncode, out, err


def test_a_second_process_running_the_same_dataset_records_skipped(
    make_emulator: Any, tmp_path: Path
) -> None:
    emu: Emulator = make_emulator(issues=300)
    home = tmp_path / "home"
    code, _, err = _done(
        _cli(home, "accounts", "add", "acme", "--base-url", emu.base_url),
        stdin=emu.api_keys["admin"],
    )
    assert code == 0, err
    code, _, err = _done(_cli(home, "datasets", "create", "Issues", "--account", "acme",
                              "--report", "issues"))  # fmt: skip
    assert code == 0, err
    emu.set_faults(slow=1.0, slow_seconds=0.5)  # the first run takes several seconds
    first = _cli(home, "datasets", "run", "Issues", "--json")
    lock = home / "locks"
    deadline = time.monotonic() + 60
    while not (lock.is_dir() and any(lock.iterdir())) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    second_code, second_out, _ = _done(_cli(home, "datasets", "run", "Issues", "--json"))
    first_code, first_out, first_err = _done(first)
    emu.set_faults(slow=0.0)

    assert first_code == 0, first_err
    assert json.loads(first_out)[0]["status"] == "succeeded"
    assert second_code == 1
    second = json.loads(second_out)[0]
    assert second["status"] == "skipped"
    assert "another process" in second["error"]
    code, out, _ = _done(_cli(home, "datasets", "history", "Issues", "--json"))
    statuses = sorted(r["status"] for r in json.loads(out))
    assert statuses == ["skipped", "succeeded"]
    code, out, _ = _done(_cli(home, "datasets", "show", "Issues", "--json"))
    assert json.loads(out)["rows"] == len(emu.state.issues)
