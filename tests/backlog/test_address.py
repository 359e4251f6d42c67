"""Space addresses: what is accepted, and that everything else is refused with a clear message."""

from __future__ import annotations

import pytest

from backlog_connector.backlog.address import SpaceAddress
from backlog_connector.backlog.errors import ConfigurationError, InvalidAddressError


@pytest.mark.parametrize(
    ("text", "host"),
    [
        ("acme.backlog.com", "acme.backlog.com"),
        ("https://acme.backlog.com", "acme.backlog.com"),
        ("https://ACME.backlog.jp/", "acme.backlog.jp"),
        ("  acme-2.backlogtool.com/  ", "acme-2.backlogtool.com"),
    ],
)
def test_cloud_fqdn_forms_are_accepted(text: str, host: str) -> None:
    address = SpaceAddress.parse_fqdn(text)
    assert address.host == host
    assert address.fqdn == host
    assert address.base_url == f"https://{host}"
    assert address.api_url == f"https://{host}/api/v2"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "evil.com",
        "backlog.com",
        "acme.backlog.com.evil.com",
        "acme.evil.com/backlog.com",
        "http://acme.backlog.com",
        "ftp://acme.backlog.com",
        "acme.backlog.com:8443",
        "acme.backlog.com/api/v2",
        "https://user:pw@acme.backlog.com",
        "acme.backlog.com?x=1",
        "acme.backlog.com#top",
        "-acme.backlog.com",
        "ac me.backlog.com",
        "a.b.backlog.com",
    ],
)
def test_anything_else_is_refused_naming_what_is_accepted(text: str) -> None:
    with pytest.raises(InvalidAddressError) as info:
        SpaceAddress.parse_fqdn(text)
    assert "SPACE.backlog.com" in str(info.value)
    assert "--base-url" in str(info.value)
    assert isinstance(info.value, ConfigurationError)


@pytest.mark.parametrize(
    ("text", "base_url", "host", "fqdn"),
    [
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080", "127.0.0.1", "127.0.0.1:8080"),
        ("http://127.0.0.1:8080/api/v2/", "http://127.0.0.1:8080", "127.0.0.1", "127.0.0.1:8080"),
        ("http://localhost:9/", "http://localhost:9", "localhost", "localhost:9"),
        ("http://[::1]:7000", "http://[::1]:7000", "::1", "[::1]:7000"),
        (
            "https://backlog.example.com",
            "https://backlog.example.com",
            "backlog.example.com",
            "backlog.example.com",
        ),
        (
            "https://example.com:8443/backlog/",
            "https://example.com:8443/backlog",
            "example.com",
            "example.com:8443",
        ),
    ],
)
def test_base_urls(text: str, base_url: str, host: str, fqdn: str) -> None:
    address = SpaceAddress.parse_base_url(text)
    assert (address.base_url, address.host, address.fqdn) == (base_url, host, fqdn)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("http://10.0.0.5:8080", "plain http"),
        ("http://backlog.example.com", "plain http"),
        ("127.0.0.1:8080", "no scheme"),
        ("ws://127.0.0.1:1", "ws://"),
        ("https://", "no valid host"),
        ("https://exa mple.com", "white space"),
        ("https://u:secret@example.com", "credentials"),
        ("https://example.com/?apiKey=abc", "query"),
        ("http://localhost:99999", "not a valid URL"),
    ],
)
def test_bad_base_urls_name_the_problem(text: str, problem: str) -> None:
    with pytest.raises(InvalidAddressError) as info:
        SpaceAddress.parse_base_url(text)
    assert problem in str(info.value)
    assert "Accepted:" in str(info.value)


def test_refusals_never_echo_secrets_from_the_address() -> None:
    for text in (
        "https://u:hunter22@example.com",
        "acme.backlog.com?apiKey=hunter22",
        "http://10.1.1.1/?apiKey=hunter22",
    ):
        for parse in (SpaceAddress.parse_fqdn, SpaceAddress.parse_base_url):
            with pytest.raises(InvalidAddressError) as info:
                parse(text)
            assert "hunter22" not in str(info.value)
