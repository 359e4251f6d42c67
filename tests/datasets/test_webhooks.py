"""Webhook URLs (they often carry a token) are sealed at rest and shown only as scheme://host/…"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from backlog_connector.backlog.errors import InvalidOptionError
from backlog_connector.datasets.service import ControlPlane

HOOK = "https://hooks.example.com:8443/services/T000/B000/s3cr3t-t0ken?x=1"
TOKEN = "s3cr3t-t0ken"


def _raw_rows(plane: ControlPlane) -> str:
    with plane._engine.connect() as conn:
        return repr(conn.execute(sa.text("select * from datasets")).all())


def test_webhook_url_is_sealed_and_shown_masked(plane: ControlPlane, acme: str) -> None:
    info = plane.create_dataset("Issues", account=acme, report="issues", webhook_url=HOOK)
    assert info.webhook_url == HOOK  # the scheduler posts to it
    assert info.webhook_shown == "https://hooks.example.com:8443/…"
    for shown in (info, plane.get_dataset("Issues"), plane.list_datasets()[0]):
        assert TOKEN not in json.dumps(shown.to_dict())
        assert TOKEN not in repr(shown)
        assert shown.to_dict()["webhook_url"] == "https://hooks.example.com:8443/…"
    assert TOKEN not in _raw_rows(plane)
    plane.update_dataset("Issues", webhook_url=HOOK.replace(TOKEN, "other-t0ken"))
    assert plane.get_dataset("Issues").webhook_url == HOOK.replace(TOKEN, "other-t0ken")
    assert "other-t0ken" not in _raw_rows(plane)
    plane.update_dataset("Issues", webhook_url="")
    assert plane.get_dataset("Issues").webhook_url is None


def test_plain_webhook_urls_of_older_versions_are_sealed_at_open(
    plane: ControlPlane, acme: str
) -> None:
    plane.create_dataset("Issues", account=acme, report="issues")
    with plane._engine.begin() as conn:  # as an older version stored it
        conn.execute(sa.text("update datasets set webhook_url = :u"), {"u": HOOK})
    assert plane.get_dataset("Issues").webhook_url == HOOK
    with ControlPlane.open(plane.home) as again:
        assert again.get_dataset("Issues").webhook_url == HOOK
        assert TOKEN not in _raw_rows(again)


def test_a_bad_webhook_url_is_refused_without_echoing_it(plane: ControlPlane, acme: str) -> None:
    with pytest.raises(InvalidOptionError, match="http:// or https://") as caught:
        plane.create_dataset("Issues", account=acme, report="issues", webhook_url="ftp://h/t0k")
    assert "t0k" not in str(caught.value)
