"""``backlog-connector query "SQL"``: read-only SQL over the warehouse (DuckDB opened read-only)
and over a PostgreSQL destination (a READ ONLY transaction), as a table, CSV or JSON; a
statement that would write is refused with exit 2 and changes nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from backlog_connector.emulator import Emulator
from datasets.pg_destination import PgDatabase, pg_database

from .helpers import Cli, as_json


@pytest.fixture
def pg() -> Iterator[PgDatabase]:
    with pg_database() as db:
        yield db


def _projects(cli: Cli, account: str, destination: str = "warehouse") -> None:
    created = cli("datasets", "create", "Projects", "--account", account, "--report", "projects",
                  "--destination", destination)  # fmt: skip
    assert created.exit_code == 0, created.output
    ran = cli("datasets", "run", "Projects")
    assert ran.exit_code == 0, ran.output


def _count(cli: Cli, destination: str) -> int:
    rows = as_json(cli("query", "SELECT count(*) AS n FROM projects",
                       "--destination", destination, "--json"))  # fmt: skip
    return int(rows[0]["n"])


WRITES = [
    "DELETE FROM projects",
    "UPDATE projects SET name = 'x'",
    "DROP TABLE projects",
    "CREATE TABLE stolen AS SELECT * FROM projects",
    "WITH gone AS (DELETE FROM projects RETURNING *) SELECT count(*) FROM gone",
    "SELECT 1; DELETE FROM projects",
]


def test_query_the_warehouse(cli: Cli, account: str, emulator: Emulator, tmp_path: Path) -> None:
    _projects(cli, account)
    truth = len(emulator.state.projects)
    assert _count(cli, "warehouse") == truth

    text = cli("query", "SELECT project_key, name FROM projects ORDER BY 1",
               "--format", "csv").stdout  # fmt: skip
    keys = [r["project_key"] for r in csv.DictReader(io.StringIO(text))]
    assert keys == sorted(p.key for p in emulator.state.projects.values())

    shown = cli("query", "SELECT project_key FROM projects")
    assert shown.exit_code == 0
    assert keys[0] in shown.stdout

    limited = cli("query", "SELECT * FROM projects", "--limit", "1", "--format", "json")
    assert len(as_json(limited)) == 1
    assert "--limit" in limited.stderr

    copied = tmp_path / "copy.csv"
    for sql in [*WRITES, f"COPY projects TO '{copied}'",
                f"ATTACH '{tmp_path / 'other.duckdb'}' AS other",
                "EXPLAIN ANALYZE DELETE FROM projects"]:  # fmt: skip
        refused = cli("query", sql)
        assert refused.exit_code == 2, (sql, refused.output)
        assert "read-only" in refused.stderr or "one SQL statement" in refused.stderr, sql
    assert not copied.exists()
    assert not (tmp_path / "other.duckdb").exists()
    assert _count(cli, "warehouse") == truth
    assert "stolen" not in cli("query", "SHOW TABLES").stdout


def test_query_reads_no_file_beside_the_warehouse(cli: Cli, account: str, tmp_path: Path) -> None:
    _projects(cli, account)
    secret = tmp_path / "not-for-query.csv"
    secret.write_text("token\nkeep-me-private\n", encoding="utf-8")
    for sql in [f"SELECT * FROM read_csv('{secret}')", f"SELECT * FROM '{secret}'",
                "SELECT * FROM read_text('/etc/hostname')"]:  # fmt: skip
        refused = cli("query", sql)
        assert refused.exit_code == 2, (sql, refused.output)
        assert "keep-me-private" not in refused.output
    assert "files" in cli("query", f"SELECT * FROM read_csv('{secret}')").stderr


def test_query_a_postgres_destination(
    cli: Cli, account: str, emulator: Emulator, pg: PgDatabase
) -> None:
    assert cli("destinations", "add", "pg", "--url", pg.url()).exit_code == 0
    _projects(cli, account, "pg")
    truth = len(emulator.state.projects)
    assert _count(cli, "pg") == truth
    for sql in [*WRITES, "SELECT nextval('no_such_seq')"]:
        refused = cli("query", sql, "--destination", "pg")
        assert refused.exit_code == 2, (sql, refused.output)
    assert _count(cli, "pg") == truth
    assert "stolen" not in pg.tables()
    assert pg.password not in cli("query", "SELEC 1", "--destination", "pg").output


def test_bad_input(cli: Cli, account: str) -> None:
    assert cli("query", "SELECT 1").exit_code == 2  # no table yet: nothing committed
    assert cli("query", "SELECT 1", "--destination", "nope").exit_code == 2
    assert cli("query", "   ").exit_code == 2
    assert cli("query", "SELEC 1").exit_code == 2
