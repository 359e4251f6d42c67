"""Japanese of what Python code puts on pages: flash messages, form errors, words such as run
statuses and relative times, the friendly network errors (``web.friendly``). A key with
``{placeholders}`` also matches the message formatted from it (``web.i18n``)."""

MESSAGES: dict[str, str] = {
    # run statuses, triggers, update methods
    "queued": "待機中",
    "running": "実行中",
    "succeeded": "成功",
    "failed": "失敗",
    "cancelled": "中止",
    "skipped": "スキップ",
    "manual": "手動",
    "schedule": "スケジュール",
    "retry": "再試行",
    "Replace": "置き換え",
    "Append": "追加",
    "Merge": "マージ",
    "each run rewrites the whole table": "実行のたびにテーブル全体を書き直します",
    "each run adds its rows as a new snapshot (with _run_id and _loaded_at)": (
        "実行のたびに新しいスナップショットとして行を追加します（_run_id と _loaded_at 付き）"
    ),
    "each run updates changed rows and removes deleted ones; only changes are read": (
        "実行のたびに変更された行を更新し、削除された行を消します。変更分だけを読み込みます"
    ),
    # what static/app.js writes
    "Starting…": "開始しています…",
    "rows read": "行を読み込みました",
    # wizard steps, weekdays
    "Credentials": "認証情報",
    "Data selection": "データの選択",
    "Scheduling": "スケジュール",
    "Update method and retry": "更新方法と再試行",
    "Name and destination": "名前と保存先",
    "Mon": "月",
    "Tue": "火",
    "Wed": "水",
    "Thu": "木",
    "Fri": "金",
    "Sat": "土",
    "Sun": "日",
    # relative times and the next run
    "a few seconds ago": "数秒前",
    "in a few seconds": "数秒後",
    "{n} min ago": "{n} 分前",
    "in {n} min": "{n} 分後",
    "{n} h ago": "{n} 時間前",
    "in {n} h": "{n} 時間後",
    "{n} days ago": "{n} 日前",
    "in {n} days": "{n} 日後",
    "paused": "停止中",
    "due now": "まもなく",
    "already reset": "リセット済み",
    "never": "未実行",
    # error pages
    "Please try again": "もう一度お試しください",
    "Not found": "見つかりません",
    "Back": "戻る",
    "Back to the datasets": "データセット一覧に戻る",
    # sign-in
    "Enter the admin password.": "管理者パスワードを入力してください。",
    "That password is not right. Check BACKLOG_CONNECTOR_ADMIN_PASSWORD or the password "
    "serve showed at its first start.": (
        "パスワードが違います。BACKLOG_CONNECTOR_ADMIN_PASSWORD か、serve の初回起動時に"
        "表示されたパスワードを確認してください。"
    ),
    "Too many wrong passwords: wait {seconds} s before trying again.": (
        "パスワードの誤りが続きました。{seconds} 秒待ってからもう一度お試しください。"
    ),
    # accounts
    "Enter the space's address (yourspace.backlog.com), or a base URL below.": (
        "スペースのアドレス（yourspace.backlog.com）か、下のベース URL を入力してください。"
    ),
    "Give either the space address or a base URL, not both.": (
        "スペースのアドレスとベース URL は、どちらか一方だけを入力してください。"
    ),
    "Account {name} verified and saved.": "アカウント {name} を確認して保存しました。",
    "Account {name} removed.": "アカウント {name} を削除しました。",
    "Account {name} works: signed in as {user}.": (
        "アカウント {name} は使えます（{user} としてログイン）。"
    ),
    "Account {name} failed verification: {reason}": (
        "アカウント {name} を確認できませんでした: {reason}"
    ),
    "The API key": "API キー",
    "A name": "名前",
    "The database URL": "データベース URL",
    "Retries": "再試行回数",
    "The wait between retries": "再試行の間隔",
    "The interval": "間隔",
    # form checks (web.forms)
    "{label} is required.": "{label}を入力してください。",
    "Use at most {max} characters (this one has {n}).": (
        "{max} 文字以内にしてください（今は {n} 文字）。"
    ),
    "Remove the control characters (tabs, line breaks) from the name.": (
        "名前から制御文字（タブ、改行）を取り除いてください。"
    ),
    "{label} must be a whole number from {low} to {high}.": (
        "{label}は {low} から {high} までの整数にしてください。"
    ),
    "{label} must be from {low} to {high} (got {number}).": (
        "{label}は {low} から {high} までにしてください（入力値 {number}）。"
    ),
    "{label}: write a number and a unit, e.g. 30s, 5m, 2h or 1d.": (
        "{label}: 数値と単位で入力してください（例: 30s、5m、2h、1d）。"
    ),
    "Write the time as HH:MM on a 24-hour clock, e.g. 09:00 or 18:30.": (
        "時刻は 24 時間制の HH:MM で入力してください（例: 09:00、18:30）。"
    ),
    "Unknown time zone {value}: pick one from the list, e.g. Asia/Tokyo.": (
        "タイムゾーン {value} はありません。一覧から選んでください（例: Asia/Tokyo）。"
    ),
    "A cron expression has five fields: minute hour day-of-month month day-of-week, e.g. "
    "0 9 * * 1-5 (09:00 on weekdays).": (
        "cron 式は 5 つの欄（分 時 日 月 曜日）からなります。例: 0 9 * * 1-5（平日の 09:00）。"
    ),
    "Choose manual, basic or advanced.": "手動・基本・詳細のどれかを選んでください。",
    "Choose seconds, minutes or hours.": "秒・分・時間のどれかを選んでください。",
    "Tick at least one day of the week.": "曜日を 1 つ以上選んでください。",
    "Choose every N minutes/hours, daily or weekly.": (
        "N 分・N 時間ごと、毎日、毎週のどれかを選んでください。"
    ),
    # wizard and datasets
    "Pick a saved account or add a new one.": (
        "保存済みのアカウントを選ぶか、新しく追加してください。"
    ),
    "There is no account named {name} any more; pick another.": (
        "アカウント {name} はもうありません。別のアカウントを選んでください。"
    ),
    "Pick a report.": "レポートを選んでください。",
    "Choose one of: {modes}.": "次のどれかを選んでください: {modes}。",
    "{option} is required: {description}": "{option} は必須です: {description}",
    "A dataset named {name} exists already: pick another name.": (
        "データセット {name} はすでにあります。別の名前にしてください。"
    ),
    "There is no destination named {name} any more; pick another.": (
        "保存先 {name} はもうありません。別の保存先を選んでください。"
    ),
    "Dataset {name} created. Run it now to fill its table.": (
        "データセット {name} を作成しました。今すぐ実行するとテーブルにデータが入ります。"
    ),
    "Saved the changes to {name}.": "{name} の変更を保存しました。",
    "Dataset {name} deleted.": "データセット {name} を削除しました。",
    "Runs start from the service (backlog-connector serve).": (
        "実行はサービス（backlog-connector serve）から開始します。"
    ),
    "Run {id} is {status}: there is nothing to cancel.": (
        "実行 {id} は{status}のため、中止するものはありません。"
    ),
    "Cancelling run {id}: it stops after its current request.": (
        "実行 {id} を中止しています。処理中のリクエストが終わると止まります。"
    ),
    "Could not list the projects ({reason}).": (
        "プロジェクト一覧を取得できませんでした（{reason}）。"
    ),
    "Pick an account to list its projects.": "アカウントを選ぶとプロジェクトの一覧が表示されます。",
    "The table is created by the first run.": "テーブルは最初の実行で作成されます。",
    "No rows yet.": "まだ行はありません。",
    # destinations
    "Destination {name} checked and saved.": "保存先 {name} を確認して保存しました。",
    "Destination {name} removed.": "保存先 {name} を削除しました。",
    "Destination {name} works.": "保存先 {name} は使えます。",
    "Destination {name} failed verification: {reason}": (
        "保存先 {name} を確認できませんでした: {reason}"
    ),
    # friendly network errors (web.friendly)
    "The address {host} was not found. Check the spelling of the space address (for "
    "example yourspace.backlog.com).": (
        "アドレス {host} が見つかりません。スペースのアドレスの綴りを確認してください"
        "（例: yourspace.backlog.com）。"
    ),
    "Could not connect to {host}: nothing answers there. Check the space address, or that "
    "the server is running, then try again.": (
        "{host} に接続できませんでした（応答がありません）。スペースのアドレスと、サーバーが"
        "動いているかを確認して、もう一度お試しください。"
    ),
    "{host} did not answer in time. Try again in a few minutes; if it keeps happening, "
    "check the space address and this machine's network.": (
        "{host} から時間内に応答がありませんでした。数分後にもう一度お試しください。"
        "続く場合はスペースのアドレスとこのマシンのネットワークを確認してください。"
    ),
    "A secure connection to {host} could not be made (a certificate problem). Check the "
    "space address; a server of your own needs a valid certificate.": (
        "{host} と安全に接続できませんでした（証明書の問題）。スペースのアドレスを確認して"
        "ください。自前のサーバーには有効な証明書が必要です。"
    ),
    "The connection to {host} failed. Check this machine's network and try again; a later "
    "run usually succeeds.": (
        "{host} との接続に失敗しました。このマシンのネットワークを確認して、もう一度お試し"
        "ください。多くの場合、次の実行で成功します。"
    ),
    "the Backlog space": "Backlog スペース",
    # the control plane's messages, as the pages say them (web.friendly)
    "No table yet: press Run now to fill it.": (
        "テーブルはまだありません。「今すぐ実行」を押すとデータが入ります。"
    ),
    "There is no dataset named {name}. Pick one from the datasets list, or create it with "
    "New dataset.": (
        "データセット {name} はありません。データセット一覧から選ぶか、「新しいデータセット」"
        "で作成してください。"
    ),
    "There is no account named {name}. Pick one on the accounts page, or add it with Add "
    "account.": (
        "アカウント {name} はありません。アカウントのページから選ぶか、「アカウントを追加」"
        "で追加してください。"
    ),
    "There is no destination named {name}. Pick one on the destinations page, or add it "
    "with Add destination.": (
        "保存先 {name} はありません。保存先のページから選ぶか、「保存先を追加」で追加してください。"
    ),
    "this form's security token is missing or has expired; reload the page and submit the "
    "form again": (
        "このフォームのセキュリティトークンがないか、期限切れです。ページを再読み込みして、"
        "もう一度送信してください。"
    ),
}
