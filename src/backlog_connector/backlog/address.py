"""Where a Backlog space lives: a cloud FQDN or an explicit base URL, checked before any request."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from backlog_connector.backlog.errors import InvalidAddressError

#: the cloud domains a bare FQDN may name
CLOUD_DOMAINS = ("backlog.com", "backlog.jp", "backlogtool.com")

_ACCEPTED_FQDN = (
    "Accepted: SPACE.backlog.com, SPACE.backlog.jp or SPACE.backlogtool.com "
    "(with or without https:// and a trailing slash); "
    "for Backlog Enterprise or the emulator use --base-url URL instead."
)
_ACCEPTED_BASE_URL = (
    "Accepted: https://HOST[:PORT][/PREFIX] (Backlog Enterprise), or http://127.0.0.1:PORT / "
    "http://localhost:PORT (plain http only to this machine), without credentials, query or "
    "fragment."
)
_SPACE_KEY = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_HOST_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_API_SUFFIX = "/api/v2"


@dataclass(frozen=True, slots=True)
class SpaceAddress:
    """A validated space address.

    ``base_url`` is ``scheme://host[:port][/prefix]`` without a trailing slash and without
    ``/api/v2``; ``host`` is the bare host name; ``fqdn`` is ``host`` or ``host:port`` and is the
    ``_space`` value of every table row.
    """

    base_url: str
    host: str
    fqdn: str

    @property
    def api_url(self) -> str:
        """The REST root, ``base_url + "/api/v2"``."""
        return self.base_url + _API_SUFFIX

    @property
    def is_loopback(self) -> bool:
        """True when the space runs on this machine (the emulator)."""
        return _is_loopback(self.host)

    @classmethod
    def parse_fqdn(cls, text: str) -> SpaceAddress:
        """Parse a Backlog cloud address such as ``acme.backlog.com`` or ``https://acme.backlog.jp/``.

        Raises :class:`InvalidAddressError` for anything that is not a cloud space host.
        """
        raw = _clean(text, _ACCEPTED_FQDN)
        shown = _shown(raw)
        candidate = raw if "://" in raw else "https://" + raw
        parts = _split(candidate, raw, _ACCEPTED_FQDN)
        if parts.scheme != "https":
            raise InvalidAddressError(
                f"{shown!r} uses {parts.scheme}://; cloud spaces are served over https only. "
                + _ACCEPTED_FQDN
            )
        if parts.port is not None or parts.path not in ("", "/"):
            raise InvalidAddressError(
                f"{shown!r} carries a port or a path; a cloud address is just the host name. "
                + _ACCEPTED_FQDN
            )
        host = (parts.hostname or "").lower()
        space, _, domain = host.partition(".")
        if domain not in CLOUD_DOMAINS or not _SPACE_KEY.fullmatch(space):
            raise InvalidAddressError(
                f"{shown!r} is not a Backlog cloud space host. " + _ACCEPTED_FQDN
            )
        return cls(base_url=f"https://{host}", host=host, fqdn=host)

    @classmethod
    def parse_base_url(cls, text: str) -> SpaceAddress:
        """Parse an explicit base URL (Backlog Enterprise, the emulator).

        A trailing slash or ``/api/v2`` is dropped. Plain ``http`` is accepted only for loopback
        hosts. Raises :class:`InvalidAddressError` otherwise.
        """
        raw = _clean(text, _ACCEPTED_BASE_URL)
        shown = _shown(raw)
        if "://" not in raw:
            raise InvalidAddressError(
                f"{shown!r} has no scheme; write the full URL, e.g. https://backlog.example.com. "
                + _ACCEPTED_BASE_URL
            )
        parts = _split(raw, raw, _ACCEPTED_BASE_URL)
        if parts.scheme not in ("http", "https"):
            raise InvalidAddressError(f"{shown!r} uses {parts.scheme}://. " + _ACCEPTED_BASE_URL)
        host = (parts.hostname or "").lower()
        if not _valid_host(host):
            raise InvalidAddressError(f"{shown!r} has no valid host name. " + _ACCEPTED_BASE_URL)
        if parts.scheme == "http" and not _is_loopback(host):
            raise InvalidAddressError(
                f"{shown!r} uses plain http to a host that is not this machine; API keys would "
                "travel unencrypted. Use https://. " + _ACCEPTED_BASE_URL
            )
        path = parts.path.rstrip("/")
        if path.endswith(_API_SUFFIX):
            path = path[: -len(_API_SUFFIX)]
        if path and not re.fullmatch(r"(/[A-Za-z0-9._~-]+)+", path):
            raise InvalidAddressError(
                f"{shown!r} has an unusual path prefix. " + _ACCEPTED_BASE_URL
            )
        shown_host = f"[{host}]" if ":" in host else host
        netloc = shown_host if parts.port is None else f"{shown_host}:{parts.port}"
        return cls(base_url=f"{parts.scheme}://{netloc}{path}", host=host, fqdn=netloc)


def _clean(text: str, accepted: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise InvalidAddressError("The space address is empty. " + accepted)
    raw = text.strip()
    if any(ch.isspace() for ch in raw) or any(ord(ch) < 32 for ch in raw):
        raise InvalidAddressError(
            f"{_shown(raw)!r} contains white space or control characters. " + accepted
        )
    return raw


def _shown(raw: str) -> str:
    """The address as it may appear in a message: no user info, query or fragment (secrets)."""
    without_query = re.split(r"[?#]", raw, maxsplit=1)[0]
    return re.sub(r"(?<=://)[^/@]*@", "", without_query)


def _split(candidate: str, raw: str, accepted: str) -> SplitResult:
    try:
        parts = urlsplit(candidate)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise InvalidAddressError(f"{_shown(raw)!r} is not a valid URL. " + accepted) from None
    if parts.username is not None or parts.password is not None:
        raise InvalidAddressError(
            "The address contains user credentials (user:password@); remove them. " + accepted
        )
    if parts.query or parts.fragment or candidate.endswith(("?", "#")):
        raise InvalidAddressError(
            f"{_shown(raw)!r} carries a query or fragment; remove it. " + accepted
        )
    return parts


def _valid_host(host: str) -> bool:
    if not host:
        return False
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.rstrip(".").split(".")
    return all(_HOST_LABEL.fullmatch(label) for label in labels)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
