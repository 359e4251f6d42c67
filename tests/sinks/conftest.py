"""Fixtures for the sink tests: a real DuckDB file, or a real PostgreSQL schema, per test.

Tests that take ``sink`` run against both destinations (ids ``duckdb`` and ``postgres``), so
every behaviour the DuckDB sink promises is checked for PostgreSQL too; tests about DuckDB's own
internals carry ``@pytest.mark.duckdb_only`` and run for DuckDB alone.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from backlog_connector.sinks.base import Sink
from backlog_connector.sinks.duckdb import DuckDBSink
from pgtools import scratch_database


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "duckdb_only: checks DuckDB internals; not for PostgreSQL")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "sink" in metafunc.fixturenames:
        kinds = ["duckdb"]
        if metafunc.definition.get_closest_marker("duckdb_only") is None:
            kinds.append("postgres")
        metafunc.parametrize("sink", kinds, indirect=True)


@pytest.fixture
def warehouse_path(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"


@pytest.fixture(scope="session")
def sink_database() -> Iterator[str]:
    """One scratch database for the sink tests of the session (each test gets a schema)."""
    with scratch_database("sinks") as url:
        yield url


@pytest.fixture
def pg_schema(sink_database: str) -> Iterator[str]:
    """A fresh schema name in the scratch database, dropped after the test."""
    schema = f"t_{uuid.uuid4().hex[:10]}"
    yield schema
    with psycopg.connect(sink_database, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def sink(request: pytest.FixtureRequest, warehouse_path: Path) -> Iterator[Sink]:
    s: Sink
    if request.param == "postgres":
        from backlog_connector.sinks.postgres import PostgresSink

        url, schema = (request.getfixturevalue(n) for n in ("sink_database", "pg_schema"))
        s = PostgresSink(url, schema)
    else:
        s = DuckDBSink(warehouse_path)
    yield s
    s.close()
