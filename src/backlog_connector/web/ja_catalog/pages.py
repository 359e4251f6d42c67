"""Japanese of the text the templates mark with ``_()`` (the English text is the key)."""

PAGES: dict[str, str] = {
    # frame and sign-in
    "Main": "メイン",
    "Datasets": "データセット",
    "Accounts": "アカウント",
    "Destinations": "保存先",
    "Insights": "インサイト",
    "Language": "言語",
    "Sign out": "ログアウト",
    "Sign in": "ログイン",
    "Admin password": "管理者パスワード",
    "Set with BACKLOG_CONNECTOR_ADMIN_PASSWORD, or shown once by the first start of serve.": (
        "BACKLOG_CONNECTOR_ADMIN_PASSWORD で設定するか、serve の初回起動時に一度だけ"
        "表示されたものを使います。"
    ),
    # shared words
    "Cancel": "キャンセル",
    "Edit": "編集",
    "Edit {name}": "{name} を編集",
    "Remove": "削除",
    "Delete": "削除",
    "Verify": "接続確認",
    "Verified": "確認日時",
    "Keep it": "削除しない",
    "Back": "戻る",
    "Next": "次へ",
    "Used by": "利用中のデータセット",
    "no dataset": "データセットなし",
    "none": "なし",
    "never": "未実行",
    "paused": "停止中",
    "default": "既定",
    "(optional)": "（任意）",
    "(required)": "（必須）",
    "yes": "はい",
    "no": "いいえ",
    "(default)": "（既定）",
    "(default: {value})": "（既定: {value}）",
    "Name": "名前",
    "Description": "説明",
    "Status": "ステータス",
    "Summary": "概要",
    "It cannot be removed while datasets use it:": "データセットが使っている間は削除できません:",
    "Remove {name}": "{name} を削除",
    "Remove {name}?": "{name} を削除しますか？",
    # accounts
    "Add account": "アカウントを追加",
    "Add an account": "アカウントを追加",
    "Leave the API key empty to keep the saved one.": (
        "API キーを空欄にすると保存済みのキーをそのまま使います。"
    ),
    "The address and key are checked against the space before anything is saved.": (
        "保存する前に、アドレスとキーをスペースに問い合わせて確認します。"
    ),
    "Account name": "アカウント名",
    "e.g. acme": "例: acme",
    "Your own label; datasets refer to it.": (
        "自由に付けられる名前です。データセットはこの名前で参照します。"
    ),
    "Space address": "スペースのアドレス",
    "yourspace.backlog.com, yourspace.backlog.jp or yourspace.backlogtool.com": (
        "yourspace.backlog.com、yourspace.backlog.jp または yourspace.backlogtool.com"
    ),
    "Another server (Backlog Enterprise, the local emulator)": (
        "別のサーバー（Backlog Enterprise、ローカルのエミュレーター）"
    ),
    "Base URL": "ベース URL",
    "Used instead of the space address. Plain http:// only for this machine (127.0.0.1).": (
        "スペースのアドレスの代わりに使います。http:// はこのマシン（127.0.0.1）に限ります。"
    ),
    "Send the key as the apiKey query parameter (older Backlog Enterprise)": (
        "キーを apiKey クエリパラメーターで送る（古い Backlog Enterprise）"
    ),
    "API key": "API キー",
    "API key (leave empty to keep the saved key)": "API キー（空欄なら保存済みのキーを使用）",
    "In Backlog: your icon › Personal settings › API. Stored encrypted; never shown again.": (
        "Backlog の 自分のアイコン › 個人設定 › API で発行します。暗号化して保存し、"
        "二度と表示しません。"
    ),
    "Save and verify": "保存して確認",
    "Verify and save": "確認して保存",
    "A saved account is a Backlog space and an API key. Datasets read through it; the key is "
    "stored encrypted.": (
        "アカウントは Backlog のスペースと API キーの組です。データセットはこれを通して"
        "読み込みます。キーは暗号化して保存します。"
    ),
    "New dataset": "新しいデータセット",
    "Backlog user": "Backlog ユーザー",
    "Space": "スペース",
    "Credentials": "認証情報",
    "(sent as query parameter)": "（クエリパラメーターで送信）",
    "saved, never shown": "保存済み・表示しません",
    "Rate-limit budget": "レート制限の残り",
    "(last seen)": "（最後に確認した値）",
    "Category": "カテゴリー",
    "Remaining": "残り",
    "Limit": "上限",
    "Resets": "リセット",
    "Not known yet: it is learnt from Backlog's answers. Press Verify.": (
        "まだわかりません。Backlog の応答から取得します。「接続確認」を押してください。"
    ),
    "No accounts yet": "アカウントはまだありません",
    "Add your Backlog space's address and an API key; the connector checks them before saving.": (
        "Backlog スペースのアドレスと API キーを追加してください。保存する前に確認します。"
    ),
    "Delete those datasets first.": "先にそれらのデータセットを削除してください。",
    "Back to the accounts": "アカウント一覧に戻る",
    "The saved address and API key of {space} are deleted. No dataset uses it.": (
        "{space} の保存済みアドレスと API キーを削除します。使っているデータセットはありません。"
    ),
    "Remove account": "アカウントを削除",
    # datasets list
    "Each dataset is a table in a destination (the built-in warehouse or a PostgreSQL "
    "database), filled from a Backlog report on its schedule.": (
        "データセットは保存先（組み込みのウェアハウスまたは PostgreSQL データベース）の"
        "テーブルで、スケジュールに従って Backlog のレポートから取り込まれます。"
    ),
    "No datasets yet": "データセットはまだありません",
    "A dataset copies one Backlog report (issues, projects, users, recent updates, …) into "
    "a table you can query.": (
        "データセットは Backlog のレポート（課題、プロジェクト、ユーザー、最近の更新など）"
        "を 1 つ、クエリできるテーブルにコピーします。"
    ),
    "First add the Backlog account it reads through (the wizard can also add one).": (
        "まず読み込みに使う Backlog アカウントを追加してください（作成ウィザードの中でも"
        "追加できます）。"
    ),
    "Create a dataset": "データセットを作成",
    "Create your first dataset": "最初のデータセットを作成",
    "Search name, description, report…": "名前・説明・レポートで検索…",
    "Search datasets": "データセットを検索",
    "Report": "レポート",
    "All reports": "すべてのレポート",
    "Account": "アカウント",
    "All accounts": "すべてのアカウント",
    "All destinations": "すべての保存先",
    "Last run status": "前回の実行結果",
    "Any last run": "前回の実行: すべて",
    "Filter": "絞り込み",
    "Clear": "クリア",
    "{first}–{last} of {matched}": "{matched} 件中 {first}–{last} 件",
    "(of {total})": "（全 {total} 件）",
    "0 of {total}": "全 {total} 件中 0 件",
    "No dataset matches these filters.": "条件に合うデータセットはありません。",
    "Show all": "すべて表示",
    "Pages": "ページ",
    "← Previous": "← 前へ",
    "Next →": "次へ →",
    "Page {page} of {total}": "{page} / {total} ページ",
    "Rows": "行数",
    "Last run": "前回の実行",
    "Next run": "次回の実行",
    "Schedule": "スケジュール",
    "Destination": "保存先",
    # one dataset
    "Table": "テーブル",
    "Run now": "今すぐ実行",
    "Run": "実行",
    "Cancel run": "実行を中止",
    "About": "このデータセットについて",
    "No description.": "説明はありません。",
    "Add one": "追加する",
    "Update method": "更新方法",
    "Retries": "再試行",
    ", every {interval}": "（{interval} ごと）",
    "Options": "オプション",
    "Created": "作成日時",
    "Schema": "スキーマ",
    "Column": "列",
    "Type": "型",
    "Field": "フィールド",
    "(name shortened)": "（名前を短縮）",
    "Run history": "実行履歴",
    "rows written": "書き込んだ行数",
    "duration": "所要時間",
    "failed": "失敗",
    "Trigger": "起動元",
    "Started": "開始",
    "Seconds": "秒",
    "Read": "読み込み",
    "Written": "書き込み",
    "Deleted": "削除",
    "Requests": "リクエスト",
    "429s": "429 応答",
    "Note": "メモ",
    "incomplete: {reason}": "不完全: {reason}",
    "{n} warnings: values that did not parse, kept in": "警告 {n} 件: 解釈できなかった値の保存先",
    "1 warning: a value that did not parse, kept in": "警告 1 件: 解釈できなかった値の保存先",
    "No runs yet. Press Run now to fill the table.": (
        "まだ実行していません。「今すぐ実行」を押すとテーブルにデータが入ります。"
    ),
    "Preview": "プレビュー",
    "first {n} rows": "先頭 {n} 行",
    # edit and delete
    "{report} from {account}": "{report}（{account}）",
    "Enabled": "有効",
    "(a paused dataset keeps its table but does not run on its schedule)": (
        "（停止中のデータセットはテーブルを残し、スケジュールでは実行しません）"
    ),
    "Moving a dataset makes its next run a full one; the table in the old destination is "
    "left as it is.": (
        "保存先を変えると次回は全件を取り込みます。元の保存先のテーブルはそのまま残ります。"
    ),
    "Update method and retry": "更新方法と再試行",
    "Report options": "レポートのオプション",
    "Save changes": "変更を保存",
    "Delete {name}": "{name} を削除",
    "Delete {name}?": "{name} を削除しますか？",
    "The dataset, its schedule and its run history are removed. This cannot be undone.": (
        "データセット、そのスケジュールと実行履歴を削除します。元に戻せません。"
    ),
    "Also drop the table": "テーブルも削除する",
    "({rows} rows)": "（{rows} 行）",
    "Delete dataset": "データセットを削除",
    "DuckDB file (default)": "DuckDB ファイル（既定）",
    "PostgreSQL {url}, schema {schema}": "PostgreSQL {url}、スキーマ {schema}",
    "Where the table lands.": "テーブルの保存先です。",
    "Add a PostgreSQL destination": "PostgreSQL の保存先を追加",
    "(in a new tab), then come back: it shows here.": (
        "（新しいタブで開きます）。戻るとここに表示されます。"
    ),
    # wizard
    "Step {n} of {total}: {title}": "ステップ {n} / {total}: {title}",
    "Steps": "ステップ",
    "Create dataset": "データセットを作成",
    "Which Backlog space, as whom?": "どの Backlog スペースを、どのユーザーで読みますか？",
    "The dataset reads Backlog with a saved account: the space's address and an API key. "
    "Pick one, or add one now; it is checked against the space before it is saved.": (
        "データセットは保存済みのアカウント（スペースのアドレスと API キー）で Backlog を"
        "読みます。選ぶか、ここで追加してください。保存する前にスペースに問い合わせて確認します。"
    ),
    "Add a new account": "新しいアカウントを追加",
    "New account": "新しいアカウント",
    "Your own label for this space and key; datasets refer to it.": (
        "このスペースとキーに付ける名前です。データセットはこの名前で参照します。"
    ),
    "In Backlog: your icon › Personal settings › API › Submit. The key is stored encrypted "
    "and never shown again.": (
        "Backlog の 自分のアイコン › 個人設定 › API › 登録 で発行します。キーは暗号化して"
        "保存し、二度と表示しません。"
    ),
    "What data?": "どのデータを取り込みますか？",
    "Pick a report; its options appear below it.": (
        "レポートを選ぶと、その下にオプションが表示されます。"
    ),
    "Show the options of this report": "このレポートのオプションを表示",
    "Options of {report}": "{report} のオプション",
    "This report has no options: it reads everything the account can see.": (
        "このレポートにオプションはありません。アカウントから見えるすべてを読み込みます。"
    ),
    "Type project keys instead, separated by commas.": (
        "代わりにプロジェクトキーをカンマ区切りで入力してください。"
    ),
    "e.g. PROJ, SALES": "例: PROJ, SALES",
    "Projects": "プロジェクト",
    "archived": "アーカイブ済み",
    "This account sees no projects.": "このアカウントから見えるプロジェクトはありません。",
    "None ticked: every project the account can see.": (
        "何も選ばなければ、アカウントから見えるすべてのプロジェクトが対象です。"
    ),
    "several values separated by commas": "複数の値をカンマ区切りで",
    "Filters ({n}, all optional)": "絞り込み条件（{n} 件、すべて任意）",
    "When should it refresh?": "いつ更新しますか？",
    "Manual": "手動",
    "only when you press Run now (or the CLI/API runs it)": (
        "「今すぐ実行」を押したとき（または CLI・API から実行したとき）だけ"
    ),
    "Basic": "基本",
    "every N minutes or hours, daily, or weekly": "N 分・N 時間ごと、毎日、または毎週",
    "Every": "間隔",
    "Interval": "間隔",
    "Unit": "単位",
    "seconds": "秒",
    "minutes": "分",
    "hours": "時間",
    "Daily": "毎日",
    "Weekly on": "毎週",
    "at": "時刻",
    "Advanced": "詳細",
    "a cron expression": "cron 式",
    "Cron expression": "cron 式",
    "minute hour day-of-month month day-of-week": "分 時 日 月 曜日",
    "is 09:00 on weekdays.": "は平日の 09:00 です。",
    "Time zone": "タイムゾーン",
    "The space's time zone": "スペースのタイムゾーン",
    "Daily, weekly and cron times are wall-clock times in this zone.": (
        "毎日・毎週・cron の時刻は、このタイムゾーンの時刻です。"
    ),
    "How should each refresh change the table?": "更新のたびにテーブルをどう変えますか？",
    "Only the methods that {report} supports are offered.": (
        "{report} が対応する方法だけを表示しています。"
    ),
    "this report": "このレポート",
    "recommended": "おすすめ",
    "Retries after a failed run": "失敗したときの再試行回数",
    "0 to 10. Bad credentials or a missing project are never retried.": (
        "0〜10。認証情報の誤りやプロジェクトが見つからない場合は再試行しません。"
    ),
    "Wait between retries": "再試行の間隔",
    "e.g. 30s, 5m, 1h": "例: 30s、5m、1h",
    "Name it": "名前を付ける",
    "Dataset name": "データセット名",
    "e.g. Backlog Issues": "例: Backlog Issues",
    'The table is named after it: lower case, other characters become _ ("Backlog Issues" '
    "→ backlog_issues).": (
        "テーブル名はこの名前から作ります。小文字になり、英数字以外は _ になります"
        '（"Backlog Issues" → backlog_issues）。'
    ),
    "What is it for? Who uses it?": "何のためのデータですか？誰が使いますか？",
    "in {tz}": "（{tz}）",
    "no retries": "再試行なし",
    "{n} retries, {interval} apart": "{interval} 間隔で {n} 回再試行",
    # destinations
    "Add destination": "保存先を追加",
    "The connector connects and creates (then drops) a probe table before anything is saved.": (
        "保存する前に接続し、確認用のテーブルを作成（して削除）します。"
    ),
    "Destination name": "保存先の名前",
    "e.g. analytics": "例: analytics",
    "Your own label; datasets refer to it. 'warehouse' is the built-in DuckDB file.": (
        "自由に付けられる名前です。データセットはこの名前で参照します。'warehouse' は"
        "組み込みの DuckDB ファイルです。"
    ),
    "Database URL": "データベース URL",
    "Enter the URL again: it held a password, which is never sent back.": (
        "URL をもう一度入力してください。パスワードを含んでいたため、画面に戻しません。"
    ),
    "postgresql://user@host:port/database; put the password in the field below.": (
        "postgresql://user@host:port/database の形式です。パスワードは下の欄に入力します。"
    ),
    "Password": "パスワード",
    "Stored encrypted; never shown again. Leave empty if the server needs none or the URL "
    "has it.": (
        "暗号化して保存し、二度と表示しません。不要な場合や URL に含まれる場合は空欄にします。"
    ),
    "Created if missing. Lower-case letters, digits and _.": (
        "なければ作成します。小文字の英字、数字と _ が使えます。"
    ),
    "Check and save": "確認して保存",
    "Where dataset tables land: the built-in DuckDB warehouse, or a PostgreSQL database "
    "your BI tools read. A saved password is stored encrypted and never shown.": (
        "データセットのテーブルの保存先です。組み込みの DuckDB ウェアハウス、または BI "
        "ツールが読む PostgreSQL データベースを使えます。パスワードは暗号化して保存し、"
        "表示しません。"
    ),
    "DuckDB file": "DuckDB ファイル",
    "No PostgreSQL destination yet": "PostgreSQL の保存先はまだありません",
    "Datasets land in the built-in DuckDB warehouse. To let BI tools read them from "
    "PostgreSQL, add a database.": (
        "データセットは組み込みの DuckDB ウェアハウスに保存されます。BI ツールから "
        "PostgreSQL で読むには、データベースを追加してください。"
    ),
    "The built-in DuckDB warehouse is the default destination and cannot be removed.": (
        "組み込みの DuckDB ウェアハウスは既定の保存先のため削除できません。"
    ),
    "Back to the destinations": "保存先一覧に戻る",
    "Delete those datasets or move them to another destination first.": (
        "先にそれらのデータセットを削除するか、別の保存先に移してください。"
    ),
    "The saved connection to {url} is deleted. Its tables stay in the database. No dataset "
    "uses it.": (
        "{url} への接続設定を削除します。テーブルはデータベースに残ります。使っている"
        "データセットはありません。"
    ),
    "Remove destination": "保存先を削除",
}
