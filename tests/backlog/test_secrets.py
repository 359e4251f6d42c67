"""Secrets stay out of URLs, reprs and text."""

from __future__ import annotations

import pickle

import pytest

from backlog_connector.backlog.credentials import ApiKey, OAuthToken
from backlog_connector.backlog.errors import AuthenticationError, InvalidOptionError
from backlog_connector.backlog.redact import Redactor, redact_url


def test_redact_url_masks_secret_parameters_and_user_info() -> None:
    url = "https://u:pw@a.backlog.com/api/v2/issues?apiKey=SECRET1&count=100&access_token=SECRET2"
    shown = redact_url(url)
    assert "SECRET1" not in shown
    assert "SECRET2" not in shown
    assert "pw" not in shown
    assert "count=100" in shown
    assert "apiKey=***" in shown


def test_redact_url_keeps_array_brackets_readable() -> None:
    assert "projectId[]=1" in redact_url("https://h/api/v2/issues?projectId[]=1&apiKey=k")


def test_redactor_replaces_known_values_and_query_secrets() -> None:
    redact = Redactor(["abcdefgh123"])
    text = "boom at https://h/x?apikey=zzzzzz and key abcdefgh123 in body"
    out = redact(text)
    assert "abcdefgh123" not in out
    assert "zzzzzz" not in out
    redact.add("newtoken999")
    assert redact("newtoken999") == "***"
    assert "abcdefgh123" not in repr(redact)


def test_api_key_repr_and_str_hide_the_key() -> None:
    key = ApiKey("s3cr3t-key-value")
    assert "s3cr3t" not in repr(key)
    assert "s3cr3t" not in str(key)
    assert key.headers() == {"Backlog-API-Key": "s3cr3t-key-value"}
    assert key.query() == []
    in_query = ApiKey("s3cr3t-key-value", in_query=True)
    assert in_query.headers() == {}
    assert in_query.query() == [("apiKey", "s3cr3t-key-value")]
    assert pickle.loads(pickle.dumps(key))  # noqa: S301 - our own bytes == key


@pytest.mark.parametrize("bad", ["", "   ", "two words", "tab\tkey"])
def test_bad_api_keys_are_refused(bad: str) -> None:
    with pytest.raises(InvalidOptionError, match="API key"):
        ApiKey(bad)


def _token(**kw: object) -> OAuthToken:
    args: dict[str, object] = dict(
        access_token="ACCESS-aaaa",
        refresh_token="REFRESH-bbbb",
        expires_at=1000.0,
        client_id="cid",
        client_secret="CSECRET-cccc",
    )
    args.update(kw)
    return OAuthToken(**args)  # type: ignore[arg-type]


def test_oauth_repr_hides_tokens_and_pickles_without_callback() -> None:
    seen: list[OAuthToken] = []
    token = _token(on_refresh=seen.append)
    text = repr(token) + str(token)
    for secret in ("ACCESS-aaaa", "REFRESH-bbbb", "CSECRET-cccc"):
        assert secret not in text
    back = pickle.loads(pickle.dumps(token))  # noqa: S301 - our own bytes
    assert back.access_token == "ACCESS-aaaa"
    assert back.on_refresh is None


def test_oauth_refresh_ahead_and_response_handling() -> None:
    seen: list[str] = []
    token = _token(on_refresh=lambda t: seen.append(t.access_token))
    assert not token.needs_refresh(now=900.0)
    assert token.needs_refresh(now=950.0)  # within 60 s of expiry
    token.apply_token_response(
        {"access_token": "ACCESS-new", "expires_in": 3600, "refresh_token": "REFRESH-new"},
        now=2000.0,
    )
    assert (token.access_token, token.refresh_token, token.expires_at) == (
        "ACCESS-new",
        "REFRESH-new",
        5600.0,
    )
    assert seen == ["ACCESS-new"]
    with pytest.raises(AuthenticationError):
        token.apply_token_response({"error": "invalid_grant"})


def test_oauth_rejects_empty_fields() -> None:
    with pytest.raises(InvalidOptionError, match="refresh_token"):
        _token(refresh_token="")
