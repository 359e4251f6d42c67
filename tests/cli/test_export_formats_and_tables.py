"""``datasets export``: to stdout (csv, json, parquet, xlsx), CSV with a BOM for Excel
(``--encoding utf-8-sig``), the ``xlsx`` format, a child table (``--table-suffix``) and every
table into a folder (``--all-tables``), from the DuckDB warehouse and from PostgreSQL alike."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from datasets.pg_destination import pg_database

from .helpers import Cli, as_json, state

BOM = b"\xef\xbb\xbf"


@pytest.fixture(params=["warehouse", "pg"])
def destination(request: pytest.FixtureRequest, cli: Cli) -> Iterator[str]:
    if request.param == "warehouse":
        yield "warehouse"
        return
    with pg_database() as db:
        assert cli("destinations", "add", "pg", "--url", db.url()).exit_code == 0
        yield "pg"


@pytest.fixture
def issues(cli: Cli, account: str, destination: str) -> dict[str, int]:
    """The dataset 'Issues' after one run: its tables and their row counts."""
    created = cli("datasets", "create", "Issues", "--account", account, "--report", "issues",
                  "--destination", destination)  # fmt: skip
    assert created.exit_code == 0, created.output
    assert cli("datasets", "run", "Issues").exit_code == 0
    counts: dict[str, int] = {}
    for name in ("issues", "issues__custom_fields", "issues__categories"):
        rows = as_json(cli("query", f"SELECT count(*) AS n FROM {name}",
                           "--destination", destination, "--json"))  # fmt: skip
        counts[name] = int(rows[0]["n"])
    assert counts["issues"] > 0
    assert counts["issues__custom_fields"] > 0
    return counts


def _export(cli: Cli, *args: str) -> bytes:
    result = cli("datasets", "export", "Issues", *args)
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def test_stdout_in_every_format(cli: Cli, issues: dict[str, int], tmp_path: Path) -> None:
    text = _export(cli, "--format", "csv", "--output", "-").decode()
    assert not text.startswith("\ufeff")
    assert len(list(csv.DictReader(io.StringIO(text)))) == issues["issues"]
    rows = json.loads(_export(cli, "--format", "json", "--output", "-"))
    assert len(rows) == issues["issues"]
    assert {"id", "issue_key", "_space"} <= set(rows[0])
    parquet = _export(cli, "--format", "parquet", "--output", "-")
    assert parquet[:4] == b"PAR1"
    (tmp_path / "x.parquet").write_bytes(parquet)
    assert pq.read_table(tmp_path / "x.parquet").num_rows == issues["issues"]
    xlsx = _export(cli, "--format", "xlsx", "--output", "-")
    assert xlsx[:2] == b"PK"  # a zip, not a file named '-'
    assert not Path("-").exists()


def test_csv_with_bom_for_excel(cli: Cli, issues: dict[str, int], tmp_path: Path) -> None:
    out = tmp_path / "issues.csv"
    _export(cli, "--format", "csv", "--encoding", "utf-8-sig", "--output", str(out))
    data = out.read_bytes()
    assert data.startswith(BOM)
    assert not data[3:].startswith(BOM)
    assert len(list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))) == issues["issues"]
    piped = _export(cli, "--format", "csv", "--encoding", "utf-8-sig", "--output", "-")
    assert piped.startswith(BOM)
    refused = cli("datasets", "export", "Issues", "--format", "parquet", "--encoding",
                  "utf-8-sig", "--output", str(tmp_path / "x.parquet"))  # fmt: skip
    assert refused.exit_code == 2
    assert "csv only" in refused.stderr
    assert not (tmp_path / "x.parquet").exists()


def test_xlsx(cli: Cli, issues: dict[str, int], tmp_path: Path) -> None:
    out = tmp_path / "issues.xlsx"
    _export(cli, "--format", "xlsx", "--output", str(out))
    sheet = load_workbook(out, read_only=True).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == issues["issues"] + 1
    header = list(rows[0])
    assert "issue_key" in header
    assert "created" in header
    created = rows[1][header.index("created")]
    assert created is not None
    assert hasattr(created, "year")
    csv_rows = list(csv.DictReader(io.StringIO(
        _export(cli, "--format", "csv", "--output", "-").decode())))  # fmt: skip
    assert {r[header.index("issue_key")] for r in rows[1:]} == {r["issue_key"] for r in csv_rows}


def test_a_child_table(cli: Cli, issues: dict[str, int], tmp_path: Path) -> None:
    out = tmp_path / "fields.csv"
    _export(cli, "--format", "csv", "--table-suffix", "custom_fields", "--output", str(out))
    with out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == issues["issues__custom_fields"]
    assert "field_name" in rows[0]
    missing = cli("datasets", "export", "Issues", "--format", "csv", "--table-suffix", "nope",
                  "--output", str(tmp_path / "n.csv"))  # fmt: skip
    assert missing.exit_code == 2
    assert "custom_fields" in missing.stderr  # names the child tables there are
    assert not (tmp_path / "n.csv").exists()


def test_all_tables_into_a_folder(
    cli: Cli, issues: dict[str, int], tmp_path: Path, home: Path
) -> None:
    folder = tmp_path / "out"
    result = cli("datasets", "export", "Issues", "--format", "parquet", "--all-tables",
                 "--output", str(folder))  # fmt: skip
    assert result.exit_code == 0, result.output
    names = {p.name for p in folder.iterdir()}
    assert {"issues.parquet", "issues__custom_fields.parquet", "issues__categories.parquet"} <= (
        names
    )
    assert all(n == "issues.parquet" or n.startswith("issues__") for n in names)
    for table in ("issues", "issues__custom_fields", "issues__categories"):
        assert pq.read_table(folder / f"{table}.parquet").num_rows == issues[table]

    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    again = cli("datasets", "export", "Issues", "--format", "parquet", "--all-tables",
                "--output", str(folder))  # fmt: skip
    assert again.exit_code == 2
    assert "--force" in again.stderr
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before

    for bad in (home / "exports", home):
        refused = cli("datasets", "export", "Issues", "--format", "csv", "--all-tables",
                      "--output", str(bad))  # fmt: skip
        assert refused.exit_code == 2, bad
        assert "data home" in refused.stderr
    assert not (home / "exports").exists()
    assert not list(home.glob("issues*"))
    assert cli("datasets", "export", "Issues", "--format", "csv", "--all-tables",
               "--output", "-").exit_code == 2  # fmt: skip


def test_export_refusals_change_nothing(cli: Cli, account: str) -> None:
    created = cli("datasets", "create", "Never", "--account", account, "--report", "users")
    assert created.exit_code == 0
    before = state(cli)
    never = cli("datasets", "export", "Never", "--format", "csv", "--all-tables", "--output",
                "/tmp/never-exported")  # fmt: skip
    assert never.exit_code == 2
    assert "run it first" in never.stderr
    assert not Path("/tmp/never-exported").exists()
    assert state(cli) == before
