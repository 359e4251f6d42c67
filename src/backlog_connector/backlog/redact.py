"""Keeping secrets out of URLs, log lines, exception text and reprs."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

#: query parameters whose values are secrets (compared case-insensitively)
SECRET_PARAMS = frozenset(
    {"apikey", "access_token", "refresh_token", "client_secret", "code", "password", "token"}
)
MASK = "***"
_MIN_SECRET_LENGTH = 4


def redact_url(url: str) -> str:
    """Return ``url`` with secret query values and any ``user:password@`` replaced by ``***``.

    >>> redact_url("https://a.backlog.com/api/v2/space?apiKey=abc&x=1")
    'https://a.backlog.com/api/v2/space?apiKey=***&x=1'
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    netloc = parts.netloc
    if "@" in netloc:
        netloc = MASK + "@" + netloc.rsplit("@", 1)[1]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode(
            [(k, MASK if k.lower() in SECRET_PARAMS else v) for k, v in pairs], safe="[]*"
        )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


class Redactor:
    """Replaces known secret values (keys, tokens) wherever they occur in a piece of text.

    A second line of defence behind never formatting secrets in the first place: text that came
    from elsewhere (an exception of the HTTP stack, a server message) passes through it.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self.add(*secrets)

    def add(self, *secrets: str) -> None:
        """Remember more secret values (e.g. a refreshed token)."""
        self._secrets.update(s for s in secrets if s and len(s) >= _MIN_SECRET_LENGTH)
        ordered = sorted(self._secrets, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def __call__(self, text: str) -> str:
        text = _QUERY_SECRET.sub(lambda m: m.group(1) + MASK, text)
        return self._pattern.sub(MASK, text) if self._pattern is not None else text

    def __repr__(self) -> str:
        return f"Redactor({len(self._secrets)} secrets)"


_QUERY_SECRET = re.compile(
    r"((?:[?&]|\b)(?:" + "|".join(SECRET_PARAMS) + r")=)[^&\s\"'#]+", re.IGNORECASE
)
