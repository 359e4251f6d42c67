"""``datasets create/update``: option names (statuses, projects, ...) are checked against the
space when the dataset is saved, not only when a run starts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from backlog_connector.emulator import Emulator

from .helpers import Cli, as_json, state


def create(cli: Cli, account: str, *options: str, report: str = "issues") -> object:
    args = [a for o in options for a in ("--option", o)]
    return cli("datasets", "create", "Issues", "--account", account, "--report", report, *args)


def test_an_unknown_status_is_refused_naming_the_valid_ones(cli: Cli, account: str) -> None:
    before = state(cli)
    result = create(cli, account, "projects=WEB", "statuses=Open")  # Open: only in API
    assert result.exit_code == 2, result.output
    assert "'statuses'" in result.stderr
    assert "'Open'" in result.stderr
    for valid in ("未対応", "処理中", "完了"):
        assert valid in result.stderr
    assert state(cli) == before


def test_unknown_projects_issue_types_and_assignees_are_refused(cli: Cli, account: str) -> None:
    before = state(cli)
    for option, valid in (
        ("projects=NOPE", "WEB"),
        ("issue_types=Bugs", "バグ"),
        ("assignees=nobody", "admin"),
        ("categories=Mobile", "Backend"),
        ("milestones=v9", "v1.0"),
    ):
        result = create(cli, account, option)
        assert result.exit_code == 2, (option, result.output)
        assert valid in result.stderr, (option, result.stderr)
    # the flow reports' statuses too
    refused = create(cli, account, "closed_status=Done", report="cycle_times")
    assert refused.exit_code == 2, refused.output
    assert "完了" in refused.stderr
    assert state(cli) == before


def test_a_long_list_of_valid_values_is_shortened(cli: Cli, account: str) -> None:
    result = create(cli, account, "projects=WEB", "assignees=nobody")
    assert result.exit_code == 2
    assert " more" in result.stderr  # ten users: a few shown, "and N more"


def test_known_names_save_and_an_update_is_checked_too(cli: Cli, account: str) -> None:
    created = create(cli, account, "projects=WEB,app", "statuses=未対応,処理中", "issue_types=バグ")
    assert created.exit_code == 0, created.output
    before = state(cli)
    update = ("datasets", "update", "Issues", "--option", "projects=WEB")
    refused = cli(*update, "--option", "statuses=Closed")  # Closed: only in API
    assert refused.exit_code == 2, refused.output
    assert "完了" in refused.stderr
    assert state(cli) == before
    ok = cli(*update, "--option", "statuses=完了", "--json")
    assert as_json(ok)["options"]["statuses"] == "完了"


def test_an_unreachable_space_refuses_unless_told_to_skip(
    cli: Cli, home: Path, make_emulator: Callable[..., Emulator]
) -> None:
    emu = make_emulator()
    added = cli("accounts", "add", "down", "--base-url", emu.base_url,
                "--api-key", emu.api_keys["admin"])  # fmt: skip
    assert added.exit_code == 0, added.output
    emu.stop()
    before = state(cli)
    refused = create(cli, "down", "statuses=未対応")
    assert refused.exit_code != 0
    assert "could not reach" in refused.stderr
    assert "--no-check-options" in refused.stderr
    assert state(cli) == before
    args = ("datasets", "create", "Issues", "--account", "down", "--report", "issues")
    skipped = cli(*args, "--option", "statuses=未対応", "--no-check-options", "--json")
    assert as_json(skipped)["options"] == {"statuses": "未対応"}
    # options that name nothing need no request: saved while the space is down
    plain = cli("datasets", "create", "Users", "--account", "down", "--report", "users")
    assert plain.exit_code == 0, plain.output
