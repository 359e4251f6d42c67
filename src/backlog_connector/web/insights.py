"""The Insights page (``/insights``): cumulative flow, cycle-time histogram, weekly throughput
and open issues per assignee, per account and project, in English or Japanese.

It reads the datasets of the derived reports (``cycle_times``, ``cumulative_flow``,
``throughput``) of the chosen account through the control plane, and offers to create the
missing ones (``POST /insights/create``).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pyarrow as pa
import pyarrow.compute as pc
from fastapi import Request, Response
from fastapi.responses import HTMLResponse

from backlog_connector.backlog.errors import BacklogConnectorError
from backlog_connector.web import i18n
from backlog_connector.web.dataset_forms import wake_scheduler
from backlog_connector.web.forms import FormValues
from backlog_connector.web.insight_charts import (
    FlowSeries,
    HistogramLabels,
    Week,
    assignee_bars,
    cumulative_flow_chart,
    cycle_time_histogram,
    percentile,
    throughput_chart,
)
from backlog_connector.web.rendering import (
    control_plane,
    flash,
    redirect,
    render,
    signed_in_router,
)

if TYPE_CHECKING:
    from backlog_connector.datasets.info import DatasetInfo
    from backlog_connector.datasets.service import ControlPlane

router = signed_in_router()

#: the reports the page reads, in the order it offers to create them
INSIGHT_REPORTS = ("cycle_times", "cumulative_flow", "throughput")
#: how often the datasets the page creates refresh (incremental runs are cheap)
INSIGHT_SCHEDULE = "every 1h"
#: most assignees shown (the rest are summed up under "others")
TOP_ASSIGNEES = 12

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Insights",
        "intro": "How long work takes, where it waits, how much gets done, how much is open.",
        "account": "Account",
        "project": "Project",
        "show": "Show",
        "cfd": "Cumulative flow",
        "cfd_note": "Issues in each status at the end of each day.",
        "cycle": "Cycle time",
        "cycle_note": "Days from the first start to resolution, closed issues.",
        "median": "median",
        "p85": "85th pct.",
        "days": "days",
        "issues": "issues",
        "throughput": "Weekly throughput",
        "throughput_note": "Issues created and resolved per ISO week; open at each week's end.",
        "created": "created",
        "resolved": "resolved",
        "open": "open",
        "assignees": "Open issues per assignee",
        "unassigned": "(unassigned)",
        "others": "others",
        "empty": "No data for this project yet.",
        "missing": "Some insight datasets are missing",
        "missing_body": (
            "The page reads these datasets of the account: {names}. Create them now? The "
            "first run reads every issue's comments (one request per issue); later runs read "
            "only the new activities, refreshing every hour."
        ),
        "create": "Create the missing datasets",
        "no_account": "Add a Backlog account first.",
        "add_account": "Add an account",
        "not_run": "{name} has not finished a run yet.",
        "from": "from dataset",
        "closed_count": "{n} closed issues",
        "summary": "median {median:.1f} days, 85% within {p85:.1f} days",
        "created_flash": "Created {names}; their first runs have started.",
    },
    "ja": {
        "title": "インサイト",
        "intro": "作業にかかる時間、滞留、週ごとの完了数、担当者ごとの未完了を表示します。",
        "account": "アカウント",
        "project": "プロジェクト",
        "show": "表示",
        "cfd": "累積フロー図",
        "cfd_note": "各日の終わりに各ステータスにある課題の数。",
        "cycle": "サイクルタイム",
        "cycle_note": "着手から完了までの日数（完了した課題）。",
        "median": "中央値",
        "p85": "85%",
        "days": "日",
        "issues": "件",
        "throughput": "週ごとのスループット",
        "throughput_note": "ISO 週ごとの追加数と完了数、週末時点の未完了数。",
        "created": "追加",
        "resolved": "完了",
        "open": "未完了",
        "assignees": "担当者ごとの未完了課題",
        "unassigned": "（未割り当て）",
        "others": "その他",
        "empty": "このプロジェクトのデータはまだありません。",
        "missing": "インサイト用のデータセットが足りません",
        "missing_body": (
            "このページはアカウントの次のデータセットを読みます: {names}。今すぐ作成しますか？"
            "初回はすべての課題のコメントを読みます（課題ごとに 1 リクエスト）。その後は新しい"
            "アクティビティだけを読み、1 時間ごとに更新します。"
        ),
        "create": "足りないデータセットを作成",
        "no_account": "まず Backlog のアカウントを追加してください。",
        "add_account": "アカウントを追加",
        "not_run": "{name} はまだ実行が完了していません。",
        "from": "データセット",
        "closed_count": "完了 {n} 件",
        "summary": "中央値 {median:.1f} 日、85% が {p85:.1f} 日以内",
        "created_flash": "{names} を作成し、初回の実行を始めました。",
    },
}


def language(request: Request) -> str:
    """``ja`` or ``en``: the page's language (``web.i18n.language``)."""
    return i18n.language(request)


def _datasets(cp: ControlPlane, account: str) -> dict[str, DatasetInfo]:
    """Per insight report, the account's dataset to read: one with rows, all projects first."""
    found: dict[str, DatasetInfo] = {}
    candidates = [d for d in cp.list_datasets() if d.account == account]
    for d in sorted(candidates, key=lambda d: ("projects" in d.options, d.rows is None, d.name)):
        if d.report in INSIGHT_REPORTS and d.report not in found:
            found[d.report] = d
    return found


def _table(cp: ControlPlane, dataset: DatasetInfo | None) -> pa.Table | None:
    if dataset is None or dataset.rows is None:
        return None
    try:
        return cp.preview(dataset.name, limit=max(dataset.rows, 1))
    except BacklogConnectorError:
        return None


def _of_project(table: pa.Table | None, project_id: int | None) -> list[dict[str, Any]]:
    if table is None or project_id is None:
        return []
    rows: list[dict[str, Any]] = table.filter(
        pc.equal(table.column("project_id"), project_id)
    ).to_pylist()
    return rows


def _projects(tables: list[pa.Table | None]) -> list[tuple[int, str]]:
    """(id, key) of the projects the flow tables hold (cycle_times: keys from issue keys)."""
    keys: dict[int, str] = {}
    for table in tables:
        if table is None:
            continue
        names = table.schema.names
        if "project_key" in names:
            pairs = (
                table.select(["project_id", "project_key"])
                .group_by(["project_id", "project_key"])
                .aggregate([])
                .to_pylist()
            )
            keys.update((p["project_id"], p["project_key"]) for p in pairs if p["project_id"])
        elif "issue_key" in names:
            for row in table.select(["project_id", "issue_key"]).to_pylist():
                key = str(row["issue_key"] or "").rsplit("-", 1)[0]
                keys.setdefault(row["project_id"], key or str(row["project_id"]))
    return sorted(keys.items(), key=lambda kv: kv[1])


def _busiest(table: pa.Table | None) -> int | None:
    """The project with the most issues in ``cycle_times`` (the page's default)."""
    if table is None or table.num_rows == 0:
        return None
    counts = pc.value_counts(table.column("project_id")).to_pylist()
    best: int | None = max(counts, key=lambda c: (c["counts"], -c["values"]))["values"]
    return best


def _flow_chart(rows: list[dict[str, Any]], words: dict[str, str]) -> Any:
    days = sorted({r["day"] for r in rows})
    index = {d: i for i, d in enumerate(days)}
    order: list[int] = []
    names: dict[int, str] = {}
    counts: dict[int, list[int]] = {}
    for r in rows:
        sid = r["status_id"]
        if sid not in counts:
            order.append(sid)
            names[sid] = r["status_name"] or str(sid)
            counts[sid] = [0] * len(days)
        counts[sid][index[r["day"]]] = r["issues"]
    series = [FlowSeries(names[s], counts[s]) for s in order]
    return cumulative_flow_chart(days, series, empty=words["empty"], label=words["cfd"])


def _assignees(rows: list[dict[str, Any]], words: dict[str, str]) -> list[tuple[str, int]]:
    counted: Counter[str] = Counter()
    for r in rows:
        if r["resolved"] is None:
            counted[r["assignee_name"] or words["unassigned"]] += 1
    top = counted.most_common(TOP_ASSIGNEES)
    rest = sum(counted.values()) - sum(n for _name, n in top)
    return top + ([(words["others"], rest)] if rest else [])


@router.get("/insights", response_class=HTMLResponse)
def insights_page(request: Request, account: str = "", project: str = "") -> Response:
    """The charts of one account's project (the first account and the project with the most
    issues unless chosen)."""
    lang = language(request)
    words = WORDS[lang]
    cp = control_plane(request)
    accounts = [a.name for a in cp.list_accounts()]
    context: dict[str, Any] = {
        "nav": "insights", "words": words, "lang": lang, "page_lang": lang,
        "accounts": accounts, "account": None, "charts": None, "missing": [],
    }  # fmt: skip
    if not accounts:
        return render(request, "insights.html", **context)
    chosen = account if account in accounts else accounts[0]
    datasets = _datasets(cp, chosen)
    tables = {r: _table(cp, datasets.get(r)) for r in INSIGHT_REPORTS}
    projects = _projects([tables["cumulative_flow"], tables["throughput"], tables["cycle_times"]])
    by_key = {key: pid for pid, key in projects}
    project_id = by_key.get(project.upper()) if project else None
    if project_id is None and projects:
        project_id = _busiest(tables["cycle_times"]) or projects[0][0]
    context.update(
        account=chosen,
        datasets=datasets,
        missing=[r for r in INSIGHT_REPORTS if r not in datasets],
        not_run=[d.name for d in datasets.values() if d.rows is None],
        projects=projects,
        project_id=project_id,
    )
    cycles = _of_project(tables["cycle_times"], project_id)
    hours = [r["cycle_time_hours"] for r in cycles if r["cycle_time_hours"] is not None]
    weekly = sorted(_of_project(tables["throughput"], project_id), key=lambda r: r["week_start"])
    weeks = [Week(r["week_start"], r["created"], r["resolved"], r["open_at_end"]) for r in weekly]
    histogram = HistogramLabels(
        words["cycle"], words["days"], words["median"], words["p85"], words["issues"],
        words["empty"],
    )  # fmt: skip
    context["charts"] = {
        "cfd": _flow_chart(_of_project(tables["cumulative_flow"], project_id), words),
        "cycle": cycle_time_histogram(hours, histogram),
        "throughput": throughput_chart(
            weeks,
            {k: words[k] for k in ("created", "resolved", "open")} | {"title": words["throughput"]},
            empty=words["empty"],
        ),
        "assignees": assignee_bars(
            _assignees(cycles, words), empty=words["empty"], label=words["assignees"]
        ),
    }
    if hours:
        median, p85 = percentile(hours, 0.5) / 24, percentile(hours, 0.85) / 24
        context["cycle_summary"] = words["summary"].format(median=median, p85=p85)
        context["closed_count"] = words["closed_count"].format(n=len(hours))
    return render(request, "insights.html", **context)


def _free_name(cp: ControlPlane, wanted: str) -> str:
    taken = {d.name for d in cp.list_datasets()}
    name, n = wanted, 2
    while name in taken:
        name, n = f"{wanted}_{n}", n + 1
    return name


@router.post("/insights/create")
async def create_insight_datasets(request: Request) -> Response:
    """Create the account's missing insight datasets (refreshed every hour by the scheduler,
    which runs each at once since it never ran)."""
    values = FormValues.from_form(await request.form())
    cp = control_plane(request)
    account = values.get("account")
    cp.get_account(account)  # an unknown name is a 404 page
    words = WORDS[values.get("lang") if values.get("lang") in WORDS else "en"]
    present = _datasets(cp, account)
    base = re.sub(r"[^a-z0-9]+", "_", account.lower()).strip("_") or "account"
    created: list[str] = []
    for report in INSIGHT_REPORTS:
        if report in present:
            continue
        name = _free_name(cp, f"{base}_{report}")
        cp.create_dataset(
            name, account=account, report=report, schedule=INSIGHT_SCHEDULE,
            description="created by the Insights page",
        )  # fmt: skip
        created.append(name)
    wake_scheduler(request)  # an interval schedule with no run yet is due at once
    if created:
        flash(request, "success", words["created_flash"].format(names=", ".join(created)))
    query = {"account": account}
    if values.get("lang") in WORDS:
        query["lang"] = values.get("lang")
    return redirect("/insights?" + urlencode(query))
