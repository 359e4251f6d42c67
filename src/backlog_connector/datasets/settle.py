"""Honest history: runs whose owner process died are settled by whoever reads the history.

A run row names its owner (``datasets.owner``). Reading the history (``history``, ``get_run``,
``list_datasets``, ``get_dataset``) first settles every queued or running run whose owner is
dead, so the CLI alone tells the truth after a ``kill -9``:

* the warehouse holds the run's commit marker (the process died after its commit, before its
  run row was written): the run is recorded ``succeeded`` with the committed counts and a note;
* otherwise it is recorded ``failed`` (action retry_later), its table as it was.

When the warehouse cannot be read (another process holds it for writing) the dead runs are
left for that process, which settles them at its next read. ``fail_orphaned_runs`` (called at
``serve`` start) settles the same way and also takes runs recorded without an owner (older
versions) and runs this very process recorded but is not executing.

Runs carried by the task queue (``queue_job_id`` set: the control plane in PostgreSQL, runs on
``worker`` processes) are not settled here: procrastinate's worker heartbeats decide whether
their worker died, and the sweep (``workers.tasks``) fails them and hands their job back, so
the next delivery runs a new attempt (at-least-once).
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from backlog_connector.datasets.models import Dataset, Run, utcnow
from backlog_connector.datasets.owner import Owner, owner_is_dead, this_process
from backlog_connector.datasets.plane import PlaneCore, SinkTarget

log = logging.getLogger("backlog_connector.datasets")

_UNFINISHED = ("queued", "running")


class SettleMixin(PlaneCore):
    """Owner records, heartbeats and the settling of dead owners' runs."""

    def _owner_fields(self) -> dict[str, Any]:
        me = this_process()
        return {"owner_host": me.host, "owner_pid": me.pid, "owner_started": me.started,
                "heartbeat_at": utcnow()}  # fmt: skip

    def _ensure_heartbeat(self) -> None:
        """Start the thread that refreshes the heartbeat of this process's unfinished runs."""
        with self._heartbeat_lock:
            if self._heartbeat is not None and self._heartbeat.is_alive():
                return
            self._heartbeat_stop.clear()
            self._heartbeat = threading.Thread(
                target=self._beat_until_closed, name="bc-heartbeat", daemon=True
            )
            self._heartbeat.start()

    def _beat_until_closed(self) -> None:
        me = this_process()
        while not self._heartbeat_stop.wait(self.settings.runs.heartbeat_seconds):
            try:
                with self._sessions.begin() as s:
                    s.execute(
                        sa.update(Run)
                        .where(Run.status.in_(_UNFINISHED), Run.owner_host == me.host,
                               Run.owner_pid == me.pid)
                        .values(heartbeat_at=utcnow())
                    )  # fmt: skip
            except Exception:  # the database may be back at the next beat
                log.warning("could not refresh the run heartbeat", exc_info=True)

    def settle_runs(self) -> int:
        """Settle the unfinished runs whose owner process is dead; return how many."""
        return self._settle(at_start=False)

    def fail_orphaned_runs(self) -> int:
        """At start-up, before this process runs anything: settle the runs of dead owners,
        runs recorded without an owner, and runs of this process it is not executing (a live
        CLI run of another process is left alone). Returns how many were settled."""
        return self._settle(at_start=True)

    def _live_other_run(self, run_id: int, dataset_id: int) -> Owner | None:
        """The owner of an earlier unfinished run of the dataset held by another live
        process, if any (that run wins; this one is recorded skipped)."""
        me = this_process()
        with self._sessions() as s:
            rows = s.execute(
                sa.select(Run.owner_host, Run.owner_pid, Run.owner_started, Run.heartbeat_at)
                .where(Run.dataset_id == dataset_id, Run.id < run_id,
                       Run.status.in_(_UNFINISHED), Run.owner_pid.is_not(None))
            ).all()  # fmt: skip
        stale = timedelta(seconds=self.settings.runs.stale_seconds)
        now = utcnow()
        for host, pid, started, beat in rows:
            if (host, pid) == (me.host, me.pid):
                continue
            if not owner_is_dead(host, pid, started, beat, now=now, stale_after=stale):
                return Owner(host=str(host), pid=int(pid or 0), started=str(started or ""))
        return None

    def _settle(self, *, at_start: bool) -> int:
        me = this_process()
        now = utcnow()
        stale = timedelta(seconds=self.settings.runs.stale_seconds)
        with self._sessions() as s:
            rows = s.execute(
                sa.select(Run.id, Run.status, Run.owner_host, Run.owner_pid, Run.owner_started,
                          Run.heartbeat_at, Run.started_at, Run.created_at, Dataset.table_name)
                .join(Dataset, Dataset.id == Run.dataset_id)
                .where(Run.status.in_(_UNFINISHED), Run.queue_job_id.is_(None))
            ).all()  # fmt: skip
        dead: list[tuple[int, str, str]] = []
        tables: dict[int, str] = {}  # run id -> its dataset's table (markers name it)
        for run_id, status, host, pid, started, beat, began, created, table in rows:
            tables[int(run_id)] = str(table).lower()
            mine = (host, pid) == (me.host, me.pid)
            if mine and not at_start:
                continue
            if at_start and (mine or host is None):
                is_dead = True
            else:
                last_sign = beat or began or created
                is_dead = owner_is_dead(host, pid, started, last_sign, now=now, stale_after=stale)
            if is_dead:
                who = f" ({host} pid {pid})" if host else ""
                dead.append((int(run_id), str(status), who))
        if not dead:
            return 0
        markers = self._commit_markers([str(r[0]) for r in dead])
        if markers is None:
            log.info("%d run(s) of stopped processes wait: the warehouse is busy", len(dead))
            return 0
        settled = 0
        with self._sessions.begin() as s:
            for run_id, status, who in dead:
                marker = markers.get(str(run_id))
                if marker is not None and marker.get("table") != tables[run_id]:
                    marker = None  # a marker of another dataset's run of the same id
                values = _settled_values(marker, status, who, now)
                result = s.execute(
                    sa.update(Run).where(Run.id == run_id, Run.status.in_(_UNFINISHED))
                    .values(**values)
                )  # fmt: skip
                settled += int(getattr(result, "rowcount", 0) or 0)
        if settled:
            log.warning("settled %d run(s) whose process stopped before recording them", settled)
        return settled

    def _commit_markers(self, run_ids: list[str]) -> dict[str, dict[str, Any]] | None:
        """The commit markers of ``run_ids``: the warehouse's, and those of the destinations
        of their datasets; None when one of them cannot be read now."""
        from backlog_connector.backlog.errors import RetryLaterError

        markers = self._warehouse_markers(run_ids)
        if markers is None:
            return None
        with self._sessions() as s:
            rows = s.execute(
                sa.select(Run.id, Dataset).join(Dataset, Dataset.id == Run.dataset_id)
                .where(Run.id.in_([int(r) for r in run_ids]), Dataset.destination_id.is_not(None))
            ).all()  # fmt: skip
            targets: dict[int, tuple[SinkTarget | None, list[str]]] = {}
            for run_id, row in rows:
                entry = targets.setdefault(row.destination_id or 0, (self._sink_target(row), []))
                entry[1].append(str(run_id))
        for target, ids in targets.values():
            try:
                markers.update(self._sink_for(target).committed_runs(ids))
            except RetryLaterError:  # the destination cannot be reached now: settle later
                return None
        return markers

    def _warehouse_markers(self, run_ids: list[str]) -> dict[str, dict[str, Any]] | None:
        """The warehouse's commit markers of ``run_ids``; None when it cannot be read now."""
        from backlog_connector.sinks.duckdb import open_read_only
        from backlog_connector.sinks.errors import WarehouseBusyError, WarehouseOpenError

        with self._sink_lock:  # never open the file read-only while this process opens it
            if self._sink is not None:
                return self._sink.committed_runs(run_ids)
            if not self.warehouse_path.is_file():
                return {}
            try:
                reader = open_read_only(self.warehouse_path)
            except WarehouseBusyError:
                return None
            except WarehouseOpenError:
                return {}
            try:
                return reader.committed_runs(run_ids)
            finally:
                reader.close()


def _settled_values(
    marker: dict[str, Any] | None, status: str, who: str, now: datetime
) -> dict[str, Any]:
    if marker is not None and marker.get("partial"):
        return {
            "status": "failed", "finished_at": now, "error_action": "retry_later",
            "rows_written": int(marker.get("rows_written") or 0),
            "error": f"the process running it{who} stopped after the run failed and kept its"
                     " progress; the next run resumes where it stopped",
        }  # fmt: skip
    if marker is not None:
        at = marker.get("committed_at")
        return {
            "status": "succeeded", "finished_at": at if isinstance(at, datetime) else now,
            "rows_written": int(marker.get("rows_written") or 0),
            "rows_deleted": int(marker.get("rows_deleted") or 0),
            "table_rows": marker.get("table_rows"), "error": None, "error_action": None,
            "note": f"the process running it{who} stopped after committing the data and before"
                    " recording the run; settled from the warehouse's commit record",
        }  # fmt: skip
    when = "before the run started" if status == "queued" else "before the run finished"
    return {
        "status": "failed", "finished_at": now, "error_action": "retry_later",
        "error": f"the process running it{who} stopped {when} (killed or crashed); the table"
                 " was left as it was",
    }  # fmt: skip
