"""Short holds on the warehouse file, so other processes can read it while the connector works.

DuckDB lets one process open a file for writing, and a reader in another process keeps a writer
out too. So the connector never keeps ``warehouse.duckdb`` open: every read opens it read-only
for the moment it reads, and a run opens it read-write only to apply what it staged elsewhere.
In one process DuckDB also refuses a read-write and a read-only connection to the same file at
once, so ``WarehouseFile`` is a readers-writer gate per file: readers share it, a commit waits
for them and holds it alone. When another process holds the file, both wait (polling) up to a
deadline, telling ``on_wait`` what they wait for, then raise ``WarehouseBusyError`` saying who
to close.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb

from backlog_connector.sinks.errors import WarehouseBusyError, WarehouseOpenError

#: how long a read waits for another process to let go of the file, by default
READ_WAIT_SECONDS = 10.0
#: how long a commit waits for outside readers to let go, by default (a setting in the service)
COMMIT_WAIT_SECONDS = 600.0
_POLL_SECONDS = 0.2
_TELL_EVERY_SECONDS = 5.0
_HOLDER = re.compile(r"Conflicting lock is held in (.*?) \(PID (\d+)\)")

_gates: dict[Path, WarehouseFile] = {}
_gates_lock = threading.Lock()


def warehouse_file(path: Path) -> WarehouseFile:
    """The gate of the warehouse at ``path`` (one per file per process)."""
    key = Path(path).resolve()
    with _gates_lock:
        gate = _gates.get(key)
        if gate is None:
            gate = _gates[key] = WarehouseFile(key)
        return gate


class WarehouseFile:
    """Readers share the file, a writer holds it alone (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0
        #: how long the last read-write hold of this process lasted (open to close), seconds
        self.last_hold_seconds: float | None = None

    @contextlib.contextmanager
    def reading(
        self, *, wait: float = READ_WAIT_SECONDS, on_wait: Callable[[str], None] | None = None
    ) -> Iterator[duckdb.DuckDBPyConnection | None]:
        """A read-only connection for the moment of a read; ``None`` while the file does not
        exist yet (nothing committed)."""
        with self._cond:
            while self._writing or self._writers_waiting:
                self._cond.wait()
            self._readers += 1
        try:
            if not self.path.is_file():
                yield None
                return
            con = self._open(read_only=True, wait=wait, on_wait=on_wait)
            try:
                con.execute("SET TimeZone = 'UTC'")
                yield con
            finally:
                con.close()
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextlib.contextmanager
    def writing(
        self,
        *,
        wait: float = COMMIT_WAIT_SECONDS,
        on_wait: Callable[[str], None] | None = None,
        memory_limit: str | None = None,
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection (the file is created if missing), held alone. While another
        process holds the file, this process's readers go on between the attempts."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + max(0.0, wait)
        told = 0.0
        while True:
            self._acquire_alone()
            try:
                con = self._open(read_only=False, wait=0.0, on_wait=None)
                break
            except WarehouseBusyError as exc:
                self._release_alone()
                now = time.monotonic()
                if now >= deadline:
                    raise WarehouseBusyError(_busy_message(self.path, exc.holder, wait)) from None
                if on_wait is not None and now - told >= _TELL_EVERY_SECONDS:
                    told = now
                    on_wait(f"waiting for readers of {self.path.name} to let go ({exc.holder})")
                time.sleep(min(_POLL_SECONDS, max(0.0, deadline - now)))
            except BaseException:
                self._release_alone()
                raise
        held_from = time.perf_counter()
        try:
            con.execute("SET TimeZone = 'UTC'")
            if memory_limit is not None:
                con.execute("SET memory_limit = ?", [memory_limit])
            yield con
        finally:
            con.close()
            self.last_hold_seconds = time.perf_counter() - held_from
            self._release_alone()

    def _acquire_alone(self) -> None:
        with self._cond:
            self._writers_waiting += 1
            try:
                while self._writing or self._readers:
                    self._cond.wait()
            finally:
                self._writers_waiting -= 1
            self._writing = True

    def _release_alone(self) -> None:
        with self._cond:
            self._writing = False
            self._cond.notify_all()

    def _open(
        self, *, read_only: bool, wait: float, on_wait: Callable[[str], None] | None
    ) -> duckdb.DuckDBPyConnection:
        if self.path.is_dir():
            raise WarehouseOpenError(
                f"the warehouse path {self.path} is a directory; give a file path"
            )
        deadline = time.monotonic() + max(0.0, wait)
        told = 0.0
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=read_only)
            except duckdb.IOException as exc:
                holder = _holder(str(exc))
                if holder is None:
                    raise WarehouseOpenError(
                        f"cannot open the warehouse {self.path}: {exc}"
                    ) from exc
                now = time.monotonic()
                if now >= deadline:
                    busy = WarehouseBusyError(_busy_message(self.path, holder, wait))
                    busy.holder = holder
                    raise busy from None
                if on_wait is not None and now - told >= _TELL_EVERY_SECONDS:
                    told = now
                    on_wait(f"waiting for readers of {self.path.name} to let go ({holder})")
                time.sleep(min(_POLL_SECONDS, max(0.0, deadline - now)))
            except duckdb.Error as exc:
                raise WarehouseOpenError(f"cannot open the warehouse {self.path}: {exc}") from exc


def _holder(text: str) -> str | None:
    """Who holds the file, from DuckDB's lock error ('program (PID n)'), or None when the
    error is not a lock conflict."""
    found = _HOLDER.search(text)
    if found is not None:
        return f"{Path(found.group(1)).name} (PID {found.group(2)})"
    return "another process" if "lock" in text.lower() else None


def _busy_message(path: Path, holder: str, wait: float) -> str:
    return (
        f"the warehouse {path} stayed open in {holder} for {wait:.0f} s; DuckDB lets no one "
        "write a file another process has open, so close that program (a duckdb CLI, notebook "
        "or BI tool reading the file; open it read-only and briefly, or read the published "
        "Parquet files), then run again"
    )
