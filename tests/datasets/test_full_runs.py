"""When a dataset's next run must ignore its cursor: a change of options during a full run, and
an account moved to another space or Backlog user."""

from __future__ import annotations

from backlog_connector.datasets.runner import ProgressEvent
from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator


def test_options_changed_during_a_full_run_force_the_next_one(
    plane: ControlPlane, acme: str
) -> None:
    plane.create_dataset("Issues", account=acme, report="issues")
    assert plane.run_datasets(["Issues"])[0].status == "succeeded"
    changed: list[str] = []

    def change_options(dataset: str, _event: ProgressEvent) -> None:
        if not changed:  # while the full run is under way, with the old options
            changed.append(dataset)
            plane.update_dataset(dataset, options={"parent_child": "all"})

    (full,) = plane.run_datasets(["Issues"], full=True, progress=change_options)
    assert (full.status, full.cursor_before, changed) == ("succeeded", None, ["Issues"])
    (after,) = plane.run_datasets(["Issues"])
    assert after.cursor_before is None  # the new options get their own full run
    (then,) = plane.run_datasets(["Issues"])
    assert then.cursor_before is not None


def test_an_account_moved_to_another_user_forces_full_runs(
    plane: ControlPlane, acme: str, emulator: Emulator
) -> None:
    plane.create_dataset("Issues", account=acme, report="issues")
    assert plane.run_datasets(["Issues"])[0].status == "succeeded"
    plane.update_account(acme, api_key=emulator.api_keys["admin"])  # same user: cursor kept
    (same,) = plane.run_datasets(["Issues"])
    assert same.cursor_before is not None
    plane.update_account(acme, api_key=emulator.api_keys["member"])
    (moved,) = plane.run_datasets(["Issues"])
    assert (moved.status, moved.cursor_before) == ("succeeded", None)


def test_an_account_moved_to_another_space_forces_full_runs(
    plane: ControlPlane, acme: str, emulator: Emulator
) -> None:
    plane.create_dataset("Issues", account=acme, report="issues")
    assert plane.run_datasets(["Issues"])[0].status == "succeeded"
    other = emulator.base_url.replace("127.0.0.1", "localhost")  # another _space value
    plane.update_account(acme, base_url=other)
    (moved,) = plane.run_datasets(["Issues"])
    assert (moved.status, moved.cursor_before) == ("succeeded", None)
    spaces = plane.preview("Issues", limit=10_000).column("_space").unique().to_pylist()
    assert spaces == [other.removeprefix("http://")]
