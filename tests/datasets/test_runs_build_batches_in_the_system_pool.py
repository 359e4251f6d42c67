"""A run builds its Arrow batches in the C library's allocator (it hands freed blocks back,
which kept a 100,000-issue run's peak about 40 MB lower than pyarrow's default pool), unless
the user named a pool in ``ARROW_DEFAULT_MEMORY_POOL``."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pytest

from backlog_connector.datasets.service import ControlPlane
from backlog_connector.reports.arrow_memory import use_system_pool


@pytest.fixture
def mimalloc_first(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """pyarrow's Linux default (mimalloc) as the pool before the test; restored after."""
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    before = pa.default_memory_pool()
    try:
        mimalloc = pa.mimalloc_memory_pool()
    except NotImplementedError:
        pytest.skip("this pyarrow is built without mimalloc (its default pool is another)")
    pa.set_memory_pool(mimalloc)
    try:
        yield
    finally:
        pa.set_memory_pool(before)


def test_a_run_switches_arrow_to_the_system_pool(
    mimalloc_first: None, plane: ControlPlane, acme: str
) -> None:
    assert pa.default_memory_pool().backend_name == "mimalloc"
    plane.create_dataset("Users", account=acme, report="users")
    (run,) = plane.run_datasets(["Users"])
    assert run.status == "succeeded", run.error
    assert pa.default_memory_pool().backend_name == "system"


def test_a_pool_the_user_named_is_kept(
    mimalloc_first: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "mimalloc")
    use_system_pool()
    assert pa.default_memory_pool().backend_name == "mimalloc"
