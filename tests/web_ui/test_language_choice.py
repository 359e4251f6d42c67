"""Which language a page speaks: Accept-Language, the setting ``web.language``, the language
switch's cookie (which wins), and that server-side messages (flashes, form errors) follow it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from web_ui_helpers import ADMIN_PASSWORD, Browser, csrf_of, field_error

from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator
from backlog_connector.settings import Settings
from backlog_connector.web import i18n
from backlog_connector.web.app import create_app

JA = {"accept-language": "ja-JP,ja;q=0.9,en;q=0.8"}
EN = {"accept-language": "en-US,en;q=0.9"}


@pytest.fixture
def japanese_by_setting(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(home=tmp_path / "home", admin_password=SecretStr(ADMIN_PASSWORD),
                        web={"language": "ja"})  # type: ignore[arg-type]  # fmt: skip
    with ControlPlane.open(settings=settings) as cp:
        app = create_app(cp, run_scheduler=False)
        with TestClient(app, base_url="http://localhost", follow_redirects=False) as c:
            yield c


def test_the_browser_language_chooses_the_pages_language(client: TestClient) -> None:
    ja = client.get("/login", headers=JA).text
    assert '<html lang="ja">' in ja
    assert "<h1>ログイン</h1>" in ja
    assert "管理者パスワード" in ja
    en = client.get("/login", headers=EN).text
    assert '<html lang="en">' in en
    assert "<h1>Sign in</h1>" in en
    assert "ログイン" not in en
    assert '<html lang="en">' in client.get("/login").text  # no header: English


def test_the_setting_fixes_the_language_over_the_browser(japanese_by_setting: TestClient) -> None:
    page = japanese_by_setting.get("/login", headers=EN).text
    assert '<html lang="ja">' in page
    assert "<h1>ログイン</h1>" in page


def test_the_switch_remembers_a_language_over_the_browser_and_the_setting(
    japanese_by_setting: TestClient,
) -> None:
    c = japanese_by_setting
    switched = c.get("/language", params={"to": "en", "next": "/login?lang=ja&next=/accounts"})
    assert switched.status_code == 303
    assert switched.headers["location"] == "/login?next=%2Faccounts"  # its own lang dropped
    assert f"{i18n.COOKIE}=en" in switched.headers["set-cookie"]
    assert "<h1>Sign in</h1>" in c.get("/login", headers=JA).text
    # another site is never the next page; an unknown language forgets the choice
    away = c.get("/language", params={"to": "xx", "next": "//evil.example/"})
    assert away.headers["location"] == "/datasets"
    assert f'{i18n.COOKIE}=""' in away.headers["set-cookie"]
    c.cookies.delete(i18n.COOKIE)
    assert "<h1>ログイン</h1>" in c.get("/login", headers=EN).text


def test_form_errors_and_flashes_follow_the_language(
    client: TestClient, plane: ControlPlane, emulator: Emulator
) -> None:
    page = client.get("/login", headers=JA)
    token = csrf_of(page.text)
    refused = client.post("/login", headers=JA, data={"password": "", "csrf_token": token})
    assert field_error(refused.text, "password") == "管理者パスワードを入力してください。"
    signed = client.post("/login", headers=JA,
                         data={"password": ADMIN_PASSWORD, "csrf_token": token})  # fmt: skip
    assert signed.status_code == 303
    client.headers.update(JA)
    browser = Browser(client)
    # a field label inside a formatted message is translated too
    missing = browser.post("/accounts/new", {"new_name": "emu", "base_url": emulator.base_url})
    assert field_error(missing.text, "api_key") == "API キーを入力してください。"
    saved = browser.post("/accounts/new", {"new_name": "emu", "base_url": emulator.base_url,
                                           "api_key": emulator.api_keys["admin"]})  # fmt: skip
    assert saved.status_code == 303
    listing = browser.get("/accounts").text
    assert "アカウント emu を確認して保存しました。" in listing
    plane.create_dataset("kadai", account="emu", report="issues")
    detail = browser.get("/datasets/kadai").text
    assert "課題一覧の取得" in detail  # the report's Japanese title
    assert "今すぐ実行" in detail
    deleted = browser.post("/datasets/kadai/delete", {"drop_table": "1"})
    assert deleted.status_code == 303
    after = browser.get("/datasets").text
    assert "データセット kadai を削除しました。" in after
    assert "データセットはまだありません" in after


def test_a_text_without_an_entry_stays_english() -> None:
    assert i18n.gettext("Something nobody translated.", "ja") == "Something nobody translated."
    assert i18n.gettext("Dataset {name} deleted.", "en", name="x") == "Dataset x deleted."
    assert i18n.gettext("Dataset x deleted.", "ja") == "データセット x を削除しました。"
    assert i18n.gettext("12 min ago", "ja") == "12 分前"
    assert i18n.gettext("Step {n} of {total}: {title}", "ja", n=2, total=5, title="データ") == (
        "ステップ 2 / 5: データ"
    )
