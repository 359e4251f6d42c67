"""``publish parquet``: after every successful run the table is also written, whole, to
``published/<table>.parquet`` in the data home, for tools that read files."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from backlog_connector.backlog.errors import InvalidOptionError
from backlog_connector.datasets.service import ControlPlane


def test_each_successful_run_publishes_the_whole_table(plane: ControlPlane, acme: str) -> None:
    plane.create_dataset("Issues", account=acme, report="issues", publish="parquet")
    assert plane.get_dataset("Issues").publish == "parquet"
    published = plane.home / "published" / "issues.parquet"
    [run] = plane.run_datasets(["Issues"])
    assert run.status == "succeeded"
    table = pq.read_table(published)
    assert table.num_rows == run.table_rows > 0
    assert sorted(table.column("id").to_pylist()) == sorted(
        plane.preview("Issues", 100_000).column("id").to_pylist()
    )
    first = published.stat().st_mtime_ns
    [again] = plane.run_datasets(["Issues"])  # incremental: the file is the whole table again
    assert again.status == "succeeded"
    assert published.stat().st_mtime_ns > first
    assert pq.read_table(published).num_rows == again.table_rows
    assert [p.name for p in published.parent.iterdir()] == ["issues.parquet"]  # no partials

    plane.update_dataset("Issues", publish="none")
    assert plane.get_dataset("Issues").publish is None
    assert not published.exists()  # a stale snapshot would pass for the live table
    plane.run_datasets(["Issues"])
    assert not published.exists()  # no longer written

    plane.update_dataset("Issues", publish="parquet")
    plane.run_datasets(["Issues"])
    assert published.exists()
    plane.delete_dataset("Issues")
    assert not published.exists()  # gone with the dataset


def test_a_failed_run_publishes_nothing(plane: ControlPlane, acme: str) -> None:
    plane.create_dataset(
        "Bad",
        account=acme,
        report="issues",
        publish="parquet",
        options={"statuses": "Nope"},
        check_options=False,  # saved unchecked: the run refuses the name
    )
    [run] = plane.run_datasets(["Bad"])
    assert run.status == "failed"
    assert not (plane.home / "published").exists()


def test_an_unknown_publish_format_is_refused_and_nothing_is_saved(
    plane: ControlPlane, acme: str
) -> None:
    with pytest.raises(InvalidOptionError, match="parquet"):
        plane.create_dataset("Issues", account=acme, report="issues", publish="xlsx")
    assert plane.list_datasets() == []
    plane.create_dataset("Issues", account=acme, report="issues")
    with pytest.raises(InvalidOptionError, match="parquet"):
        plane.update_dataset("Issues", publish="csv")
    assert plane.get_dataset("Issues").publish is None
