"""Base URLs and webhook URLs on private, link-local or other non-public addresses are refused
(nothing saved, nothing requested) unless ``network.allow_private_addresses`` is set; loopback
stays allowed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backlog_connector.backlog.errors import InvalidAddressError, InvalidOptionError
from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator
from backlog_connector.settings import NetworkSettings, Settings

PRIVATE = ["169.254.169.254", "10.1.2.3", "172.16.0.9", "172.31.255.1", "192.168.1.20",
           "[fc00::1]", "[fd12:3456::1]", "[fe80::1]", "[::ffff:10.0.0.1]", "0.0.0.0"]  # fmt: skip


@pytest.fixture
def plane(tmp_path: Path, emulator: Emulator) -> Iterator[ControlPlane]:
    with ControlPlane.open(tmp_path / "home") as cp:
        cp.add_account("acme", base_url=emulator.base_url, api_key=emulator.api_keys["admin"])
        yield cp


@pytest.mark.parametrize("host", PRIVATE)
def test_a_private_base_url_is_refused_naming_the_setting(plane: ControlPlane, host: str) -> None:
    with pytest.raises(InvalidAddressError) as caught:
        plane.add_account("inside", base_url=f"https://{host}:8443/backlog", api_key="k" * 20)
    message = str(caught.value)
    assert "non-public" in message
    assert "network.allow_private_addresses" in message
    assert [a.name for a in plane.list_accounts()] == ["acme"]
    with pytest.raises(InvalidAddressError):
        plane.update_account("acme", base_url=f"https://{host}/", api_key="k" * 20)
    assert plane.get_account("acme").base_url.startswith("http://127.0.0.1:")


@pytest.mark.parametrize("host", ["169.254.169.254", "10.0.0.7", "[fe80::1]"])
def test_a_private_webhook_is_refused_without_showing_its_token(
    plane: ControlPlane, host: str
) -> None:
    url = f"http://{host}/hooks/SECRET-TOKEN"
    with pytest.raises(InvalidOptionError) as caught:
        plane.create_dataset("Space", account="acme", report="space", webhook_url=url)
    assert "network.allow_private_addresses" in str(caught.value)
    assert "SECRET-TOKEN" not in str(caught.value)
    assert plane.list_datasets() == []
    plane.create_dataset("Space", account="acme", report="space")
    with pytest.raises(InvalidOptionError):
        plane.update_dataset("Space", webhook_url=url)
    assert plane.get_dataset("Space").webhook_url is None


def test_loopback_stays_allowed_and_the_setting_allows_the_rest(
    tmp_path: Path, plane: ControlPlane, emulator: Emulator
) -> None:
    plane.create_dataset("Local", account="acme", report="space",
                         webhook_url="http://127.0.0.1:9/hook")  # fmt: skip
    settings = Settings(home=tmp_path / "other",
                        network=NetworkSettings(allow_private_addresses=True))  # fmt: skip
    with ControlPlane.open(settings=settings) as allowing:
        allowing.add_account("acme", base_url=emulator.base_url, api_key=emulator.api_keys["admin"])
        made = allowing.create_dataset("Space", account="acme", report="space",
                                       webhook_url="http://10.0.0.7/hooks/x")  # fmt: skip
        assert made.webhook_url == "http://10.0.0.7/hooks/x"
