"""Errors from deep inside (the HTTP stack, the sockets) said the way a user can act on them.

``GET /users/myself failed for account 'x': network error (ConnectError: [Errno 111]
Connection refused); check that acme.backlog.com is reachable, ...`` becomes ``cannot reach
acme.backlog.com: connection refused — check the FQDN / --base-url, or your network``. The
original text stays for the log (``detail``); the CLI prints ``friendly_message`` and the web
pages may do the same.

The translation is a table of (pattern of the low-level text, what it means), not an if-ladder;
a text no pattern knows is returned unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from backlog_connector.backlog.redact import Redactor

#: what to check when a space cannot be reached
ADDRESS_FIX = "check the FQDN / --base-url, or your network"


@dataclass(frozen=True)
class Reason:
    """What a low-level failure means for the user, and whether trying again may help."""

    text: str
    #: True when the address itself is wrong (a configuration error, not worth retrying)
    address_wrong: bool


#: low-level text (from httpx, the resolver, the socket) -> what it means; first match wins
REASONS: tuple[tuple[re.Pattern[str], Reason], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), reason)
    for pattern, reason in (
        (
            r"name or service not known|nodename nor servname|name resolution|getaddrinfo"
            r"|\[Errno -[235]\]|No address associated",
            Reason("the name does not resolve (no such host)", True),
        ),
        (r"connection refused|\[Errno 111\]|\[Errno 61\]", Reason("connection refused", True)),
        (
            r"network is unreachable|no route to host|\[Errno 10[13]\]|\[Errno 113\]",
            Reason("the network is unreachable", False),
        ),
        (
            r"CERTIFICATE_VERIFY_FAILED|certificate verify failed|SSLError|\bSSL\b|\bTLS\b",
            Reason("its TLS certificate or handshake was refused", True),
        ),
        (r"timed out|timeout", Reason("the connection timed out", False)),
        (
            r"connection reset|RemoteProtocolError|Server disconnected|ReadError|WriteError",
            Reason("the connection was cut", False),
        ),
    )
)

_NETWORK = re.compile(r"network error \((?P<detail>.*?)\); check that (?P<host>\S+) is reachable")
#: how the client words a request that failed: "GET /users/myself failed for account 'x': ..."
_RAW_FAILURE = re.compile(r"[A-Z]+ /\S* failed for ")
_redact = Redactor()


def network_reason(text: str) -> Reason | None:
    """What a network failure's text means, or None if it names none this module knows."""
    for pattern, reason in REASONS:
        if pattern.search(text):
            return reason
    return None


def unreachable(host: str, reason: Reason) -> str:
    """``cannot reach HOST: REASON — the fix`` (a later attempt is suggested when it may help)."""
    message = f"cannot reach {host}: {reason.text} — {ADDRESS_FIX}"
    return message if reason.address_wrong else message + ", then try again"


def friendly_message(text: str) -> str:
    """The user's version of an error text (secret-looking query values masked); a text this
    module does not recognise comes back as it was."""
    text = _redact(text)
    found = _NETWORK.search(text)
    if found is None:
        return text
    reason = network_reason(found.group("detail"))
    if reason is None:
        return f"cannot reach {found.group('host')}: {found.group('detail')} — {ADDRESS_FIX}"
    return unreachable(found.group("host"), reason)


def friendly(exc: BaseException) -> str:
    """``friendly_message`` of an exception's text when that text is a request's network
    failure itself; an error that quotes one inside its own advice (e.g. "could not reach the
    space to check the option names (...); save without checking: ...") keeps its words."""
    text = str(exc)
    return friendly_message(text) if _RAW_FAILURE.match(text) else _redact(text)


def detail(exc: BaseException) -> str:
    """The full text for the log: the exception's class and message (secrets masked)."""
    return _redact(f"{type(exc).__name__}: {exc}")
