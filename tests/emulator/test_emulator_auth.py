"""API keys (header and query), roles, revocation, and the emulator's OAuth 2.0 server."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import httpx

from backlog_connector.emulator import Emulator

from .helpers import client, error_code


def test_key_in_header_or_query(http: httpx.Client, emulator: Emulator) -> None:
    key = emulator.api_keys["admin"]
    url = emulator.base_url + "/api/v2/users/myself"
    by_header = http.get(url, headers={"Backlog-API-Key": key})
    by_query = http.get(url, params={"apiKey": key})
    assert by_header.status_code == by_query.status_code == 200
    assert by_header.json() == by_query.json()


def test_bad_or_missing_key_is_401_code_11(http: httpx.Client, emulator: Emulator) -> None:
    url = emulator.base_url + "/api/v2/space"
    for response in (http.get(url, headers={"Backlog-API-Key": "wrong"}), http.get(url)):
        assert response.status_code == 401
        assert response.json() == {
            "errors": [{"message": "Authentication failure.", "code": 11, "moreInfo": ""}]
        }
        assert "X-RateLimit-Limit" in response.headers


def test_admin_has_two_keys_for_one_user(http: httpx.Client, emulator: Emulator) -> None:
    keys = emulator.state.keys_of(1)
    assert len(keys) == 2
    for key in keys:
        me = http.get(
            emulator.base_url + "/api/v2/users/myself", headers={"Backlog-API-Key": key}
        ).json()
        assert me["id"] == 1


def test_member_sees_only_joined_projects_and_their_issues(emulator: Emulator) -> None:
    joined = {p.id for p in emulator.state.projects.values() if 2 in p.member_ids}
    other = next(p for p in emulator.state.projects.values() if 2 not in p.member_ids)
    with client(emulator, "member") as member:
        assert {p["id"] for p in member.get("/projects").json()} == joined
        # all=true works for administrators only
        assert {p["id"] for p in member.get("/projects", params={"all": "true"}).json()} == joined
        assert member.get(f"/projects/{other.key}").status_code == 404
        expected = sum(1 for i in emulator.state.issues.values() if i.project_id in joined)
        assert member.get("/issues/count").json() == {"count": expected}
        assert member.get("/issues/count", params={"projectId[]": other.id}).json() == {"count": 0}
        hidden = next(i for i in emulator.state.issues.values() if i.project_id == other.id)
        assert member.get(f"/issues/{hidden.id}").status_code == 404
        for activity in member.get("/space/activities", params={"count": 100}).json():
            assert activity["project"]["id"] in joined


def test_admin_sees_all_projects(emulator: Emulator) -> None:
    with client(emulator) as admin:
        everything = admin.get("/projects", params={"all": "true"}).json()
        assert len(everything) == len(emulator.state.projects)


def test_teams_and_users_refuse_non_admins(emulator: Emulator) -> None:
    with client(emulator, "member") as member:
        for path in ("/teams", "/users"):
            response = member.get(path)
            assert response.status_code == 403
            assert error_code(response) == 5
        assert member.get("/users/myself").json()["id"] == 2


def test_revoked_key_gets_401(http: httpx.Client, make_emulator: Callable[..., Emulator]) -> None:
    emu = make_emulator(issues=10)
    with client(emu, "member") as member:
        assert member.get("/space").status_code == 200
        emu.revoke_key(emu.api_keys["member"])
        response = member.get("/space")
        assert response.status_code == 401
        assert error_code(response) == 11
    with client(emu) as admin:
        assert admin.get("/space").status_code == 200  # other keys are unaffected
        assert http.post(
            emu.base_url + "/_emulator/revoke", data={"key": emu.api_keys["admin"]}
        ).json() == {"revoked": True}
        assert admin.get("/space").status_code == 401
        assert http.post(emu.base_url + "/_emulator/revoke", data={"key": "x"}).status_code == 400


def _authorize(
    http: httpx.Client, emu: Emulator, user: str | None = None, state: str = "xyz"
) -> str:
    params = {
        "response_type": "code",
        "client_id": emu.oauth_client["client_id"],
        "redirect_uri": "http://localhost:9999/callback",
        "state": state,
    }
    if user:
        params["user"] = user
    response = http.get(emu.base_url + "/OAuth2AccessRequest.action", params=params)
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == params["redirect_uri"]
    query = parse_qs(location.query)
    assert query["state"] == [state]
    return query["code"][0]


def _token(http: httpx.Client, emu: Emulator, **form: str) -> httpx.Response:
    return http.post(emu.base_url + "/api/v2/oauth2/token", data=emu.oauth_client | form)


def test_oauth_code_exchange_use_and_refresh(
    http: httpx.Client, make_emulator: Callable[..., Emulator]
) -> None:
    emu = make_emulator(issues=10, token_seconds=1)
    code = _authorize(http, emu, user="member")
    response = _token(
        http,
        emu,
        grant_type="authorization_code",
        code=code,
        redirect_uri="http://localhost:9999/callback",
    )
    assert response.status_code == 200
    tokens = response.json()
    assert set(tokens) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 1
    me = http.get(
        emu.base_url + "/api/v2/users/myself",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert me.json()["userId"] == "member"
    # a code works once
    again = _token(http, emu, grant_type="authorization_code", code=code)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    time.sleep(1.1)
    expired = http.get(
        emu.base_url + "/api/v2/space",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert expired.status_code == 401
    assert expired.headers["www-authenticate"] == (
        'Bearer error="invalid_token", error_description="The access token expired"'
    )
    refreshed = _token(http, emu, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refreshed.status_code == 200
    new = refreshed.json()
    assert new["access_token"] != tokens["access_token"]
    ok = http.get(
        emu.base_url + "/api/v2/users/myself",
        headers={"Authorization": f"Bearer {new['access_token']}"},
    )
    assert ok.json()["userId"] == "member"
    # refresh tokens rotate: the old one is spent
    stale = _token(http, emu, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert stale.json()["error"] == "invalid_grant"


def test_oauth_default_user_is_admin(http: httpx.Client, emulator: Emulator) -> None:
    code = _authorize(http, emulator)
    tokens = _token(http, emulator, grant_type="authorization_code", code=code).json()
    me = http.get(
        emulator.base_url + "/api/v2/users/myself",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    ).json()
    assert me["id"] == 1


def test_bad_bearer_token(http: httpx.Client, emulator: Emulator) -> None:
    response = http.get(
        emulator.base_url + "/api/v2/space", headers={"Authorization": "Bearer nope"}
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == (
        'Bearer error="invalid_token", error_description="The access token is invalid"'
    )


def test_token_endpoint_errors_are_oauth_shaped(http: httpx.Client, emulator: Emulator) -> None:
    bad_client = http.post(
        emulator.base_url + "/api/v2/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": "x",
            "client_id": "a",
            "client_secret": "b",
        },
    )
    assert bad_client.status_code == 401
    assert bad_client.json()["error"] == "invalid_client"
    bad_grant = _token(http, emulator, grant_type="password")
    assert bad_grant.json()["error"] == "unsupported_grant_type"
    bad_code = _token(http, emulator, grant_type="authorization_code", code="forged")
    assert bad_code.json() == {"error": "invalid_grant", "error_description": "Grant is invalid."}
    for body in (bad_client, bad_grant, bad_code):
        assert emulator.oauth_client["client_secret"] not in body.text
