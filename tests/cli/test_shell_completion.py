"""Shell completion as the README documents it: click's completion scripts for bash, zsh and
fish are produced, and completing a sub-command name works (lazy commands included)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXE = str(Path(sys.executable).parent / "backlog-connector")
README = Path(__file__).resolve().parents[2] / "README.md"


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [EXE], env={**os.environ, **env}, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("shell", "marker"),
    [("bash", "complete -o nosort -F"), ("zsh", "compdef"), ("fish", "complete --no-files")],
)
def test_the_completion_script_is_produced(shell: str, marker: str) -> None:
    result = _run({"_BACKLOG_CONNECTOR_COMPLETE": f"{shell}_source"})
    assert result.returncode == 0, result.stderr
    assert marker in result.stdout
    assert "_BACKLOG_CONNECTOR_COMPLETE" in result.stdout
    assert f"_BACKLOG_CONNECTOR_COMPLETE={shell}_source backlog-connector" in README.read_text()


def test_sub_commands_complete() -> None:
    result = _run({
        "_BACKLOG_CONNECTOR_COMPLETE": "bash_complete",
        "COMP_WORDS": "backlog-connector da",
        "COMP_CWORD": "1",
    })  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "plain,datasets" in result.stdout.split()
    nested = _run({
        "_BACKLOG_CONNECTOR_COMPLETE": "bash_complete",
        "COMP_WORDS": "backlog-connector datasets ex",
        "COMP_CWORD": "2",
    })  # fmt: skip
    assert "export" in nested.stdout
