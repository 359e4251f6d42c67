"""``datasets update --option`` merges into the saved options; ``--clear-option`` removes one;
the REST API's PATCH merges the same way (null removes)."""

from __future__ import annotations

from backlog_connector.datasets.option_merge import merge_options

from .helpers import Cli, as_json, state


def _create(cli: Cli, account: str) -> None:
    created = cli(
        "datasets", "create", "Issues", "--account", account, "--report", "issues",
        "--option", "keyword=bug", "--option", "created_since=2024-01-01",
    )  # fmt: skip
    assert created.exit_code == 0, created.output


def test_option_is_merged_not_replacing(cli: Cli, account: str) -> None:
    _create(cli, account)
    result = cli("datasets", "update", "Issues", "--option", "parent_child=parent")
    assert result.exit_code == 0, result.output
    assert "created_since=2024-01-01, keyword=bug, parent_child=parent" in result.stdout
    shown = as_json(cli("datasets", "show", "Issues", "--json"))
    assert shown["options"] == {
        "keyword": "bug", "created_since": "2024-01-01", "parent_child": "parent"
    }  # fmt: skip

    changed = as_json(cli("datasets", "update", "Issues", "--option", "keyword=crash", "--json"))
    assert changed["options"]["keyword"] == "crash"
    assert changed["options"]["created_since"] == "2024-01-01"


def test_clear_option_removes_one(cli: Cli, account: str) -> None:
    _create(cli, account)
    result = cli("datasets", "update", "Issues", "--clear-option", "keyword")
    assert result.exit_code == 0, result.output
    assert "options: created_since=2024-01-01" in result.stdout
    assert as_json(cli("datasets", "show", "Issues", "--json"))["options"] == {
        "created_since": "2024-01-01"
    }


def test_clearing_an_unset_option_is_refused(cli: Cli, account: str) -> None:
    _create(cli, account)
    before = state(cli)
    result = cli("datasets", "update", "Issues", "--clear-option", "statuses")
    assert result.exit_code == 2
    assert "statuses" in result.stderr
    assert "created_since, keyword" in result.stderr  # the options that are set
    assert state(cli) == before


def test_merge_function() -> None:
    assert merge_options({"a": "1", "b": "2"}, {"b": "3"}, ["a"]) == {"b": "3"}
