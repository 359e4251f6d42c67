"""Which process owns a run, and whether that process is still alive.

A run row records its owner: the host name, the process id and the process's start time
(``boot id:start ticks`` from ``/proc``, so a recycled pid or a reboot is told apart from the
process that started the run), and a heartbeat the owner refreshes while the run is under way.
Any process that reads the history settles the runs of dead owners:

* same host: the owner is dead when no process has that pid, or the process with that pid
  started at another time;
* another host: the owner is dead when its heartbeat is older than the stale threshold.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path


@dataclass(frozen=True)
class Owner:
    """A process that runs datasets."""

    host: str
    pid: int
    started: str  # the process start token; "" where the system does not tell

    def describe(self) -> str:
        """``host pid N``: for messages."""
        return f"{self.host} pid {self.pid}"


@cache
def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def process_start_token(pid: int) -> str | None:
    """The start token of process ``pid``: ``""`` when the system cannot tell (no ``/proc``)
    but the process exists, None when there is no such process."""
    try:
        stat = Path(f"/proc/{int(pid)}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        return "" if _pid_exists(pid) else None
    # the command name (field 2) may hold spaces and parentheses: split after its last ')'
    fields = stat[stat.rfind(")") + 2 :].split()
    return f"{_boot_id()}:{fields[19]}" if len(fields) > 19 else ""


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


_own: dict[int, Owner] = {}


def this_process() -> Owner:
    """The owner record of the calling process (recomputed after a fork)."""
    pid = os.getpid()
    owner = _own.get(pid)
    if owner is None:
        owner = Owner(host=socket.gethostname(), pid=pid, started=process_start_token(pid) or "")
        _own[pid] = owner
    return owner


def owner_is_dead(
    host: str | None,
    pid: int | None,
    started: str | None,
    heartbeat_at: datetime | None,
    *,
    now: datetime,
    stale_after: timedelta,
) -> bool:
    """True when the recorded owner of a run can no longer finish it (see the module
    docstring); an owner not recorded (a run of an older version) counts as dead once its
    heartbeat (or, lacking one, the time given) is stale."""
    if host is None or pid is None:
        return heartbeat_at is None or now - heartbeat_at > stale_after
    if host == this_process().host:
        token = process_start_token(pid)
        if token is None:
            return True
        return bool(started) and bool(token) and token != started
    return heartbeat_at is None or now - heartbeat_at > stale_after
