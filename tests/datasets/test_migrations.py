"""Alembic migrations: they build exactly the models' schema, on SQLite and PostgreSQL, and a
re-opened (upgraded) database keeps its accounts and datasets."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.orm import Session

from backlog_connector.datasets.migrate import upgrade
from backlog_connector.datasets.models import Account, Base, Dataset, utcnow
from backlog_connector.datasets.service import ControlPlane
from backlog_connector.settings import Settings

PG_URL = os.environ.get(
    "BACKLOG_CONNECTOR_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _differences(engine: sa.Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def test_sqlite_migration_matches_models(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'c.sqlite'}")
    upgrade(engine)
    assert _differences(engine) == []
    upgrade(engine)  # idempotent: a second start changes nothing
    with engine.connect() as conn:
        assert conn.scalar(sa.text("select version_num from alembic_version")) == "0008"


def test_run_warnings_migration_keeps_old_runs_at_zero(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'c.sqlite'}")
    upgrade(engine, "0002")
    with engine.begin() as conn:
        assert "warnings" not in {c["name"] for c in sa.inspect(conn).get_columns("runs")}
        conn.execute(
            sa.text(
                "insert into accounts (id, name, base_url, space, address_kind, auth_kind, "
                "api_key_in_query, secret, created_at, updated_at) values (1, 'a', 'http://x', "
                "'x', 'fqdn', 'api_key', 0, x'00', '2026-01-01', '2026-01-01')"
            )
        )
        conn.execute(
            sa.text(
                "insert into datasets (id, name, description, account_id, report, options, "
                "update_mode, schedule, retries, retry_interval, retry_interval_seconds, "
                "table_name, enabled, force_full, created_at, updated_at) values (1, 'd', '', 1, "
                "'users', '{}', 'replace', 'manual', 0, '5m', 300, 'd', 1, 0, '2026-01-01', "
                "'2026-01-01')"
            )
        )
        conn.execute(
            sa.text(
                "insert into runs (id, dataset_id, trigger, attempt, status, created_at, "
                "rows_read, rows_written, rows_deleted, rate_limited, retries, wait_seconds) "
                "values "
                "(1, 1, 'manual', 1, 'succeeded', '2026-01-01', 5, 5, 0, 0, 0, 0)"
            )
        )
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.scalar(sa.text("select warnings from runs where id = 1")) == 0


@pytest.fixture
def pg_schema() -> Iterator[str]:
    schema = f"bc_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_postgres_migration_and_control_plane(pg_schema: str, tmp_path: Path) -> None:
    url = f"{PG_URL}?options=-csearch_path%3D{pg_schema}"
    engine = sa.create_engine(url)
    upgrade(engine)
    assert _differences(engine) == []
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names(schema=pg_schema))
    assert {"accounts", "datasets", "runs", "alembic_version"} <= tables
    engine.dispose()

    settings = Settings(home=tmp_path, database_url=url)
    with ControlPlane.open(settings=settings) as plane:
        _seed(plane._engine)  # a saved account and dataset, as an older version left them
    with ControlPlane.open(settings=settings) as plane:
        assert [a.name for a in plane.list_accounts()] == ["acme"]
        assert plane.get_account("acme").datasets == ("Issues",)
        assert plane.get_dataset("Issues").timezone == "Asia/Tokyo"


def test_reopening_keeps_accounts_and_datasets(tmp_path: Path) -> None:
    with ControlPlane.open(tmp_path) as plane:
        _seed(plane._engine)
    with ControlPlane.open(tmp_path) as plane:
        dataset = plane.get_dataset("Issues")
        assert (dataset.account, dataset.report, dataset.table) == ("acme", "issues", "issues")
        assert plane.list_accounts()[0].space == "acme.backlog.com"


def _seed(engine: sa.Engine) -> None:
    now = utcnow()
    with Session(engine) as s, s.begin():
        account = Account(
            name="acme",
            base_url="https://acme.backlog.com",
            space="acme.backlog.com",
            address_kind="fqdn",
            auth_kind="api_key",
            api_key_in_query=False,
            secret=b"not-a-real-token",
            space_timezone="Asia/Tokyo",
            created_at=now,
            updated_at=now,
        )
        s.add(account)
        s.add(
            Dataset(
                name="Issues",
                description="",
                account=account,
                report="issues",
                options={},
                update_mode="merge",
                schedule="manual",
                retries=0,
                retry_interval="5m",
                retry_interval_seconds=300,
                table_name="issues",
                enabled=True,
                force_full=False,
                created_at=now,
                updated_at=now,
            )
        )
