"""ControlPlane destinations: URL checks and normalisation (no password in any message), a
dataset's destination chosen and changed (a change makes the next run full), and the migration
that adds destinations keeping every existing dataset in the warehouse."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from backlog_connector.backlog.errors import ConfigurationError, InvalidOptionError
from backlog_connector.datasets.destinations import postgres_url
from backlog_connector.datasets.errors import (
    DestinationInUseError,
    NameTakenError,
    UnknownNameError,
)
from backlog_connector.datasets.migrate import upgrade
from backlog_connector.datasets.models import Account, Dataset, utcnow
from backlog_connector.datasets.service import ControlPlane
from backlog_connector.settings import Settings

from .pg_destination import PgDatabase, pg_database

SECRET = "s3cr3t/p@ss"
ENCODED = "s3cr3t%2Fp%40ss"


@pytest.fixture
def pg() -> Iterator[PgDatabase]:
    with pg_database() as db:
        yield db


@pytest.mark.parametrize(
    ("given", "password", "saved"),
    [
        (f"postgres://u:{ENCODED}@h/db", None, f"postgresql://u:{ENCODED}@h/db"),
        ("postgresql+psycopg://u@h:5433/db?sslmode=require", SECRET,
         f"postgresql://u:{ENCODED}@h:5433/db?sslmode=require"),
        (f"postgresql://u@h/db?password={ENCODED}&sslmode=disable", None,
         f"postgresql://u:{ENCODED}@h/db?sslmode=disable"),
    ],
)  # fmt: skip
def test_urls_are_normalised_with_the_password_by_the_user(
    given: str, password: str | None, saved: str
) -> None:
    assert postgres_url(given, password) == saved


@pytest.mark.parametrize(
    ("url", "password", "words"),
    [
        (f"mysql://u:{ENCODED}@h/db", None, "mysql"),
        (f"postgresql://u:{ENCODED}@/db", None, "no host"),
        (f"postgresql://u:{ENCODED}@h", None, "no database"),
        (f"postgresql://u:{ENCODED}@h:99999/db", None, "port"),
        (f"postgresql://u:{ENCODED}@h/db", "other", "password once"),
        ("postgresql://h/db", SECRET, "no user"),
        ("", None, "no destination URL"),
        (f"postgresql://u:{SECRET}@h/db", None, "percent-encode"),
        ("postgresql://u:s3cr3t#p@ss@h/db", None, "percent-encode"),
        ("postgresql://u:s3cr3t?p@ss@h/db", None, "percent-encode"),
    ],
)
def test_bad_urls_are_refused_without_repeating_them(
    url: str, password: str | None, words: str
) -> None:
    with pytest.raises(InvalidOptionError) as caught:
        postgres_url(url, password)
    assert words in str(caught.value)
    for part in (ENCODED, SECRET, "s3cr3t", "p@ss"):
        assert part not in str(caught.value)


def test_an_sslpassword_is_kept_sealed_and_out_of_the_shown_url(
    plane: ControlPlane, pg: PgDatabase
) -> None:
    info = plane.add_destination("pg", f"{pg.url()}?sslmode=disable&sslpassword={ENCODED}")
    assert info.url == f"postgresql://{pg.owner}@127.0.0.1:5432/{pg.database}?sslmode=disable"
    assert plane.get_destination("pg").url == info.url
    for path in (p for p in plane.home.rglob("*") if p.is_file()):
        assert SECRET.encode() not in path.read_bytes()
        assert ENCODED.encode() not in path.read_bytes()


def test_datasets_choose_and_change_their_destination(
    plane: ControlPlane, acme: str, pg: PgDatabase
) -> None:
    info = plane.add_destination("pg", pg.url(), schema="backlog")
    assert (info.kind, info.schema, info.datasets) == ("postgresql", "backlog", ())
    with pytest.raises(NameTakenError):
        plane.add_destination("pg", pg.url())
    with pytest.raises(NameTakenError, match="built-in"):
        plane.add_destination("Warehouse", pg.url())
    with pytest.raises(UnknownNameError, match="no destination named 'nope'"):
        plane.create_dataset("Users", account=acme, report="users", destination="nope")
    assert plane.list_datasets() == []

    created = plane.create_dataset("Users", account=acme, report="users", destination="pg")
    assert created.destination == "pg"
    assert plane.create_dataset("Teams", account=acme, report="teams").destination == "warehouse"
    assert plane.get_destination("pg").datasets == ("Users",)
    assert plane.get_destination("warehouse").datasets == ("Teams",)
    assert [d.destination for d in plane.list_datasets()] == ["warehouse", "pg"]  # Teams, Users

    version = _row(plane, "Users").config_version
    with pytest.raises(UnknownNameError):
        plane.update_dataset("Users", destination="nope")
    assert _row(plane, "Users").force_full is False
    plane.update_dataset("Users", destination="pg")  # the same: no full run needed
    assert (_row(plane, "Users").force_full, _row(plane, "Users").config_version) == (
        False, version,
    )  # fmt: skip
    assert plane.update_dataset("Users", destination="warehouse").destination == "warehouse"
    row = _row(plane, "Users")
    assert (row.force_full, row.config_version, row.destination_id) == (True, version + 1, None)

    plane.update_dataset("Teams", destination="pg")
    with pytest.raises(DestinationInUseError) as caught:
        plane.remove_destination("pg")
    assert caught.value.datasets == ("Teams",)
    with pytest.raises(InvalidOptionError, match="built-in"):
        plane.remove_destination("warehouse")


def test_a_plane_opens_one_sink_per_destination_and_closes_them(
    plane: ControlPlane, acme: str, pg: PgDatabase
) -> None:
    plane.add_destination("pg", pg.url())
    for name in ("Users", "Teams"):
        plane.create_dataset(name, account=acme, report=name.lower(), destination="pg")
    runs = plane.run_datasets(["Users", "Teams"])
    assert [r.status for r in runs] == ["succeeded", "succeeded"], [r.error for r in runs]
    assert len(plane._destination_sinks) == 1
    assert pg.scalar("select count(*) from public.users") == runs[0].table_rows
    plane.remove_destination("pg", force=True)
    assert plane._destination_sinks == {}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migration_keeps_existing_datasets_in_the_warehouse(backend: str, tmp_path: Path) -> None:
    admin_url = os.environ.get(
        "BACKLOG_CONNECTOR_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    schema = f"bc_test_{uuid.uuid4().hex[:12]}"
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'control.sqlite'}"
    else:
        url = f"{admin_url}?options=-csearch_path%3D{schema}"
        with sa.create_engine(admin_url).begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        engine = sa.create_engine(url)
        upgrade(engine, "0002")  # a database of the version before destinations
        now = utcnow()
        with Session(engine) as s, s.begin():
            account = Account(
                name="acme",
                base_url="https://acme.backlog.com",
                space="acme.backlog.com",
                address_kind="fqdn",
                auth_kind="api_key",
                api_key_in_query=False,
                secret=b"x",
                created_at=now,
                updated_at=now,
            )
            s.add(account)
            s.execute(sa.text(
                "insert into datasets (name, description, account_id, report, options,"
                " update_mode, schedule, retries, retry_interval, retry_interval_seconds,"
                " table_name, enabled, force_full, created_at, updated_at, config_version)"
                " values ('Issues', '', 1, 'issues', '{}', 'merge', 'manual', 0, '5m', 300,"
                " 'issues', true, false, :now, :now, 0)"
            ), {"now": now.replace(tzinfo=None)})  # fmt: skip
        engine.dispose()
        with ControlPlane.open(settings=Settings(home=tmp_path / "home", database_url=url)) as cp:
            assert cp.get_dataset("Issues").destination == "warehouse"
            assert [d.name for d in cp.list_destinations()] == ["warehouse"]
            assert cp.get_destination("warehouse").datasets == ("Issues",)
    finally:
        if backend == "postgresql":
            with sa.create_engine(admin_url).begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))


def _row(plane: ControlPlane, name: str) -> Dataset:
    with plane._sessions() as s:
        row = s.scalar(sa.select(Dataset).where(Dataset.name == name))
        assert row is not None
        return row


def test_a_run_into_a_destination_that_is_gone_fails_recorded_without_the_password(
    plane: ControlPlane, acme: str, pg: PgDatabase
) -> None:
    import psycopg
    from psycopg import sql

    from .pg_destination import ADMIN, secret_forms

    plane.add_destination("pg", pg.url())
    plane.create_dataset("Users", account=acme, report="users", destination="pg")
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(pg.database)))
    run = plane.run_datasets(["Users"])[0]
    assert run.status == "failed"
    assert run.error
    assert pg.database in run.error
    for form in secret_forms(pg.password):
        assert form not in run.error
    assert plane.history("Users")[0].status == "failed"  # recorded, not left running
    with pytest.raises(ConfigurationError, match=r"database") as caught:
        plane.verify_destination("pg")
    for form in secret_forms(pg.password):
        assert form not in str(caught.value)
