"""Run ids are never handed out twice: deleting a dataset (and its runs, the newest ones of the
home) left SQLite to reuse the highest rowid for the next run. Checked on SQLite, on a
database migrated from 0007 with runs in it, and on a PostgreSQL control plane."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from backlog_connector.datasets.migrate import upgrade
from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator
from backlog_connector.settings import Settings

PG_URL = os.environ.get(
    "BACKLOG_CONNECTOR_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _ids_after_a_delete(plane: ControlPlane, emulator: Emulator) -> tuple[int, int]:
    """(highest run id before the dataset was deleted, the next run's id)."""
    plane.add_account("acme", base_url=emulator.base_url, api_key=emulator.api_keys["admin"])
    plane.create_dataset("Keep", account="acme", report="users")
    plane.record_run("Keep", trigger="manual", status="skipped")
    plane.create_dataset("Gone", account="acme", report="users")
    newest = [plane.record_run("Gone", trigger="manual", status="skipped").id for _ in range(3)]
    plane.delete_dataset("Gone")
    after = plane.record_run("Keep", trigger="manual", status="skipped").id
    return max(newest), after


def test_sqlite_never_reuses_the_id_of_a_deleted_run(tmp_path: Path, emulator: Emulator) -> None:
    with ControlPlane.open(tmp_path / "home") as plane:
        highest, after = _ids_after_a_delete(plane, emulator)
    assert after > highest
    with ControlPlane.open(tmp_path / "home") as plane:  # nor after a restart
        assert plane.record_run("Keep", trigger="manual", status="skipped").id > after


def test_an_upgraded_sqlite_database_keeps_its_runs_and_counts_on(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    engine = sa.create_engine(f"sqlite:///{path}")
    upgrade(engine, "0007")
    with engine.begin() as conn:
        conn.execute(sa.text(
            "insert into accounts (id, name, base_url, space, address_kind, auth_kind, "
            "api_key_in_query, secret, created_at, updated_at) values (1, 'a', 'http://x', "
            "'x', 'fqdn', 'api_key', 0, x'00', '2026-01-01', '2026-01-01')"
        ))  # fmt: skip
        conn.execute(sa.text(
            "insert into datasets (id, name, description, account_id, report, options, "
            "update_mode, schedule, retries, retry_interval, retry_interval_seconds, "
            "table_name, enabled, force_full, created_at, updated_at) values (1, 'd', '', 1, "
            "'users', '{}', 'replace', 'manual', 0, '5m', 300, 'd', 1, 0, '2026-01-01', "
            "'2026-01-01')"
        ))  # fmt: skip
        for run_id in (1, 2, 3):
            conn.execute(sa.text(
                "insert into runs (id, dataset_id, trigger, attempt, status, created_at, "
                "rows_read, rows_written, rows_deleted, rate_limited, retries, wait_seconds) "
                f"values ({run_id}, 1, 'manual', 1, 'succeeded', '2026-01-01', 5, 7, 0, 0, 0, 0)"
            ))  # fmt: skip
    upgrade(engine)
    with engine.begin() as conn:
        ddl = conn.scalar(sa.text("select sql from sqlite_master where name = 'runs'"))
        assert "AUTOINCREMENT" in ddl
        old = conn.execute(sa.text("select id, rows_written, rows_main, rows_child from runs"))
        assert old.all() == [(1, 7, None, None), (2, 7, None, None), (3, 7, None, None)]
        indexes = {i["name"] for i in sa.inspect(conn).get_indexes("runs")}
        assert {"ix_runs_dataset_id_id", "ix_runs_dataset_id_status_id"} <= indexes
        foreign = sa.inspect(conn).get_foreign_keys("runs")
        assert foreign[0]["referred_table"] == "datasets"
        assert foreign[0]["options"].get("ondelete") == "CASCADE"
        conn.execute(sa.text("delete from runs where id = 3"))
        conn.execute(sa.text(
            "insert into runs (dataset_id, trigger, attempt, status, created_at, rows_read, "
            "rows_written, rows_deleted, rate_limited, retries, wait_seconds) values "
            "(1, 'manual', 1, 'queued', '2026-01-02', 0, 0, 0, 0, 0, 0)"
        ))  # fmt: skip
        assert conn.scalar(sa.text("select max(id) from runs")) == 4
    engine.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    schema = f"bc_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_postgresql_never_reuses_the_id_of_a_deleted_run(
    pg_url: str, tmp_path: Path, emulator: Emulator
) -> None:
    settings = Settings(home=tmp_path, database_url=pg_url)
    with ControlPlane.open(settings=settings) as plane:
        highest, after = _ids_after_a_delete(plane, emulator)
    assert after > highest
