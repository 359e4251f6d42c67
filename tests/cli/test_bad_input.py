"""Bad input: a clear message on stderr, exit code 2, and nothing changed."""

from __future__ import annotations

import pytest
from click.testing import Result

from backlog_connector.emulator import Emulator

from .helpers import Cli, as_json, state


def _refused(result: Result, *words: str, usage: bool = False) -> None:
    assert result.exit_code == 2, result.output
    # a key given with --api-key earns a warning line first (tests here pass keys that way)
    lines = result.stderr.lower().splitlines(keepends=True)
    message = "".join(line for line in lines if not line.startswith("warning: a key given"))
    assert message.startswith("usage:" if usage else "error:"), message
    for word in words:
        assert word.lower() in message, message


def test_wrong_api_key_saves_nothing(cli: Cli, emulator: Emulator) -> None:
    result = cli("accounts", "add", "acme", "--base-url", emulator.base_url, "--api-key", "nope")
    _refused(result, "acme")
    assert as_json(cli("accounts", "list", "--json")) == []


@pytest.mark.parametrize("fqdn", ["not a host", "acme.example.com", "http://acme.backlog.com"])
def test_malformed_fqdn(cli: Cli, fqdn: str) -> None:
    result = cli("accounts", "add", "acme", "--fqdn", fqdn, "--api-key", "k" * 20)
    _refused(result, "backlog.com")
    assert as_json(cli("accounts", "list", "--json")) == []


def test_no_address_or_both(cli: Cli) -> None:
    _refused(cli("accounts", "add", "acme", "--api-key", "k"), "--fqdn", "--base-url")


def test_plain_http_to_a_foreign_host(cli: Cli) -> None:
    result = cli(
        "accounts", "add", "a", "--base-url", "http://backlog.example.com", "--api-key", "k"
    )
    _refused(result, "https")


def test_bad_account_name(cli: Cli, emulator: Emulator) -> None:
    result = cli("accounts", "add", "a/b", "--base-url", emulator.base_url, "--api-key", "k")
    _refused(result, "account name")


def test_account_name_taken(cli: Cli, account: str, emulator: Emulator) -> None:
    before = state(cli)
    result = cli(
        "accounts", "add", account, "--base-url", emulator.base_url,
        "--api-key", emulator.api_keys["member"],
    )  # fmt: skip
    _refused(result, "already exists")
    assert state(cli) == before


def test_unknown_report(cli: Cli, account: str) -> None:
    before = state(cli)
    _refused(cli("datasets", "create", "d", "--account", account, "--report", "bugs"), "issues")
    assert state(cli) == before


def test_unknown_account(cli: Cli) -> None:
    result = cli("datasets", "create", "d", "--account", "ghost", "--report", "space")
    _refused(result, "ghost", "accounts add")
    assert as_json(cli("datasets", "list", "--json")) == []


@pytest.mark.parametrize(
    ("report", "option", "named"),
    [
        ("projects", "colour=red", "colour"),
        ("projects", "archived=maybe", "archived"),
        ("issues", "created_since=yesterday", "created_since"),
    ],
)
def test_unknown_or_invalid_option(
    cli: Cli, account: str, report: str, option: str, named: str
) -> None:
    before = state(cli)
    result = cli(
        "datasets", "create", "d", "--account", account, "--report", report, "--option", option
    )
    _refused(result, named)
    assert state(cli) == before


def test_option_without_equals_sign(cli: Cli, account: str) -> None:
    result = cli("datasets", "create", "d", "--account", account, "--report", "projects",
                 "--option", "archived")  # fmt: skip
    _refused(result, "key=value", usage=True)


def test_update_mode_the_report_does_not_support(cli: Cli, account: str) -> None:
    before = state(cli)
    result = cli(
        "datasets", "create", "d", "--account", account, "--report", "space",
        "--update-mode", "merge",
    )  # fmt: skip
    _refused(result, "merge", "replace", "append")
    assert state(cli) == before


@pytest.mark.parametrize(
    ("flag", "value", "named"),
    [
        ("--schedule", "sometimes", "schedule"),
        ("--schedule", "every 10s", "interval"),
        ("--schedule", "every 99999999999h", "366 days"),
        ("--schedule", "cron 0 0 30 2 *", "never fires"),
        ("--retry-interval", "99999999999999999999d", "7 days"),
        ("--timezone", "Mars/Olympus", "time zone"),
        ("--retries", "99", "retries"),
        ("--retry-interval", "soon", "retry interval"),
        ("--webhook-url", "ftp://x", "webhook"),
        ("--table", "Bad-Name", "table name"),
    ],
)
def test_invalid_dataset_settings(
    cli: Cli, account: str, flag: str, value: str, named: str
) -> None:
    before = state(cli)
    result = cli("datasets", "create", "d", "--account", account, "--report", "space", flag, value)
    _refused(result, named)
    assert state(cli) == before


def test_dataset_name_taken(cli: Cli, account: str) -> None:
    created = cli("datasets", "create", "Space", "--account", account, "--report", "space")
    assert created.exit_code == 0, created.output
    before = state(cli)
    result = cli("datasets", "create", "Space", "--account", account, "--report", "projects")
    _refused(result, "already exists")
    assert state(cli) == before
    assert as_json(cli("datasets", "show", "Space", "--json"))["report"] == "space"


def test_table_taken_by_another_dataset(cli: Cli, account: str) -> None:
    assert (
        cli("datasets", "create", "Space", "--account", account, "--report", "space").exit_code == 0
    )
    before = state(cli)
    result = cli(
        "datasets", "create", "Space 2", "--account", account, "--report", "space",
        "--table", "space",
    )  # fmt: skip
    _refused(result, "table", "--table")
    assert state(cli) == before


def test_removing_an_account_in_use(cli: Cli, account: str) -> None:
    assert (
        cli("datasets", "create", "Space", "--account", account, "--report", "space").exit_code == 0
    )
    before = state(cli)
    _refused(cli("accounts", "remove", account), "Space", "--force")
    assert state(cli) == before


def test_unknown_dataset(cli: Cli) -> None:
    for args in (["show", "ghost"], ["run", "ghost"], ["history", "ghost"], ["delete", "ghost"]):
        _refused(cli("datasets", *args), "ghost")


def test_usage_errors_exit_2(cli: Cli) -> None:
    assert cli("datasets", "create", "d").exit_code == 2  # --account and --report missing
    assert cli("datasets", "preview", "d", "--format", "xml").exit_code == 2
