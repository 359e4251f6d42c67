"""OAuth accounts for the control-plane tests: the code grant against the emulator."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx

from backlog_connector.backlog.address import SpaceAddress
from backlog_connector.backlog.credentials import OAuthToken
from backlog_connector.backlog.oauth import authorization_url, exchange_code
from backlog_connector.datasets.info import AccountInfo
from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator

REDIRECT = "http://127.0.0.1:9/callback"


def save_oauth_account(
    plane: ControlPlane, emu: Emulator, name: str = "oauth"
) -> tuple[AccountInfo, OAuthToken]:
    """Authorise the emulator's OAuth client as the admin and save the tokens as ``name``;
    return the account and the tokens it started with."""
    address = SpaceAddress.parse_base_url(emu.base_url)
    client = emu.oauth_client
    answer = httpx.get(
        authorization_url(address, client["client_id"], REDIRECT, state="s"),
        follow_redirects=False,
    )
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    token = exchange_code(
        address, code, client_id=client["client_id"], client_secret=client["client_secret"],
        redirect_uri=REDIRECT,
    )  # fmt: skip
    info = plane.add_oauth_account(
        name, base_url=emu.base_url, client_id=client["client_id"],
        client_secret=client["client_secret"], access_token=token.access_token,
        refresh_token=token.refresh_token, expires_at=token.expires_at,
    )  # fmt: skip
    return info, token
