"""``backlog-connector doctor``: one line per check (data home, key file, log file, control
plane, warehouse, each account and destination), exit 1 if any fails, ``--json``."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from backlog_connector.emulator import Emulator
from datasets.pg_destination import pg_database

from .helpers import Cli, as_json


def _checks(cli: Cli) -> tuple[int, dict[str, dict[str, object]]]:
    result = cli("doctor", "--json")
    return result.exit_code, {c["name"]: c for c in json.loads(result.stdout)}


def test_a_healthy_installation(cli: Cli, account: str, home: Path) -> None:
    with pg_database() as db:
        assert cli("destinations", "add", "pg", "--url", db.url()).exit_code == 0
        assert cli("datasets", "create", "Users", "--account", account, "--report",
                   "users").exit_code == 0  # fmt: skip
        assert cli("datasets", "run", "Users").exit_code == 0
        code, checks = _checks(cli)
        assert code == 0, checks
        assert set(checks) == {
            "data home", "secret key", "log file", "control plane", "warehouse",
            f"account {account}", "destination pg",
        }  # fmt: skip
        assert all(c["ok"] for c in checks.values())
        assert "credentials verify" in str(checks[f"account {account}"]["detail"])
        assert "opens read-only" in str(checks["warehouse"]["detail"])
        human = cli("doctor")
        assert human.exit_code == 0
        lines = human.stdout.splitlines()
        assert len(lines) == len(checks)
        assert all(line.startswith("ok") for line in lines)
        assert db.password not in human.stdout
    # the database is gone: the destination fails, the rest still passes
    code, checks = _checks(cli)
    assert code == 1
    assert not checks["destination pg"]["ok"]
    assert checks[f"account {account}"]["ok"]


def test_each_failure_is_named_with_its_fix(
    cli: Cli, home: Path, make_emulator: Callable[..., Emulator]
) -> None:
    space = make_emulator()
    added = cli("accounts", "add", "gone", "--base-url", space.base_url,
                "--api-key", space.api_keys["admin"])  # fmt: skip
    assert added.exit_code == 0, added.output
    space.stop()
    home.chmod(0o755)
    started = time.monotonic()
    result = cli("doctor")
    assert time.monotonic() - started < 10  # no minute of retries for the vanished space
    assert result.exit_code == 1
    failed = {line.split(":")[0] for line in result.stdout.splitlines() if line.startswith("FAIL")}
    assert failed == {"FAIL  data home", "FAIL  account gone"}
    assert f"chmod 700 {home}" in result.stdout
    assert "connection refused" in result.stdout
    home.chmod(0o700)
    (home / "secret.key").chmod(0o644)
    code, checks = _checks(cli)
    assert code == 1
    assert not checks["secret key"]["ok"]
    assert "chmod 600" in str(checks["secret key"]["detail"])


def test_no_data_home(cli: Cli, home: Path) -> None:
    result = cli("doctor")
    assert result.exit_code == 1
    assert "FAIL  data home" in result.stdout
    assert "BACKLOG_CONNECTOR_HOME" in result.stdout
    assert not home.exists()  # the check created nothing
    assert as_json(cli("reports", "--json"))
