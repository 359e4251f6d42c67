"""Fixtures for the DuckDB sink tests: a real warehouse file per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backlog_connector.sinks.duckdb import DuckDBSink


@pytest.fixture
def warehouse_path(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"


@pytest.fixture
def sink(warehouse_path: Path) -> Iterator[DuckDBSink]:
    s = DuckDBSink(warehouse_path)
    yield s
    s.close()
