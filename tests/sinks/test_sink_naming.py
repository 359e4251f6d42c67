"""Table names derived from dataset names, checked and quoted."""

from __future__ import annotations

import pytest

from backlog_connector.backlog.errors import InvalidOptionError
from backlog_connector.sinks.errors import InvalidTableNameError
from backlog_connector.sinks.naming import check_table_name, dataset_table_name, quote


@pytest.mark.parametrize(
    ("dataset", "table"),
    [
        ("Backlog Issues", "backlog_issues"),
        ("  My--Data  Set!! ", "my_data_set"),
        ("issues_2024", "issues_2024"),
        ("2024 Issues", "t_2024_issues"),
        ("Été / données", "t_donn_es"),
        ("___x___", "x"),
    ],
)
def test_dataset_table_name(dataset: str, table: str) -> None:
    assert dataset_table_name(dataset) == table
    assert check_table_name(table) == table


@pytest.mark.parametrize("dataset", ["", "  ", "課題", "---"])
def test_dataset_table_name_rejects_names_without_usable_characters(dataset: str) -> None:
    with pytest.raises(InvalidTableNameError, match="--table") as err:
        dataset_table_name(dataset)
    assert isinstance(err.value, InvalidOptionError)


@pytest.mark.parametrize(
    "name", ["", "1abc", "a-b", "a b", "héllo", "_backlog_connector_state", "_BACKLOG_CONNECTORx"]
)
def test_check_table_name_rejects(name: str) -> None:
    with pytest.raises(InvalidTableNameError):
        check_table_name(name)


def test_quote_doubles_embedded_quotes() -> None:
    assert quote('a"b') == '"a""b"'
    assert quote("select") == '"select"'
