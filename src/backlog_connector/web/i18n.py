"""The web UI's two languages, English and Japanese.

English text is the key: templates write ``{{ _("Add an account") }}`` (``_`` is a Jinja
global), Python code passes English messages to ``flash`` and to form errors, and the page
renders them through ``gettext`` in the language of the request. The Japanese catalog
(``web.ja_catalog``) maps each English text to its Japanese; a text it lacks stays English.

A key may hold ``{placeholders}``: ``_("Step {n} of {total}", n=1, total=5)`` looks up the key,
then fills it in. Messages formatted before they reach the page (``f"Dataset {name} deleted."``)
are matched against those keys as patterns, so the Japanese can put the values where Japanese
puts them; a value that is itself a key (a field label) is translated too.

The language of a request (``language``): the ``lang`` query parameter, else the cookie the
language switch sets (``GET /language?to=ja``), else the setting ``web.language`` (auto, ja, en),
else the browser's Accept-Language; English when none of them says.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from starlette.requests import Request

from backlog_connector.web.ja_catalog import JA, JA_PATTERNS, JA_REPORT_TITLES

#: the languages of the UI, the default first
LANGUAGES = ("en", "ja")
DEFAULT = "en"
#: the cookie of the language switch
COOKIE = "backlog_connector_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
#: the names of the languages, each in itself (for the switch)
NAMES = {"en": "English", "ja": "日本語"}

_CATALOGS: dict[str, dict[str, str]] = {"ja": JA}
#: the keys (of Python's messages) that also match the text formatted from them
_PATTERN_KEYS: dict[str, dict[str, str]] = {"ja": JA_PATTERNS}
_REPORT_TITLES: dict[str, dict[str, str]] = {"ja": JA_REPORT_TITLES}
_ACCEPT = re.compile(r"\s*([A-Za-z]{1,8})(?:-[A-Za-z0-9]{1,8})*\s*(?:;\s*q\s*=\s*([0-9.]+))?")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)(?:![rsa])?(?::[^{}]*)?\}")


def from_accept_language(header: str) -> str | None:
    """The best of ``LANGUAGES`` by an Accept-Language header (q values, then order)."""
    ranked: list[tuple[float, int, str]] = []
    for n, part in enumerate(header.split(",")):
        match = _ACCEPT.fullmatch(part)
        if match is None:
            continue
        try:
            q = float(match.group(2)) if match.group(2) else 1.0
        except ValueError:
            continue
        tag = match.group(1).lower()
        if tag in LANGUAGES and q > 0:
            ranked.append((-q, n, tag))
    return min(ranked)[2] if ranked else None


def language(request: Request) -> str:
    """The language of ``request``'s page: query ``lang``, the switch's cookie, the setting
    ``web.language``, Accept-Language, English."""
    for chosen in (request.query_params.get("lang", ""), request.cookies.get(COOKIE, "")):
        if chosen.lower() in LANGUAGES:
            return chosen.lower()
    plane = getattr(request.app.state, "control_plane", None) if "app" in request.scope else None
    setting = getattr(getattr(getattr(plane, "settings", None), "web", None), "language", "auto")
    if setting in LANGUAGES:
        return str(setting)
    return from_accept_language(request.headers.get("accept-language", "")) or DEFAULT


def _split(key: str) -> tuple[list[str], list[str]]:
    """The literal pieces and placeholder names of a key."""
    pieces, names, last = [], [], 0
    for match in _PLACEHOLDER.finditer(key):
        pieces.append(key[last : match.start()])
        names.append(match.group(1))
        last = match.end()
    pieces.append(key[last:])
    return pieces, names


@lru_cache(maxsize=4)
def _patterns(lang: str) -> tuple[tuple[re.Pattern[str], list[str], str], ...]:
    """The catalog's keys with placeholders as patterns over formatted messages, the longest
    literal text first (the most specific key wins)."""
    found = []
    for key, target in _PATTERN_KEYS.get(lang, {}).items():
        pieces, names = _split(key)
        if not names or not "".join(pieces).strip():
            continue
        body = "(.+?)".join(re.escape(p) for p in pieces)
        found.append((len("".join(pieces)), re.compile(body, re.DOTALL), names, target))
    found.sort(key=lambda item: -item[0])
    return tuple((pattern, names, target) for _n, pattern, names, target in found)


def _fill(template: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


@lru_cache(maxsize=8192)
def translate(text: str, lang: str) -> str:
    """``text`` in ``lang``: the catalog's entry, else a key it matches as a pattern (its
    values translated when they are keys), else ``text`` itself."""
    catalog = _CATALOGS.get(lang)
    if not catalog or not text:
        return text
    exact = catalog.get(text)
    if exact is not None:
        return exact
    stripped = text.strip()
    if stripped != text and stripped in catalog:
        return catalog[stripped]
    for pattern, names, target in _patterns(lang):
        match = pattern.fullmatch(text)
        if match is not None:
            values = {n: translate(v, lang) for n, v in zip(names, match.groups(), strict=True)}
            return _fill(target, values)
    return text


def gettext(text: Any, lang: str, **params: Any) -> str:
    """``text`` translated into ``lang``, then its ``{placeholders}`` filled from ``params``
    (English when the catalog lacks it)."""
    if text is None:
        return ""
    translated = translate(str(text), lang)
    return translated.format(**params) if params else translated


@pass_context
def jinja_gettext(context: Context, text: Any, **params: Any) -> str:
    """The templates' ``_``: ``gettext`` in the language of the page being rendered."""
    return gettext(text, str(context.get("page_lang") or DEFAULT), **params)


def report_title(title: str, lang: str) -> str:
    """A report's title in ``lang`` (the report titles first: "Space" the report is
    スペース情報の取得, "Space" the word スペース)."""
    return _REPORT_TITLES.get(lang, {}).get(title) or translate(title, lang)


@pass_context
def jinja_report_title(context: Context, title: Any) -> str:
    """The templates' ``_report``: ``report_title`` in the language of the page."""
    return report_title(str(title or ""), str(context.get("page_lang") or DEFAULT))


def catalog(lang: str) -> dict[str, str]:
    """The catalog of ``lang`` (empty for English, the language of the keys)."""
    return dict(_CATALOGS.get(lang, {}))


def placeholders(text: str) -> set[str]:
    """The names of the ``{placeholders}`` of a key."""
    return set(_split(text)[1])


#: the words ``static/app.js`` and ``static/run_progress.js`` write into pages
SCRIPT_WORDS = ("Starting…", "rows read", "queued", "running", "succeeded", "failed",
                "cancelled", "skipped", "rows", "issues", "rows/s", "ETA {time}",
                "waiting {seconds} s for the {category} rate budget",
                "waiting {seconds} s for the rate budget", "read", "update", "search",
                "icon")  # fmt: skip


def script_words(lang: str) -> dict[str, str]:
    """``SCRIPT_WORDS`` in ``lang`` (only those the catalog translates)."""
    return {w: translate(w, lang) for w in SCRIPT_WORDS if translate(w, lang) != w}
