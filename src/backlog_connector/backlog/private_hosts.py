"""Hosts the connector must not be pointed at without an explicit setting: private, link-local
and other non-public addresses (a cloud's metadata service at 169.254.169.254, the office LAN).

A saved base URL or webhook URL is a request this process will make on the user's behalf at
every run; pointing one at an internal address turns the connector into a probe of the network
it runs in. Loopback stays allowed (the emulator, a local Backlog), as plain http does today.
"""

from __future__ import annotations

import ipaddress
import socket

from backlog_connector.backlog.errors import InvalidAddressError

#: the setting that allows such hosts (``network.allow_private_addresses``)
ALLOW_SETTING = (
    "network.allow_private_addresses (environment variable "
    "BACKLOG_CONNECTOR_NETWORK__ALLOW_PRIVATE_ADDRESSES=true)"
)


def _non_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return False
    return (address.is_private or address.is_link_local or address.is_reserved
            or address.is_multicast or address.is_unspecified
            or not address.is_global)  # fmt: skip


def non_public_address(host: str, *, resolve: bool = True) -> str | None:
    """The first non-public, non-loopback address ``host`` is or resolves to, else None.

    A name that does not resolve gives None (the request itself will then fail and say so).
    """
    name = host.strip("[]")
    try:
        literal = ipaddress.ip_address(name)
    except ValueError:
        literal = None
    if literal is not None:
        return str(literal) if _non_public(literal) else None
    if not resolve or name.lower() == "localhost" or name.lower().endswith(".localhost"):
        return None
    try:
        infos = socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return None
    for info in infos:
        try:
            address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        except ValueError:
            continue
        if _non_public(address):
            return str(address)
    return None


def link_local_address(host: str) -> str | None:
    """The first link-local address ``host`` is or resolves to (169.254/16, fe80::/10: a
    cloud's metadata service lives there), else None. Databases on private networks are the
    norm, so a destination is refused only for these."""
    name = host.strip("[]")
    try:
        candidates = [ipaddress.ip_address(name)]
    except ValueError:
        try:
            infos = socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError):
            return None
        candidates = []
        for info in infos:
            try:
                candidates.append(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]))
            except ValueError:
                continue
    for address in candidates:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if address.is_link_local:
            return str(address)
    return None


def check_public_host(host: str, *, what: str, allow_private: bool) -> None:
    """Raise ``InvalidAddressError`` when ``host`` is a private or link-local address (or a
    name resolving to one) and ``allow_private`` is off; the message names the setting."""
    if allow_private:
        return
    found = non_public_address(host)
    if found is not None:
        shown = host if host.strip("[]") == found else f"{host} ({found})"
        raise InvalidAddressError(
            f"the {what} points at {shown}, a private, link-local or otherwise non-public"
            f" address; if that is intended, allow it with the setting {ALLOW_SETTING}"
        )
