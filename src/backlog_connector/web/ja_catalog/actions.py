"""Japanese of the OAuth pages, the option pickers and the dataset page's run actions, the
run banner and the history's main / child rows (the English text is the key)."""

ACTION_PAGES: dict[str, str] = {
    # OAuth 2.0 accounts
    "Use OAuth 2.0 instead": "代わりに OAuth 2.0 を使う",
    "Add an OAuth account": "OAuth アカウントを追加",
    "Add an account with OAuth 2.0": "OAuth 2.0 でアカウントを追加",
    "You approve this application on the space's own page; the tokens it grants are stored"
    " encrypted and refreshed as needed.": (
        "このアプリケーションはスペース側のページで承認します。発行されたトークンは暗号化して"
        "保存し、必要に応じて更新します。"
    ),
    "Use an API key instead": "代わりに API キーを使う",
    "Used instead of the space address.": "スペースのアドレスの代わりに使います。",
    "Client ID": "クライアント ID",
    "From the application registered in Backlog (Developer › Applications).": (
        "Backlog に登録したアプリケーション（開発者 › アプリケーション）から取得します。"
    ),
    "Client secret": "クライアントシークレット",
    "Stored encrypted; never shown again.": "暗号化して保存し、二度と表示しません。",
    "Redirect URI": "リダイレクト URI",
    "Register this address as the application's redirect URI in Backlog.": (
        "このアドレスを Backlog のアプリケーションのリダイレクト URI に登録してください。"
    ),
    "Continue to the space to approve": "スペースで承認する",
    "Approve on the space": "スペースで承認",
    "Approve the application on the space": "スペースでアプリケーションを承認",
    "Your browser opens the space's consent page now; after you approve, it comes back here"
    " and the account is saved.": (
        "ブラウザーがスペースの同意ページを開きます。承認するとここに戻り、アカウントが"
        "保存されます。"
    ),
    "Continue to the space": "スペースへ進む",
    # the dataset page's actions and history
    "Ignore the saved cursor: read every row again and rebuild the table": (
        "保存済みのカーソルを使わず、すべての行を読み直してテーブルを作り直します"
    ),
    "Full refresh": "全件更新",
    "Download CSV": "CSV をダウンロード",
    "main table rows": "メインテーブルの行",
    "child table rows": "子テーブルの行",
    "Main rows": "メイン行",
    "Child rows": "子テーブル行",
    "{n} rows written in all": "書き込んだ行は合計 {n} 行",
    # the run banner (also written by static/run_progress.js)
    "rows": "行",
    "issues": "課題",
    "rows/s": "行/秒",
    "ETA {time}": "残り約 {time}",
    "waiting {seconds} s for the {category} rate budget": (
        "{category}のレート制限枠を {seconds} 秒待っています"
    ),
    "waiting {seconds} s for the rate budget": "レート制限枠を {seconds} 秒待っています",
    "read": "読み取り",
    "update": "更新",
    "search": "検索",
    "icon": "アイコン",
    # option pickers
    "Loading the values of the space…": "スペースの値を読み込んでいます…",
    "The chosen projects have none.": "選んだプロジェクトにはありません。",
    "Could not list the values; type them.": "値を一覧できませんでした。入力してください。",
    "names or ids separated by commas": "名前または ID をカンマ区切りで",
    "Search": "検索",
    "Names from the space appear here to tick; you can also type them.": (
        "スペースの名前がここに表示されるので選んでください。入力することもできます。"
    ),
    "Save without checking the names against the space": ("スペースで名前を確認せずに保存する"),
    "when the space cannot be reached now; a run still refuses a name the space lacks": (
        "スペースに今つながらないときに。スペースにない名前は実行時に拒否されます"
    ),
}

ACTION_MESSAGES: dict[str, str] = {
    "An account of that name exists already: pick another.": (
        "その名前のアカウントはすでにあります。別の名前にしてください。"
    ),
    "The download failed: {error}": "ダウンロードに失敗しました: {error}",
    "Runs start from the service (backlog-connector serve).": (
        "実行はサービス（backlog-connector serve）から始まります。"
    ),
    "Full refresh started: every row is read again.": (
        "全件更新を開始しました。すべての行を読み直します。"
    ),
    "Account {name} authorised with OAuth 2.0, verified and saved.": (
        "アカウント {name} を OAuth 2.0 で認可し、確認して保存しました。"
    ),
    "The space did not authorise the application ({reason}). Nothing was saved; try again.": (
        "スペースがアプリケーションを認可しませんでした（{reason}）。何も保存していません。"
        "もう一度お試しください。"
    ),
    "This sign-in answer does not belong to a request of this session (or it is older than 10"
    " minutes): nothing was saved. Start again.": (
        "このログインの応答はこのセッションの要求のものではありません（または 10 分以上前の"
        "ものです）。何も保存していません。最初からやり直してください。"
    ),
}
