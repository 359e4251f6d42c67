"""``doctor``: is this installation healthy? One check per part, each with what to do if not.

The data home (exists, private), the key file (private), the control plane (reachable, at the
newest migration), the warehouse (opens, readable), the log file (private), each saved account
(its credentials verify against the space) and each destination (it connects). Nothing is
created or changed beyond what opening the control plane does for any command (its migrations)
and the ``verified_at`` stamps of the checks that pass.
"""

from __future__ import annotations

import stat
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from backlog_connector.backlog.errors import BacklogConnectorError
from backlog_connector.datasets.friendly_errors import friendly
from backlog_connector.datasets.log_file import log_path
from backlog_connector.settings import Settings


@dataclass(frozen=True)
class Check:
    """One check's outcome: ``name`` (``data home``, ``account acme``, ...), ``ok`` and a one-line
    ``detail`` (what was found, or what is wrong and the fix)."""

    name: str
    ok: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """The check as plain data (for ``--json``)."""
        return asdict(self)


def _private(path: Path, wanted: int) -> tuple[bool, str]:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        return False, f"{path} has mode {mode:o}, others may read it; run 'chmod {wanted:o} {path}'"
    return True, f"{path} (mode {mode:o})"


def check_home(settings: Settings) -> Check:
    """The data home exists, is a folder and only its owner may enter it (0700)."""
    home = settings.home
    if not home.exists():
        return Check(
            "data home", False,
            f"{home} does not exist; set BACKLOG_CONNECTOR_HOME to your data home, or create"
            " it by adding an account (accounts add)",
        )  # fmt: skip
    if not home.is_dir():
        return Check("data home", False, f"{home} is not a folder; point BACKLOG_CONNECTOR_HOME "
                     "at a folder")  # fmt: skip
    return Check("data home", *_private(home, 0o700))


def check_key(settings: Settings) -> Check:
    """The key that encrypts saved credentials: from the environment, or a 0600 key file."""
    if settings.secret_key is not None:
        return Check("secret key", True, "from BACKLOG_CONNECTOR_SECRET_KEY")
    path = settings.key_file
    if not path.is_file():
        return Check("secret key", True, f"{path} not created yet (made with the first account)")
    return Check("secret key", *_private(path, 0o600))


def check_log(settings: Settings) -> Check:
    """The log file, when there is one, is private (0600)."""
    path = log_path(settings.home)
    if not path.is_file():
        return Check("log file", True, f"{path} not written yet")
    return Check("log file", *_private(path, 0o600))


def check_control_plane(settings: Settings) -> tuple[Check, Any]:
    """The control plane opens (migrated to the newest revision); the open plane or None."""
    from backlog_connector.datasets.migrate import current_revision, head_revision
    from backlog_connector.datasets.service import ControlPlane
    from backlog_connector.sinks.postgres_conn import describe_url

    url = settings.control_db_url()
    where = describe_url(url) if url.startswith("postgres") else url
    try:
        plane = ControlPlane.open(settings=settings)
    except BacklogConnectorError as exc:
        return Check("control plane", False, f"{where}: {friendly(exc)}"), None
    revision, head = current_revision(plane.engine), head_revision()
    if revision != head:
        plane.close()
        behind = Check("control plane", False, f"{where} is at migration {revision}, the "
                       f"newest is {head}; run any command to migrate it")  # fmt: skip
        return behind, None
    return Check("control plane", True, f"{where} (migration {head}, the newest)"), plane


def check_warehouse(plane: Any) -> Check:
    """The DuckDB warehouse opens read-only and lists its tables (or does not exist yet)."""
    from backlog_connector.sinks.duckdb import open_read_only

    path: Path = plane.warehouse_path
    if not path.exists():
        return Check("warehouse", True, f"{path} not created yet (the first run makes it)")
    try:
        with open_read_only(path, read_wait=5.0) as warehouse:
            tables = warehouse.list_tables()
    except BacklogConnectorError as exc:
        return Check("warehouse", False, friendly(exc))
    return Check("warehouse", True, f"{path} opens read-only, {len(tables)} table(s)")


def _each(names: list[str], label: str, verify: Callable[[str], str]) -> Iterator[Check]:
    for name in names:
        try:
            yield Check(f"{label} {name}", True, verify(name))
        except BacklogConnectorError as exc:
            yield Check(f"{label} {name}", False, friendly(exc))


def run_checks(settings: Settings) -> list[Check]:
    """Every check, in order; the accounts, destinations and warehouse only when the control
    plane opened."""
    checks = [check_home(settings)]
    if not checks[0].ok and not settings.home.exists():
        return checks  # nothing to look at, and opening the plane would create the home
    checks += [check_key(settings), check_log(settings)]
    opened, plane = check_control_plane(settings)
    checks.append(opened)
    if plane is None:
        return checks
    try:
        checks.append(check_warehouse(plane))

        def account(name: str) -> str:
            info = plane.verify_account(name)
            return f"{info.user_name} on {info.space_name} [{info.space}]: credentials verify"

        def destination(name: str) -> str:
            info = plane.verify_destination(name)
            return f"{info.url} (schema {info.schema}): connects"

        checks += _each([a.name for a in plane.list_accounts()], "account", account)
        saved = [d.name for d in plane.list_destinations() if d.kind != "duckdb"]
        checks += _each(saved, "destination", destination)
    finally:
        plane.close()
    return checks
