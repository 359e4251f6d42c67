"""The UI's translation hook: ``_`` in the templates (a stand-in returning English on this branch;
the Japanese/English catalogue replaces it)."""

from __future__ import annotations


def gettext(text: str) -> str:
    """``text`` in the page's language (here: as given)."""
    return text
