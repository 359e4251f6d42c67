"""When a dataset's next run must ignore its cursor: a change of options during a full run, and
an account moved to another space or Backlog user."""

from __future__ import annotations

from backlog_connector.datasets.runner import ProgressEvent
from backlog_connector.datasets.service import ControlPlane


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

