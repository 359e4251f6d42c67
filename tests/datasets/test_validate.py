"""Input checks of datasets/validate.py that guard the sinks' rules at create time."""

from __future__ import annotations

import pytest

from backlog_connector.backlog.errors import InvalidOptionError
from backlog_connector.datasets.service import ControlPlane


def test_a_reserved_table_name_is_refused_at_create(plane: ControlPlane, acme: str) -> None:
    with pytest.raises(InvalidOptionError, match="reserved"):
        plane.create_dataset("X", account=acme, report="space", table="_backlog_connector_x")
    assert plane.list_datasets() == []
