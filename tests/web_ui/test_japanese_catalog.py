"""Nothing in the pages is left half-translated: every text a template marks with ``_()``,
every message the page modules flash or put next to a field, every report's title,
description and options has a Japanese entry, with the same placeholders."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from backlog_connector.datasets.definitions import report_catalog
from backlog_connector.web import i18n
from backlog_connector.web.ja_catalog import JA, JA_PATTERNS, JA_REPORT_TITLES

WEB = Path(i18n.__file__).parent
_MARKED = re.compile(r"""\b_(?:report)?\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def _template_keys() -> dict[str, str]:
    """Every literal text the templates mark, with the template it is in."""
    keys: dict[str, str] = {}
    for path in sorted((WEB / "templates").rglob("*.html")):
        for match in _MARKED.finditer(path.read_text(encoding="utf-8")):
            text = match.group(1) if match.group(1) is not None else match.group(2)
            keys.setdefault(text.replace('\\"', '"').replace("\\'", "'"), path.name)
    return keys


def _shape(text: str) -> str:
    """A key with its placeholders unnamed: f"Dataset {name} deleted." and the catalog's
    "Dataset {name} deleted." have the same shape whatever the names."""
    return _PLACEHOLDER.sub("{}", text)


def _message(node: ast.expr) -> str | None:
    """The text of a message expression: a literal, or an f-string with its values as {}."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value if isinstance(part, ast.Constant) else "{}" for part in node.values
        )
    return None


def _python_messages() -> dict[str, str]:
    """The literal messages of ``flash(request, kind, text)`` and ``errors[field] = text`` in
    the page modules (messages built from variables are covered by their own keys)."""
    found: dict[str, str] = {}
    for path in sorted(WEB.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            value: ast.expr | None = None
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "flash":
                value = node.args[2] if len(node.args) > 2 else None
            elif (
                isinstance(node, ast.Assign)
                and isinstance(node.targets[0], ast.Subscript)
                and getattr(node.targets[0].value, "id", "") == "errors"
            ):
                value = node.value
            text = _message(value) if value is not None else None
            if text:
                found.setdefault(text, path.name)
    return found


def test_the_templates_mark_their_text() -> None:
    keys = _template_keys()
    assert len(keys) > 200  # the pages are marked, not a sample of them
    assert "Sign out" in keys
    assert "No datasets yet" in keys


def test_every_marked_template_text_has_a_japanese_entry() -> None:
    missing = {key: where for key, where in _template_keys().items() if key not in JA}
    assert not missing, missing


def test_every_message_of_the_page_modules_has_a_japanese_entry() -> None:
    messages = _python_messages()
    assert "Pick a report." in messages
    shapes = {_shape(key) for key in JA_PATTERNS} | set(JA)
    missing = {m: where for m, where in messages.items() if _shape(m) not in shapes}
    assert not missing, missing


def test_every_report_speaks_japanese() -> None:
    reports = report_catalog()
    assert len(reports) >= 24
    for report in reports:
        assert report.title in JA_REPORT_TITLES, report.name
        assert report.description in JA, report.name
        for opt in report.options:
            label = opt.name.replace("_", " ").capitalize()
            assert label in JA, (report.name, label)
            assert opt.description in JA, (report.name, opt.name)
    titles = [JA_REPORT_TITLES[r.title] for r in reports]
    assert len(set(titles)) == len(titles)  # no two reports share a Japanese title
    # the nine of the original connector keep its names
    original = {"space": "スペース情報の取得", "projects": "プロジェクト一覧の取得",
                "issues": "課題一覧の取得", "users": "ユーザー一覧の取得",
                "teams": "チーム一覧の取得", "issue_types": "種別一覧の取得",
                "categories": "カテゴリー一覧の取得", "recent_updates": "最近の更新の取得",
                "rate_limit": "レート制限情報の取得"}  # fmt: skip
    for report in reports:
        if report.name in original:
            assert i18n.report_title(report.title, "ja") == original[report.name]


def test_every_entry_is_japanese_with_the_placeholders_of_its_key() -> None:
    japanese = re.compile(r"[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]")
    wrong = {k: v for k, v in JA.items() if i18n.placeholders(v) != i18n.placeholders(k)}
    assert not wrong, wrong
    english = {k: v for k, v in JA.items() if not japanese.search(v)}
    assert not english, english


def test_the_script_words_are_translated() -> None:
    assert set(i18n.script_words("ja")) == set(i18n.SCRIPT_WORDS)
    assert i18n.script_words("en") == {}
