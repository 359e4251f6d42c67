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
        assert conn.scalar(sa.text("select version_num from alembic_version")) == "0006"


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
