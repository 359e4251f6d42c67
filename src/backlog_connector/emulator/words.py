"""Word pools for realistic Japanese and English names and text."""

from __future__ import annotations

FAMILY_JA = (
    "佐藤",
    "鈴木",
    "高橋",
    "田中",
    "伊藤",
    "渡辺",
    "山本",
    "中村",
    "小林",
    "加藤",
    "吉田",
    "山田",
    "松本",
    "井上",
    "木村",
    "林",
    "清水",
    "山口",
    "森",
    "池田",
)
GIVEN_JA = (
    "太郎",
    "花子",
    "翔",
    "結衣",
    "大輔",
    "美咲",
    "健太",
    "さくら",
    "拓也",
    "陽菜",
    "直人",
    "愛",
    "悠斗",
    "真由",
    "亮",
    "葵",
)
ROMAJI_FAMILY = (
    "sato",
    "suzuki",
    "takahashi",
    "tanaka",
    "ito",
    "watanabe",
    "yamamoto",
    "nakamura",
    "kobayashi",
    "kato",
    "yoshida",
    "yamada",
    "matsumoto",
    "inoue",
    "kimura",
    "hayashi",
    "shimizu",
    "yamaguchi",
    "mori",
    "ikeda",
)
GIVEN_EN = (
    "Alice",
    "Bob",
    "Carol",
    "David",
    "Emma",
    "Frank",
    "Grace",
    "Henry",
    "Isla",
    "Jack",
    "Kate",
    "Liam",
    "Mia",
    "Noah",
    "Olivia",
    "Peter",
)
FAMILY_EN = (
    "Smith",
    "Johnson",
    "Brown",
    "Taylor",
    "Miller",
    "Wilson",
    "Moore",
    "Clark",
    "Lewis",
    "Walker",
    "Hall",
    "Young",
)

PROJECTS = (
    ("WEB", "Webサイト刷新"),
    ("APP", "モバイルアプリ"),
    ("API", "API Platform"),
    ("OPS", "インフラ運用"),
    ("DATA", "Data Warehouse"),
    ("SUP", "カスタマーサポート"),
    ("MKT", "Marketing Site"),
    ("HR", "人事システム"),
    ("PAY", "Payments"),
    ("QA", "品質保証"),
)

ISSUE_TYPES_JA = (
    ("バグ", "#990000"),
    ("タスク", "#7ea800"),
    ("要望", "#ff9200"),
    ("その他", "#2779ca"),
)
ISSUE_TYPES_EN = (
    ("Bug", "#990000"),
    ("Task", "#7ea800"),
    ("Request", "#ff9200"),
    ("Other", "#2779ca"),
)
EXTRA_ISSUE_TYPE_COLORS = ("#e30000", "#934981", "#814fbc", "#007e9a", "#ff3265", "#666665")

STATUSES_JA = (
    ("未対応", "#ed8077"),
    ("処理中", "#4488c5"),
    ("処理済み", "#5eb5a6"),
    ("完了", "#b0be3c"),
)
STATUSES_EN = (
    ("Open", "#ed8077"),
    ("In Progress", "#4488c5"),
    ("Resolved", "#5eb5a6"),
    ("Closed", "#b0be3c"),
)
CUSTOM_STATUSES = (
    ("レビュー待ち", "#868cb7"),
    ("Waiting for QA", "#3b9dbd"),
    ("保留", "#393939"),
    ("Blocked", "#ea2c00"),
)

PRIORITIES = ((2, "高"), (3, "中"), (4, "低"))
RESOLUTIONS = ((0, "対応済み"), (1, "対応しない"), (2, "無効"), (3, "重複"), (4, "再現しない"))

CATEGORIES = (
    "開発",
    "デザイン",
    "インフラ",
    "Documentation",
    "Frontend",
    "Backend",
    "テスト",
    "Security",
    "運用",
    "Billing",
)

SUBJECTS = (
    "ログイン画面",
    "検索機能",
    "CSVエクスポート",
    "通知メール",
    "管理画面",
    "決済処理",
    "ダッシュボード",
    "the sign-up form",
    "the REST API",
    "the mobile menu",
    "PDF reports",
    "the nightly batch",
    "ユーザー設定",
    "請求書",
    "the search index",
    "画像アップロード",
)
PROBLEMS = (
    "が表示されない",
    "でエラーが発生する",
    "のレスポンスが遅い",
    "を改善したい",
    "の文言を修正",
    "に項目を追加",
    " crashes on Safari",
    " times out under load",
    " needs pagination",
    " shows the wrong total",
    "をリファクタリング",
    " is not translated",
)

SENTENCES = (
    "再現手順を以下に記載します。",
    "本番環境でのみ発生しています。",
    "Steps to reproduce are below.",
    "This started after the last release.",
    "ログを添付しました。",
    "影響範囲を確認してください。",
    "Expected the list to be sorted by date.",
    "お客様から問い合わせがありました。",
    "We should also update the documentation.",
    "優先度は中程度で問題ありません。",
    "See the attached screenshot.",
    "来週のリリースに含めたいです。",
)
COMMENTS = (
    "確認しました。",
    "対応を開始します。",
    "Fixed in the latest build.",
    "レビューをお願いします。",
    "Could you check this again?",
    "再現できませんでした。",
    "修正しました。ご確認ください。",
    "Merged, will deploy tomorrow.",
    "仕様を確認中です。",
    "Looks good to me.",
    "テスト環境で確認済みです。",
    "I need more information to reproduce this.",
    "",
)
VERSIONS = (
    "v1.0",
    "v1.1",
    "v2.0",
    "2025年春リリース",
    "2025-Q3",
    "2026年1月",
    "Sprint 12",
    "Sprint 13",
)
FILES = ("screenshot.png", "error.log", "仕様書.xlsx", "design.pdf", "trace.txt")
TEAMS = ("開発チーム", "Design Team", "インフラチーム", "QA Team", "サポート")
