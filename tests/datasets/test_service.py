"""ControlPlane against the emulator: accounts, datasets, runs, cancellation, orphans."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

import pytest

from backlog_connector.backlog.errors import (
    AuthenticationError,
    InvalidAddressError,
    InvalidOptionError,
    NotFoundError,
)
from backlog_connector.datasets.errors import AccountInUseError, NameTakenError, UnknownNameError
from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator
from backlog_connector.reports.base import ProgressEvent

from .oauth_helpers import save_oauth_account

MakeEmulator = Callable[..., Emulator]


def test_account_records_user_and_space(plane: ControlPlane, emulator: Emulator) -> None:
    info = plane.add_account("acme", base_url=emulator.base_url, api_key=emulator.api_keys["admin"])
    assert (info.user_id, info.user_login, info.user_role_name) == (1, "admin", "Administrator")
    assert info.space_timezone == "Asia/Tokyo"
    assert info.space == emulator.base_url.removeprefix("http://")
    assert info.verified_at is not None
    assert set(plane.rate_budget("acme")) >= {"read", "search"}
    member = plane.add_account("m", base_url=emulator.base_url, api_key=emulator.api_keys["member"])
    assert member.user_role_name == "Normal User"
    assert [a.name for a in plane.list_accounts()] == ["acme", "m"]
    json.dumps([a.to_dict() for a in plane.list_accounts()])


def test_nothing_saved_on_refusal(plane: ControlPlane, emulator: Emulator) -> None:
    with pytest.raises(AuthenticationError):
        plane.add_account("x", base_url=emulator.base_url, api_key="wrong")
    with pytest.raises(InvalidAddressError):
        plane.add_account("x", fqdn="x.example.com", api_key="k")
    with pytest.raises(InvalidOptionError, match="API key"):
        plane.add_account("x", base_url=emulator.base_url, api_key="  ")
    assert plane.list_accounts() == []


def test_budget_is_shared_by_accounts_of_one_user(
    plane: ControlPlane, make_emulator: MakeEmulator
) -> None:
    emu = make_emulator(plan="paid", issues=30)
    first, second = emu.state.keys_of(1)[:2]
    plane.add_account("one", base_url=emu.base_url, api_key=first)
    plane.add_account("two", base_url=emu.base_url, api_key=second)
    plane.create_dataset("Issues", account="one", report="issues")
    (run,) = plane.run_datasets(["Issues"])
    assert run.status == "succeeded"
    assert run.requests["search"] >= 1
    one, two = plane.rate_budget("one"), plane.rate_budget("two")
    assert one == two
    assert one["search"]["remaining"] == run.last_remaining["search"]
    assert one["search"]["limit"] == 150


def test_remove_account(plane: ControlPlane, acme: str) -> None:
    plane.create_dataset("Space", account=acme, report="space")
    with pytest.raises(AccountInUseError) as refused:
        plane.remove_account(acme)
    assert refused.value.datasets == ("Space",)
    assert plane.get_account(acme).datasets == ("Space",)
    plane.remove_account(acme, force=True)
    assert plane.list_accounts() == []
    assert plane.list_datasets() == []


def test_update_account_moves_address_and_verifies(
    plane: ControlPlane, acme: str, emulator: Emulator
) -> None:
    with pytest.raises(AuthenticationError):
        plane.update_account(acme, api_key="wrong")
    assert plane.verify_account(acme).user_id == 1  # the old key is still saved
    moved = plane.update_account(
        acme, base_url=emulator.base_url + "/", api_key=emulator.api_keys["member"]
    )
    assert moved.user_login != "admin"


def test_create_dataset_defaults_and_checks(plane: ControlPlane, acme: str) -> None:
    info = plane.create_dataset("Backlog Issues", account=acme, report="issues")
    assert (info.table, info.update_mode, info.schedule) == ("backlog_issues", "merge", "manual")
    assert info.timezone == "Asia/Tokyo"
    assert info.last_run is None
    with pytest.raises(NameTakenError):
        plane.create_dataset("Backlog Issues", account=acme, report="space")
    with pytest.raises(UnknownNameError, match="ghost"):
        plane.create_dataset("d", account="ghost", report="space")
    with pytest.raises(InvalidOptionError, match="report"):
        plane.create_dataset("d", account=acme, report="nope")
    spec = plane.create_dataset(
        "Weekly", account=acme, report="space", schedule="WEEKLY Mon,Thu 09:00",
        timezone="Europe/Berlin", retries=3, retry_interval="90s", webhook_url="https://h/x",
    )  # fmt: skip
    assert spec.schedule == "weekly mon,thu 09:00"
    assert (spec.timezone, spec.retries, spec.retry_interval_seconds) == ("Europe/Berlin", 3, 90)
    assert [d.name for d in plane.list_datasets()] == ["Backlog Issues", "Weekly"]


def test_update_dataset(plane: ControlPlane, acme: str) -> None:
    plane.create_dataset("P", account=acme, report="projects")
    changed = plane.update_dataset("P", schedule="every 2h", retries=1, enabled=False)
    assert (changed.schedule, changed.retries, changed.enabled) == ("every 2h", 1, False)
    with pytest.raises(InvalidOptionError, match="report"):
        plane.update_dataset("P", report="issues")
    with pytest.raises(InvalidOptionError, match="archived"):
        plane.update_dataset("P", options={"archived": "maybe"})
    assert plane.get_dataset("P").options == {}


def test_incremental_cursor_and_forced_full_run(plane: ControlPlane, acme: str) -> None:
    plane.create_dataset("Issues", account=acme, report="issues")
    (first,) = plane.run_datasets(["Issues"])
    assert first.status == "succeeded", first.error
    assert first.cursor_before is None
    assert first.cursor_after
    (second,) = plane.run_datasets(["Issues"])
    assert second.cursor_before == first.cursor_after
    assert second.rows_written < first.rows_written
    plane.update_dataset("Issues", options={"parent_child": "all"})  # options changed
    (third,) = plane.run_datasets(["Issues"])
    assert third.cursor_before is None  # a full run
    (fourth,) = plane.run_datasets(["Issues"])
    assert fourth.cursor_before is not None
    assert [r.id for r in plane.history("Issues")] == [fourth.id, third.id, second.id, first.id]
    assert plane.get_dataset("Issues").rows == first.table_rows


def test_preview_schema_export(plane: ControlPlane, acme: str, tmp_path: object) -> None:
    plane.create_dataset("Users", account=acme, report="users")
    assert plane.schema("Users") == []
    with pytest.raises(NotFoundError, match="run it first"):
        plane.preview("Users")
    plane.run_datasets(["Users"])
    assert ("id", "BIGINT") in plane.schema("Users")
    assert plane.preview("Users", 3).num_rows == 3
    path = plane.export("Users", "csv", tmp_path / "u.csv")  # type: ignore[operator]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert "id" in lines[0].split(",")
    assert len(lines) == 1 + plane.get_dataset("Users").rows
    with pytest.raises(InvalidOptionError):
        plane.export("Users", "xml", tmp_path / "u.xml")  # type: ignore[operator]
    plane.delete_dataset("Users")
    with pytest.raises(UnknownNameError):
        plane.get_dataset("Users")


def test_cancel_leaves_the_table_as_it_was(plane: ControlPlane, acme: str) -> None:
    plane.create_dataset("Issues", account=acme, report="issues", update_mode="replace")
    (done,) = plane.run_datasets(["Issues"])
    before = plane.preview("Issues", 1000).to_pylist()
    cancel = threading.Event()

    def stop_after_first_page(name: str, event: ProgressEvent) -> None:
        if event.kind == "page":
            cancel.set()

    (run,) = plane.run_datasets(["Issues"], progress=stop_after_first_page, cancel=cancel)
    assert run.status == "cancelled"
    assert plane.preview("Issues", 1000).to_pylist() == before
    assert plane.get_dataset("Issues").rows == done.table_rows


def test_cancel_stops_between_requests_before_any_page(
    plane: ControlPlane, make_emulator: Callable[..., Emulator]
) -> None:
    # Every answer takes 1 s; an issues run asks for projects and custom fields before its
    # first page (5+ requests), so only a check before each request ends it within ~1 s.
    emu = make_emulator(faults={"slow": 1.0}, slow_seconds=1.0)
    plane.add_account("slow", base_url=emu.base_url, api_key=emu.api_keys["admin"])
    plane.create_dataset("Issues", account="slow", report="issues")
    cancel = threading.Event()
    pages: list[ProgressEvent] = []
    threading.Timer(0.3, cancel.set).start()
    began = time.monotonic()
    (run,) = plane.run_datasets(
        ["Issues"], progress=lambda _name, event: pages.append(event), cancel=cancel
    )
    assert run.status == "cancelled"
    assert [e for e in pages if e.kind == "page"] == []
    assert run.requests_total <= 2
    assert time.monotonic() - began < 4


def test_record_run_and_orphans(plane: ControlPlane, acme: str) -> None:
    plane.create_dataset("Space", account=acme, report="space")
    skipped = plane.record_run("Space", trigger="schedule", status="skipped", error="busy")
    assert (skipped.status, skipped.trigger, skipped.error) == ("skipped", "schedule", "busy")
    with pytest.raises(InvalidOptionError):
        plane.record_run("Space", trigger="schedule", status="running")
    with pytest.raises(InvalidOptionError):
        plane.record_run("Space", trigger="cron-job", status="skipped")
    queued = plane.queue_run("Space", trigger="retry", attempt=2)
    assert plane.get_run(queued.id).status == "queued"
    assert plane.fail_orphaned_runs() == 1
    orphan = plane.get_run(queued.id)
    assert orphan.status == "failed"
    assert orphan.error is not None
    assert "stopped" in orphan.error
    assert orphan.finished_at is not None
    assert plane.fail_orphaned_runs() == 0


def test_one_run_per_dataset_at_a_time(plane: ControlPlane, acme: str) -> None:
    plane.create_dataset("Issues", account=acme, report="issues")
    slow = threading.Event()

    def dawdle(name: str, event: ProgressEvent) -> None:
        if not slow.is_set():
            slow.set()
            time.sleep(0.5)

    first, second = plane.queue_run("Issues"), plane.queue_run("Issues")
    runs = plane.execute_runs([first.id, second.id], progress=dawdle)
    assert sorted(r.status for r in runs) == ["skipped", "succeeded"]


def test_oauth_account_saves_refreshed_tokens(
    plane: ControlPlane, make_emulator: MakeEmulator
) -> None:
    emu = make_emulator(issues=10, token_seconds=30)  # inside the refresh-ahead window
    client = emu.oauth_client
    info, token = save_oauth_account(plane, emu)
    assert (info.auth, info.user_login) == ("oauth", "admin")
    plane.create_dataset("Space", account="oauth", report="space")
    (run,) = plane.run_datasets(["Space"])
    assert run.status == "succeeded", run.error
    # the client refreshed the short-lived token; the new one was saved (encrypted)
    emu.revoke_key(token.access_token)
    assert plane.verify_account("oauth").user_login == "admin"
    dumped = json.dumps(plane.get_account("oauth").to_dict())
    assert token.refresh_token not in dumped
    assert client["client_secret"] not in dumped


def test_busy_warehouse_fails_the_run_cleanly(plane: ControlPlane, acme: str) -> None:
    import subprocess
    import sys

    plane.create_dataset("Space", account=acme, report="space")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]);"
         " print('locked', flush=True); time.sleep(60)", str(plane.warehouse_path)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        (run,) = plane.run_datasets(["Space"])
    finally:
        holder.kill()
        holder.wait()
    assert run.status == "failed"  # recorded, not left "running"
    assert run.error is not None
    assert "another process" in run.error
    assert plane.get_dataset("Space").last_run == run
    (again,) = plane.run_datasets(["Space"])  # the lock is gone: the next run works
    assert again.status == "succeeded", again.error
