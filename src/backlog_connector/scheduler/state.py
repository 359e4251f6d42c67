"""The scheduler's memory across restarts: each dataset's last due time.

Kept in ``scheduler-state.json`` in the data home (written atomically), so a service that was
down makes one catch-up run per dataset instead of forgetting its grid or running a storm.
An entry remembers the schedule and zone it was computed for; a changed schedule starts afresh.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

log = logging.getLogger("backlog_connector.scheduler")

STATE_FILE = "scheduler-state.json"


@dataclass(frozen=True)
class DueEntry:
    """The last due time the scheduler acted on (or, for a calendar schedule not yet due, the
    moment it was first seen), for one schedule in one zone."""

    spec: str
    timezone: str
    last_due: datetime


class DueTimes:
    """Last due times per dataset, persisted to a JSON file (None: memory only)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._entries: dict[str, DueEntry] = self._load() if path is not None else {}

    def last_due(self, dataset: str, spec: str, timezone: str) -> datetime | None:
        """The last due time of ``dataset`` if it was computed for this schedule and zone."""
        with self._lock:
            entry = self._entries.get(dataset)
        if entry is None or entry.spec != spec or entry.timezone != timezone:
            return None
        return entry.last_due

    def remember(self, dataset: str, spec: str, timezone: str, due: datetime) -> None:
        """Remember that ``dataset`` was due at ``due`` and save."""
        with self._lock:
            self._entries[dataset] = DueEntry(spec, timezone, due)
            self._save()

    def forget(self, names: set[str]) -> None:
        """Drop entries of datasets that no longer exist."""
        with self._lock:
            gone = names & set(self._entries)
            for name in gone:
                del self._entries[name]
            if gone:
                self._save()

    def names(self) -> set[str]:
        """Datasets with an entry."""
        with self._lock:
            return set(self._entries)

    def _load(self) -> dict[str, DueEntry]:
        assert self.path is not None
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return {
                name: DueEntry(e["spec"], e["timezone"], datetime.fromisoformat(e["last_due"]))
                for name, e in raw.items()
            }
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            # A damaged file costs at most one early run per dataset: start afresh.
            log.warning("ignoring unreadable scheduler state %s: %s", self.path, exc)
            return {}

    def _save(self) -> None:
        if self.path is None:
            return
        data = {
            name: {"spec": e.spec, "timezone": e.timezone, "last_due": e.last_due.isoformat()}
            for name, e in sorted(self._entries.items())
        }
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        os.replace(tmp, self.path)
