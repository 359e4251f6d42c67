"""Japanese of the report catalog: each report's title and description, its options' labels
(the option name as the pages show it, "Issue types") and descriptions. The titles follow the
original connector's (スペース情報の取得, 課題一覧の取得, ...)."""

_PROJECTS = "which projects: all (default), or project keys / numeric ids separated by commas"
_CLOSED = (
    "the status that means done: its id or name (default 4, Closed / 完了); resolved is the "
    "last move into it"
)

#: each report's title (``_report_title`` in the templates: "Space" is also a page's word)
REPORT_TITLES: dict[str, str] = {
    "Space": "スペース情報の取得",
    "Projects": "プロジェクト一覧の取得",
    "Users": "ユーザー一覧の取得",
    "Teams": "チーム一覧の取得",
    "Issue types": "種別一覧の取得",
    "Categories": "カテゴリー一覧の取得",
    "Issues": "課題一覧の取得",
    "Recent updates": "最近の更新の取得",
    "Rate limit": "レート制限情報の取得",
    "Statuses": "状態一覧の取得",
    "Priorities": "優先度一覧の取得",
    "Resolutions": "完了理由一覧の取得",
    "Versions and milestones": "バージョン・マイルストーン一覧の取得",
    "Custom fields": "カスタム属性一覧の取得",
    "Comments": "コメント一覧の取得",
    "Issue status history": "課題の状態変更履歴の取得",
    "Git repositories": "Git リポジトリ一覧の取得",
    "Pull requests": "プルリクエスト一覧の取得",
    "Wiki pages": "Wiki ページ一覧の取得",
    "Documents": "ドキュメント一覧の取得",
    "Project members": "プロジェクトメンバー一覧の取得",
    "Cycle times": "サイクルタイムの集計",
    "Cumulative flow": "累積フローの集計",
    "Throughput": "スループットの集計",
}

REPORTS: dict[str, str] = {
    **REPORT_TITLES,
    # descriptions
    "The Backlog space itself (one row).": "Backlog スペースそのものの情報（1 行）。",
    "The projects of the space with their settings.": "スペースのプロジェクトとその設定。",
    "The users of the space (needs an administrator's key on Backlog).": (
        "スペースのユーザー（Backlog の管理者の API キーが必要です）。"
    ),
    "The teams of the space with member count and names, and their members.": (
        "スペースのチーム（メンバー数と名前）と、そのメンバー。"
    ),
    "The issue types of the chosen projects.": "選んだプロジェクトの種別。",
    "The categories of the chosen projects.": "選んだプロジェクトのカテゴリー。",
    "Every issue of the chosen projects: all fields flattened, list fields as names plus "
    "child tables, one typed cf_* column per custom field.": (
        "選んだプロジェクトのすべての課題。全フィールドを平らな列にし、複数値のフィールドは"
        "名前の列と子テーブルに、カスタム属性は型付きの cf_* 列 1 つずつにします。"
    ),
    "The space's activity log (issues, wikis, files, git, ...), read by id: each activity "
    "exactly once, with its field changes (pull-request changes apart).": (
        "スペースのアクティビティ（課題、Wiki、ファイル、Git など）を ID 順に読み、各"
        "アクティビティを 1 回だけ、項目の変更内容とともに取り込みます（プルリクエストの"
        "変更は別テーブル）。"
    ),
    "The API rate limit of the account's user, one row per category.": (
        "アカウントのユーザーの API レート制限（カテゴリーごとに 1 行）。"
    ),
    "The statuses of the chosen projects, built-in and custom.": (
        "選んだプロジェクトの状態（標準とカスタム）。"
    ),
    "The issue priorities of the space.": "スペースの課題の優先度。",
    "The issue resolutions of the space.": "スペースの課題の完了理由。",
    "The versions (milestones) of the chosen projects with their dates.": (
        "選んだプロジェクトのバージョン（マイルストーン）とその日付。"
    ),
    "The custom-field definitions of the chosen projects, with the issues column each one "
    "fills, and their list items.": (
        "選んだプロジェクトのカスタム属性の定義と、それぞれが入る課題テーブルの列、リストの選択肢。"
    ),
    "The comments of the chosen projects' issues, incremental: each run reads the comments "
    "of the issues updated since the last one.": (
        "選んだプロジェクトの課題のコメント（差分取り込み）。実行のたびに、前回から更新"
        "された課題のコメントを読みます。"
    ),
    "Every status change of the chosen projects' issues, from the comments' change logs: "
    "issue, from status, to status, when, by whom.": (
        "選んだプロジェクトの課題の状態変更をすべて、コメントの変更履歴から取り込みます"
        "（課題、変更前と変更後の状態、日時、変更者）。"
    ),
    "The Git repositories of the chosen projects.": "選んだプロジェクトの Git リポジトリ。",
    "The pull requests of the chosen projects' Git repositories, with their comments "
    "(pull_requests__comments); merge runs read comments only of pull requests updated "
    "since the last run.": (
        "選んだプロジェクトの Git リポジトリのプルリクエストとそのコメント"
        "（pull_requests__comments）。マージでの実行では、前回から更新されたプルリクエスト"
        "のコメントだけを読みます。"
    ),
    "The Wiki page list of the chosen projects (name, tags, who and when); the list and "
    "count requests are in Backlog's search rate category.": (
        "選んだプロジェクトの Wiki ページ一覧（名前、タグ、作成者と日時）。一覧と件数の"
        "リクエストは Backlog の検索のレート制限に数えられます。"
    ),
    "The documents (Document API) of the chosen projects, oldest first.": (
        "選んだプロジェクトのドキュメント（ドキュメント API）を古い順に。"
    ),
    "The members (users) of each chosen project, one row per project and user.": (
        "選んだ各プロジェクトのメンバー（ユーザー）。プロジェクトとユーザーの組ごとに 1 行。"
    ),
    "Per issue: when it was created, first started and resolved, lead and cycle time in "
    "hours, times reopened, and hours in each status. The first run reads every issue's "
    "comments; later runs read only the space activities since the last one.": (
        "課題ごとに、作成・最初の着手・完了の日時、リードタイムとサイクルタイム（時間）、"
        "再オープンの回数、各状態にあった時間を集計します。初回はすべての課題のコメントを"
        "読み、その後は前回からのスペースのアクティビティだけを読みます。"
    ),
    "Per project, per day (UTC) from its first issue to today, per status: how many issues "
    "were in that status at the end of the day (a cumulative flow diagram). Kept fresh from "
    "the space activities after the first run.": (
        "プロジェクトごと、最初の課題から今日までの日ごと（UTC）、状態ごとに、その日の"
        "終わりにその状態にあった課題の数（累積フロー図）。初回の後はスペースの"
        "アクティビティから更新します。"
    ),
    "Per project, per ISO week (UTC, Monday first): issues created, resolved, reopened and "
    "open at the end of the week. Kept fresh from the space activities.": (
        "プロジェクトごと、ISO 週（UTC、月曜始まり）ごとに、追加・完了・再オープンした"
        "課題の数と、週末時点の未完了の数。スペースのアクティビティから更新します。"
    ),
    # option labels
    "Archived": "アーカイブ",
    "Milestones": "マイルストーン",
    "Assignees": "担当者",
    "Created since": "作成日（から）",
    "Created until": "作成日（まで）",
    "Updated since": "更新日（から）",
    "Updated until": "更新日（まで）",
    "Keyword": "キーワード",
    "Parent child": "親子課題",
    "Has due date": "期限日の有無",
    "Activity types": "アクティビティの種類",
    "Repositories": "リポジトリ",
    "Start status": "着手の状態",
    "Closed status": "完了の状態",
    # option choices
    "all": "すべて",
    "active": "アクティブ",
    # option descriptions
    "which projects: all, active or archived": (
        "対象のプロジェクト: すべて（all）、アクティブ（active）、アーカイブ済み（archived）"
    ),
    _PROJECTS: (
        "対象のプロジェクト: すべて（既定）、またはプロジェクトキーか数値の ID をカンマ区切りで"
    ),
    "only these status ids or names, comma-separated": (
        "これらの状態（ID または名前、カンマ区切り）だけ"
    ),
    "only these issue type ids or names, comma-separated": (
        "これらの種別（ID または名前、カンマ区切り）だけ"
    ),
    "only these category ids or names, comma-separated": (
        "これらのカテゴリー（ID または名前、カンマ区切り）だけ"
    ),
    "only these milestone ids or names, comma-separated": (
        "これらのマイルストーン（ID または名前、カンマ区切り）だけ"
    ),
    "only these user ids or names, comma-separated": (
        "これらのユーザー（ID または名前、カンマ区切り）だけ"
    ),
    "created since date, yyyy-MM-dd": "この日以降に作成（yyyy-MM-dd）",
    "created until date, yyyy-MM-dd": "この日までに作成（yyyy-MM-dd）",
    "updated since date, yyyy-MM-dd": "この日以降に更新（yyyy-MM-dd）",
    "updated until date, yyyy-MM-dd": "この日までに更新（yyyy-MM-dd）",
    "free-text search, as in Backlog's issue search": "キーワード検索（Backlog の課題検索と同じ）",
    "parent/child issues: all, not_child, child, standalone, parent, grandchild, child_only, "
    "top_level, not_grandchild, not_top_level, leaf": (
        "親子課題: all、not_child、child、standalone、parent、grandchild、child_only、"
        "top_level、not_grandchild、not_top_level、leaf"
    ),
    "false: only issues without a due date (Backlog's hasDueDate supports only false)": (
        "false: 期限日のない課題だけ（Backlog の hasDueDate は false だけに対応）"
    ),
    "only these activity type ids, comma-separated (1 created, 2 updated, 3 commented, 4 "
    "deleted, ...)": (
        "これらのアクティビティ種別の ID だけ、カンマ区切り（1 追加、2 更新、3 コメント、"
        "4 削除、...）"
    ),
    "only these repository names or ids, comma-separated": (
        "これらのリポジトリ（名前または ID、カンマ区切り）だけ"
    ),
    "the status work starts from: its id or name (default 1, Open / 未対応); first_started "
    "is the first move out of it": (
        "作業を始める前の状態: ID または名前（既定 1、Open / 未対応）。first_started は"
        "最初にこの状態から移った日時です"
    ),
    _CLOSED: (
        "完了を表す状態: ID または名前（既定 4、Closed / 完了）。resolved は最後にこの状態に"
        "移った日時です"
    ),
}
