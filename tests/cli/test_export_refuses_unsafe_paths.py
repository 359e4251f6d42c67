"""``datasets export --output``: an existing file only with --force, never a file of the data
home, never a device or a directory; '-' is standard output; a failed export leaves the target."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import socket
import stat
from pathlib import Path

import pytest

from .helpers import Cli


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def dataset(cli: Cli, account: str) -> str:
    made = cli("datasets", "create", "Backlog Projects", "--account", account,
               "--report", "projects")  # fmt: skip
    assert made.exit_code == 0, made.output
    ran = cli("datasets", "run", "Backlog Projects")
    assert ran.exit_code == 0, ran.output
    return "Backlog Projects"


def test_an_existing_file_is_kept_unless_force(cli: Cli, dataset: str, tmp_path: Path) -> None:
    target = tmp_path / "projects.csv"
    target.write_text("precious\n")
    refused = cli("datasets", "export", dataset, "--format", "csv", "--output", str(target))
    assert refused.exit_code == 2, refused.output
    assert "already exists" in refused.stderr
    assert "--force" in refused.stderr
    assert target.read_text() == "precious\n"
    forced = cli("datasets", "export", dataset, "--format", "csv", "--output", str(target),
                 "--force")  # fmt: skip
    assert forced.exit_code == 0, forced.output
    assert next(csv.reader(io.StringIO(target.read_text())))[0] == "id"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []


def test_the_data_home_files_are_never_written(cli: Cli, dataset: str, home: Path) -> None:
    own = [home / "warehouse.duckdb", home / "control.sqlite", home / "secret.key",
           home / "new-file.csv"]  # fmt: skip
    before = {p: _digest(p) for p in own if p.exists()}
    assert len(before) == 3
    for target in own:
        for extra in ((), ("--force",)):
            result = cli("datasets", "export", dataset, "--format", "parquet",
                         "--output", str(target), *extra)  # fmt: skip
            assert result.exit_code == 2, result.output
            assert "data home" in result.stderr
    assert {p: _digest(p) for p in own if p.exists()} == before
    assert cli("datasets", "history", dataset).exit_code == 0  # the control plane still reads


def test_a_link_into_the_data_home_is_refused(
    cli: Cli, dataset: str, home: Path, tmp_path: Path
) -> None:
    link = tmp_path / "innocent.csv"
    link.symlink_to(home / "secret.key")
    before = _digest(home / "secret.key")
    result = cli("datasets", "export", dataset, "--format", "csv", "--output", str(link),
                 "--force")  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "data home" in result.stderr
    assert _digest(home / "secret.key") == before


@pytest.mark.parametrize("kind", ["fifo", "socket"])
def test_special_files_are_refused_even_with_force(
    cli: Cli, dataset: str, tmp_path: Path, kind: str
) -> None:
    # Special files of the test's own (a device node needs root; a broken export must never
    # be pointed at the machine's /dev/null)
    target = tmp_path / kind
    if kind == "fifo":
        os.mkfifo(target)
    else:
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(target))
    for extra in ((), ("--force",)):
        result = cli("datasets", "export", dataset, "--format", "csv", "--output", str(target),
                     *extra)  # fmt: skip
        assert result.exit_code == 2, result.output
        assert "regular file" in result.stderr
    mode = target.lstat().st_mode
    assert stat.S_ISFIFO(mode) if kind == "fifo" else stat.S_ISSOCK(mode)


def test_directories_and_missing_folders_are_refused(
    cli: Cli, dataset: str, tmp_path: Path
) -> None:
    folder = cli("datasets", "export", dataset, "--format", "csv", "--output",
                 str(tmp_path), "--force")  # fmt: skip
    assert folder.exit_code == 2
    assert "directory" in folder.stderr
    result = cli("datasets", "export", dataset, "--format", "csv",
                 "--output", str(tmp_path / "nope" / "x.csv"))  # fmt: skip
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_dash_writes_to_standard_output(cli: Cli, dataset: str, tmp_path: Path) -> None:
    result = cli("datasets", "export", dataset, "--format", "csv", "--output", "-")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows
    assert "id" in rows[0]
    assert not (tmp_path / "-").exists()
