"""The base commit the benchmarks compare against, checked out beside this checkout."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: the release issue 16 measured (5,700 issues/s, ``datasets list`` in about 1.1 s)
BASE_COMMIT = "2a947c4"


@contextmanager
def base_worktree(commit: str) -> Iterator[Path]:
    """A detached worktree of ``commit`` for the block (removed after); yields its ``src``."""
    with tempfile.TemporaryDirectory(prefix="bench-base-") as tmp:
        where = Path(tmp) / "base"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(where), commit],
            check=True,
            capture_output=True,
        )
        try:
            yield where / "src"
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(where)],
                capture_output=True,
            )
            subprocess.run(["git", "-C", str(ROOT), "worktree", "prune"], capture_output=True)
