"""Errors from deep inside, told as what a web user can do about them.

A network failure reaches the pages as ``GET /users/myself failed for acme: network error
(ConnectError: [Errno 111] Connection refused); check that ...``: true, but no help to someone
who typed a space address. ``friendly_text`` turns such a message into one sentence that names
the problem and the fix (in English: the page puts it through ``i18n``), and a message that
names a CLI command (``run it first: datasets run 'x'``) into the web's action; a message no
rule knows is returned unchanged, since the connector's own messages already name the fix.
``friendly_error`` does the same for an exception and keeps the raw detail in the log.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

log = logging.getLogger("backlog_connector.web")

#: the host of a raw network failure, or of one the control plane already worded
#: ("cannot reach HOST: connection refused — ...", datasets.friendly_errors)
_HOST = re.compile(r"check that (?P<host>[^\s;,]+) is reachable|cannot reach (?P<worded>\S+?):?\s")
_NETWORK = re.compile(
    r"network error|ConnectError|ConnectTimeout|ReadTimeout|\[Errno -?\d+\]|^cannot reach \S"
)


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    text: str


#: the first rule whose pattern is found in a network error's message gives its text
_RULES = (
    _Rule(
        re.compile(
            r"Name or service not known|nodename nor servname|name resolution|"
            r"getaddrinfo|\[Errno -[23]\]|No address associated|does not resolve",
            re.I,
        ),
        "The address {host} was not found. Check the spelling of the space address "
        "(for example yourspace.backlog.com).",
    ),
    _Rule(
        re.compile(r"Connection refused|\[Errno 111\]|\[Errno 61\]", re.I),
        "Could not connect to {host}: nothing answers there. Check the space address, or "
        "that the server is running, then try again.",
    ),
    _Rule(
        re.compile(r"Timeout|timed out", re.I),
        "{host} did not answer in time. Try again in a few minutes; if it keeps happening, "
        "check the space address and this machine's network.",
    ),
    _Rule(
        re.compile(r"SSL|certificate|TLS", re.I),
        "A secure connection to {host} could not be made (a certificate problem). Check the "
        "space address; a server of your own needs a valid certificate.",
    ),
    _Rule(
        re.compile(r".", re.S),
        "The connection to {host} failed. Check this machine's network and try again; a "
        "later run usually succeeds.",
    ),
)


#: the control plane's messages that name a CLI command, as the pages say them
_WEB_WORDS = (
    (
        re.compile(r"dataset '(?P<name>.+)' has no table yet; run it first: .*", re.S),
        "No table yet: press Run now to fill it.",
    ),
    (
        re.compile(r"no dataset named '(?P<name>.+)'; see 'datasets list'.*", re.S),
        "There is no dataset named {name}. Pick one from the datasets list, or create it "
        "with New dataset.",
    ),
    (
        re.compile(r"no account named '(?P<name>.+)'; see 'accounts list'.*", re.S),
        "There is no account named {name}. Pick one on the accounts page, or add it with "
        "Add account.",
    ),
    (
        re.compile(r"no destination named '(?P<name>.+)'; see 'destinations list'.*", re.S),
        "There is no destination named {name}. Pick one on the destinations page, or add it "
        "with Add destination.",
    ),
)


def is_network_message(raw: str) -> bool:
    """Whether ``raw`` is the message of a network failure (``backlog.errors.NetworkError``)."""
    return bool(_NETWORK.search(raw))


def friendly_text(raw: object) -> str:
    """An actionable sentence for the error message ``raw`` (``raw`` itself when no rule
    applies; "" for None)."""
    if raw is None:
        return ""
    text = str(raw)
    for pattern, words in _WEB_WORDS:
        match = pattern.fullmatch(text)
        if match is not None:
            return words.format(name=match.group("name"))
    if not is_network_message(text):
        return text
    match = _HOST.search(text)
    host = (match.group("host") or match.group("worded")) if match else "the Backlog space"
    rule = next(r for r in _RULES if r.pattern.search(text))
    return rule.text.format(host=host)


def friendly_error(exc: BaseException, *, doing: str) -> str:
    """``friendly_text`` of ``exc``; when it changed the message, the raw one goes to the log
    (``doing`` says what failed, e.g. "adding account acme")."""
    raw = str(exc)
    text = friendly_text(raw)
    if text != raw:
        log.warning("%s failed: %s", doing, raw)
    return text
