"""A run that cannot reach its space says so in words a user can act on (the host, the reason,
the fix), not with the HTTP stack's text; the run's record keeps the full detail."""

from __future__ import annotations

from collections.abc import Callable

from backlog_connector.emulator import Emulator

from .helpers import Cli, as_json


def test_unreachable_space_at_run_time(cli: Cli, make_emulator: Callable[..., Emulator]) -> None:
    space = make_emulator()
    assert cli("accounts", "add", "acme", "--base-url", space.base_url,
               "--api-key", space.api_keys["admin"]).exit_code == 0  # fmt: skip
    assert cli("datasets", "create", "Users", "--account", "acme", "--report",
               "users").exit_code == 0  # fmt: skip
    host = space.base_url.removeprefix("http://")
    space.stop()
    ran = cli("datasets", "run", "Users", env={"BACKLOG_CONNECTOR_TESTING_ZERO_WAITS": "1"})
    assert ran.exit_code == 1
    assert f"Users: failed: cannot reach {host}: connection refused" in ran.stderr
    assert "check the FQDN / --base-url, or your network" in ran.stderr
    assert "Errno" not in ran.stderr
    assert "ConnectError" not in ran.stderr
    (record,) = as_json(cli("datasets", "history", "Users", "--json"))
    assert "ConnectError" in record["error"]  # the detail stays in the run's record
