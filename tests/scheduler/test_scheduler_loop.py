"""The scheduler loop on a hand-moved clock, running real syncs against emulators on loopback
into a real control plane and DuckDB file."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sched_helpers import Clock, Hooks, open_plane, wait_idle, wait_running

from backlog_connector.backlog.retry import zero_waits
from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator, EmulatorConfig
from backlog_connector.scheduler.loop import AlreadyRunningError, Scheduler
from backlog_connector.scheduler.state import STATE_FILE

SchedulerFactory = Callable[..., Scheduler]


def add_dataset(plane: ControlPlane, emu: Emulator, name: str, **kw: object) -> None:
    if not any(a.name == "acme" for a in plane.list_accounts()):
        plane.add_account("acme", base_url=emu.base_url, api_key=emu.api_keys["admin"])
    plane.create_dataset(name, account="acme", report="projects", **kw)  # type: ignore[arg-type]


def statuses(plane: ControlPlane, name: str) -> list[tuple[str, str, int]]:
    """(trigger, status, attempt) of each run, oldest first."""
    return [(r.trigger, r.status, r.attempt) for r in reversed(plane.history(name, 100))]


@pytest.fixture
def slow_space() -> Iterator[Emulator]:
    """A space whose requests take a second each once ``slow_down`` is called: runs then last
    long enough to overlap a due time."""
    with Emulator(EmulatorConfig(seed=4, projects=1, issues=5)) as emu:
        yield emu


def slow_down(emu: Emulator) -> None:
    emu.set_faults(slow=1.0, slow_seconds=1.0)


def test_interval_runs_once_per_due_time_and_catches_up_once(
    plane: ControlPlane, space: Emulator, clock: Clock, make_scheduler: SchedulerFactory
) -> None:
    add_dataset(plane, space, "Projects", schedule="every 10s")
    sched = make_scheduler(state_path=None)
    start = clock.now
    sched.tick()  # never ran: due at once
    wait_idle(sched, "Projects")
    sched.tick()
    clock.advance(9)
    sched.tick()  # not due yet
    assert statuses(plane, "Projects") == [("schedule", "succeeded", 1)]
    clock.advance(1)
    sched.tick()
    wait_idle(sched, "Projects")
    assert len(plane.history("Projects")) == 2
    clock.advance(10 * 6 + 3)  # down through six due times
    sched.tick()
    wait_idle(sched, "Projects")
    sched.tick()
    assert statuses(plane, "Projects") == [("schedule", "succeeded", 1)] * 3
    status = next(s for s in sched.status() if s.dataset == "Projects")
    assert status.last_due == start + timedelta(seconds=70)  # the catch-up stays on the grid
    assert status.next_due == start + timedelta(seconds=80)
    assert plane.get_dataset("Projects").rows == len(space.state.projects)


def test_manual_and_disabled_datasets_never_run_on_their_own(
    plane: ControlPlane, space: Emulator, clock: Clock, make_scheduler: SchedulerFactory
) -> None:
    add_dataset(plane, space, "By hand")
    add_dataset(plane, space, "Paused", schedule="every 5s", enabled=False)
    sched = make_scheduler(state_path=None)
    for _ in range(3):
        sched.tick()
        clock.advance(60)
    assert plane.history("By hand") == []
    assert plane.history("Paused") == []


def test_due_time_during_a_run_is_recorded_as_skipped_not_queued(
    plane: ControlPlane, slow_space: Emulator, clock: Clock, make_scheduler: SchedulerFactory
) -> None:
    add_dataset(plane, slow_space, "Slow", schedule="every 5s")
    slow_down(slow_space)
    sched = make_scheduler(state_path=None)
    sched.tick()
    wait_running(plane, "Slow")
    clock.advance(5)
    sched.tick()  # due again while the first run still reads
    clock.advance(5)
    sched.tick()
    wait_idle(sched, "Slow")
    runs = statuses(plane, "Slow")
    assert runs == [
        ("schedule", "succeeded", 1),
        ("schedule", "skipped", 1),
        ("schedule", "skipped", 1),
    ]
    skipped = plane.history("Slow", 1)[0]
    assert skipped.error is not None
    assert "still running" in skipped.error


def test_run_now_answers_at_once_and_refuses_a_second_start(
    plane: ControlPlane, slow_space: Emulator, make_scheduler: SchedulerFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    add_dataset(plane, slow_space, "Slow")
    # The run waits at a gate that opens only after run_now has answered: had run_now run it
    # inline, it would still be waiting here (no clock involved).
    gate = threading.Event()
    execute_runs = plane.execute_runs

    def gated(*args: Any, **kwargs: Any) -> Any:
        assert gate.wait(30), "the gate never opened"
        return execute_runs(*args, **kwargs)

    monkeypatch.setattr(plane, "execute_runs", gated)
    sched = make_scheduler(state_path=None)
    job = sched.run_now("Slow")
    assert job.run_id is not None
    assert plane.get_run(job.run_id).status == "queued"  # queued, not run inline
    assert not job.finished
    with pytest.raises(AlreadyRunningError, match="already running"):
        sched.run_now("Slow")
    gate.set()
    wait_idle(sched, "Slow")
    assert plane.get_run(job.run_id).status == "succeeded"
    assert job.to_dict()["progress"]["rows"] >= 1
    assert statuses(plane, "Slow") == [("manual", "succeeded", 1)]


def test_failed_run_is_retried_until_the_attempts_run_out_then_the_webhook_fires(
    plane: ControlPlane, clock: Clock, make_scheduler: SchedulerFactory, webhook: Hooks
) -> None:
    with Emulator(EmulatorConfig(seed=5, projects=1, issues=5)) as broken, zero_waits():
        add_dataset(plane, broken, "Flaky", schedule="daily 09:00", timezone="UTC", retries=2,
                    retry_interval="30s", webhook_url=webhook.url)  # fmt: skip
        broken.set_faults(http_500=1.0)
        clock.advance(-60)  # 08:59: the first due time is 09:00 today
        sched = make_scheduler(state_path=None, public_url="http://svc.example:8080")
        sched.tick()
        assert plane.history("Flaky") == []
        clock.advance(60)
        sched.tick()
        wait_idle(sched, "Flaky")
        status = next(s for s in sched.status() if s.dataset == "Flaky")
        assert status.retry_attempt == 2
        assert status.retry_at == clock.now + timedelta(seconds=30)
        clock.advance(29)
        sched.tick()
        assert len(plane.history("Flaky")) == 1  # not before the interval
        for _ in range(3):
            clock.advance(30)
            sched.tick()
            wait_idle(sched, "Flaky")
    assert statuses(plane, "Flaky") == [
        ("schedule", "failed", 1),
        ("retry", "failed", 2),
        ("retry", "failed", 3),
    ]
    assert all(r.error_action == "retry_later" for r in plane.history("Flaky"))
    assert len(webhook.received) == 1
    hook = webhook.received[0]
    last = plane.history("Flaky", 1)[0]
    assert hook["dataset"] == "Flaky"
    assert hook["attempt"] == 3
    assert hook["run_id"] == last.id
    assert hook["run"] == f"http://svc.example:8080/api/runs/{last.id}"
    assert hook["error"] == last.error
    assert hook["error"]


def test_pausing_a_dataset_drops_its_pending_retry(
    plane: ControlPlane, clock: Clock, make_scheduler: SchedulerFactory
) -> None:
    with Emulator(EmulatorConfig(seed=5, projects=1, issues=5)) as broken, zero_waits():
        add_dataset(plane, broken, "Flaky", schedule="daily 09:00", timezone="UTC", retries=3,
                    retry_interval="30s")  # fmt: skip
        broken.set_faults(http_500=1.0)
        clock.advance(-60)
        sched = make_scheduler(state_path=None)
        sched.tick()
        clock.advance(60)
        sched.tick()  # 09:00: the scheduled run fails, retry 2 waits for 09:00:30
        wait_idle(sched, "Flaky")
        assert next(s for s in sched.status() if s.dataset == "Flaky").retry_attempt == 2
        plane.update_dataset("Flaky", enabled=False)
        clock.advance(30)
        sched.tick()
        wait_idle(sched, "Flaky")
        assert next(s for s in sched.status() if s.dataset == "Flaky").retry_at is None
        plane.update_dataset("Flaky", enabled=True)  # resuming does not bring the retry back
        clock.advance(30)
        sched.tick()
        wait_idle(sched, "Flaky")
        assert statuses(plane, "Flaky") == [("schedule", "failed", 1)]

        plane.update_dataset("Flaky", enabled=False)
        job = sched.run_now("Flaky")  # by hand while paused: it runs, fails, and is not retried
        wait_idle(sched, "Flaky")
        assert job.status == "failed"
        assert next(s for s in sched.status() if s.dataset == "Flaky").retry_at is None
        clock.advance(60)
        sched.tick()
        wait_idle(sched, "Flaky")
    assert statuses(plane, "Flaky") == [("schedule", "failed", 1), ("manual", "failed", 1)]


def test_configuration_error_is_not_retried_and_says_so(
    plane: ControlPlane, tmp_path: Path, clock: Clock, make_scheduler: SchedulerFactory,
    webhook: Hooks, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    with Emulator(EmulatorConfig(seed=6, projects=1, issues=5)) as emu:
        add_dataset(plane, emu, "Revoked", schedule="every 1m", retries=3,
                    retry_interval="10s", webhook_url=webhook.url)  # fmt: skip
        emu.revoke_key(emu.api_keys["admin"])
        sched = make_scheduler(state_path=None)
        with caplog.at_level("WARNING", logger="backlog_connector.scheduler"):
            sched.tick()
            wait_idle(sched, "Revoked")
        for _ in range(5):
            clock.advance(10)
            sched.tick()
            wait_idle(sched, "Revoked")
    runs = plane.history("Revoked")
    assert [(r.trigger, r.status, r.error_action) for r in runs] == [
        ("schedule", "failed", "configuration")
    ]
    assert "not retried" in caplog.text
    assert next(s for s in sched.status() if s.dataset == "Revoked").retry_at is None
    assert len(webhook.received) == 1
    assert webhook.received[0]["error_action"] == "configuration"
    assert emu.api_keys["admin"] not in caplog.text


def test_stop_cancels_the_running_run_within_seconds(
    plane: ControlPlane, slow_space: Emulator, make_scheduler: SchedulerFactory
) -> None:
    add_dataset(plane, slow_space, "Slow", schedule="every 1m")
    slow_down(slow_space)
    sched = make_scheduler(state_path=None)
    sched.start()
    wait_running(plane, "Slow")
    started = time.monotonic()
    sched.stop(timeout=10)
    assert time.monotonic() - started < 5
    assert not sched.running
    run = plane.history("Slow", 1)[0]
    assert run.status == "cancelled"
    assert plane.get_dataset("Slow").rows is None  # no successful run: no table rows counted
    with pytest.raises(Exception, match="stopping"):
        sched.run_now("Slow")


def test_due_times_survive_a_restart_and_downtime_costs_one_catch_up(
    tmp_path: Path, space: Emulator, clock: Clock
) -> None:
    home = tmp_path / "home"
    plane = open_plane(home)
    try:
        add_dataset(plane, space, "Projects", schedule="every 10s")
        first = Scheduler(plane, clock=clock)
        first.tick()
        wait_idle(first, "Projects")
        first.stop()
    finally:
        plane.close()
    assert (home / STATE_FILE).is_file()

    plane = open_plane(home)
    try:
        clock.advance(5)
        second = Scheduler(plane, clock=clock)
        second.tick()  # the grid was kept: not due for 5 more seconds
        assert len(plane.history("Projects")) == 1
        clock.advance(10 * 30)  # down for 30 due times
        second.tick()
        wait_idle(second, "Projects")
        second.tick()
        second.stop()
        assert statuses(plane, "Projects") == [("schedule", "succeeded", 1)] * 2
    finally:
        plane.close()


def test_a_changed_schedule_starts_afresh(
    plane: ControlPlane, space: Emulator, clock: Clock, make_scheduler: SchedulerFactory
) -> None:
    add_dataset(plane, space, "Projects", schedule="every 1h")
    sched = make_scheduler(state_path=None)
    sched.tick()
    wait_idle(sched, "Projects")
    clock.advance(60)
    sched.tick()
    assert len(plane.history("Projects")) == 1
    plane.update_dataset("Projects", schedule="every 30s")
    sched.tick()  # a new schedule has no last due time: due at once
    wait_idle(sched, "Projects")
    assert len(plane.history("Projects")) == 2


def test_calendar_schedule_runs_in_the_space_time_zone_by_default(
    plane: ControlPlane, space: Emulator, clock: Clock, make_scheduler: SchedulerFactory
) -> None:
    add_dataset(plane, space, "Morning", schedule="daily 09:00")
    zone = plane.get_dataset("Morning").timezone
    assert zone == plane.get_account("acme").space_timezone == "Asia/Tokyo"
    clock.now = clock.now.replace(hour=23, minute=59)  # 08:59 the next day in Tokyo
    sched = make_scheduler(state_path=None)
    sched.tick()
    assert plane.history("Morning") == []
    clock.advance(60)  # 00:00 UTC = 09:00 JST
    sched.tick()
    wait_idle(sched, "Morning")
    assert statuses(plane, "Morning") == [("schedule", "succeeded", 1)]
