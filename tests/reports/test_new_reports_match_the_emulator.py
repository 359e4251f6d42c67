"""The reports of the rest of the API against the emulator's own state and API counts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from backlog_connector.backlog.client import BacklogClient
from backlog_connector.backlog.errors import InvalidOptionError
from backlog_connector.emulator import Emulator
from backlog_connector.emulator.devmodel import PullRequestComment
from backlog_connector.reports.catalog import get_report
from backlog_connector.sinks.duckdb import DuckDBSink

from .conftest import assert_declared_types, client_for, sync, table_rows


def _visible(emulator: Emulator) -> list[int]:
    return sorted(emulator.state.projects)  # the admin sees every project


def test_git_repositories_are_every_repository(
    admin: BacklogClient, emulator: Emulator, warehouse: DuckDBSink
) -> None:
    sync(admin, warehouse, "git_repositories")
    rows = table_rows(warehouse, "git_repositories", "id")
    repos = [r for p in _visible(emulator) for r in emulator.state.dev.repositories[p]]
    assert [r["id"] for r in rows] == sorted(r.id for r in repos)
    for row in rows:
        repo = next(r for r in repos if r.id == row["id"])
        assert (row["project_id"], row["name"], row["display_order"]) == (
            repo.project_id,
            repo.name,
            repo.display_order,
        )
        assert row["project_key"] == emulator.state.projects[repo.project_id].key
    assert_declared_types(warehouse, "git_repositories", "git_repositories")


def test_pull_requests_and_comments_match_the_api_counts(
    admin: BacklogClient, emulator: Emulator, warehouse: DuckDBSink
) -> None:
    result = sync(admin, warehouse, "pull_requests")
    assert result.ctx.complete, result.ctx.incomplete_reason
    dev = emulator.state.dev
    api_total = 0
    for pid in _visible(emulator):
        for repo in dev.repositories[pid]:
            count = admin.get(f"/projects/{pid}/git/repositories/{repo.id}/pullRequests/count")
            api_total += count["count"]
    rows = table_rows(warehouse, "pull_requests", "id")
    assert len(rows) == api_total == sum(len(v) for v in dev.pull_requests.values())
    comments = table_rows(warehouse, "pull_requests__comments", "pull_request_id", "comment_id")
    expected = sorted(
        (c.pull_request_id, c.id)
        for prs in dev.pull_requests.values()
        for p in prs
        for c in p.comments
    )
    assert [(c["pull_request_id"], c["comment_id"]) for c in comments] == expected
    merged = [r for r in rows if r["status_name"] == "Merged"]
    assert merged
    assert all(r["merge_at"] is not None for r in merged)
    assert_declared_types(warehouse, "pull_requests", "pull_requests")


def test_a_merge_run_rereads_only_pull_requests_updated_since(
    make_emulator: Callable[..., Emulator], tmp_path: Path
) -> None:
    emu = make_emulator(issues=60)
    sink = DuckDBSink(tmp_path / "w.duckdb")
    try:
        with client_for(emu) as client:
            first = sync(client, sink, "pull_requests")
            total = first.stats.rows_written["pull_requests"]
            # one pull request gets a new comment (through the state: the emulator has no
            # pull-request write API), a minute after everything else
            prs = [p for repo in emu.state.dev.pull_requests.values() for p in repo]
            latest = max(p.updated for p in prs)
            target = prs[0]
            with emu.state.lock:
                target.comments.append(
                    PullRequestComment(
                        99_999,
                        target.id,
                        "late remark",
                        [],
                        target.created_user_id,
                        latest + 60,
                        latest + 60,
                    )
                )
                target.updated = latest + 60
            second = sync(client, sink, "pull_requests")
        written = second.stats.rows_written
        # the changed one, plus those updated in the last second of their repository's cursor
        assert 1 <= written["pull_requests"] < total
        comments = table_rows(sink, "pull_requests__comments", "comment_id")
        assert any(
            c["comment_id"] == 99_999 and c["pull_request_id"] == target.id for c in comments
        )
        assert len(table_rows(sink, "pull_requests")) == total
        assert len(comments) == sum(len(p.comments) for p in prs)
    finally:
        sink.close()


def test_wikis_use_the_search_category_and_match_the_counts(
    emulator: Emulator, warehouse: DuckDBSink
) -> None:
    with client_for(emulator) as client:
        result = sync(client, warehouse, "wikis")
        requests = client.stats.as_dict()["requests"]
    assert result.ctx.complete
    rows = table_rows(warehouse, "wikis", "id")
    pages = [w for p in _visible(emulator) for w in emulator.state.dev.wikis[p]]
    assert [r["id"] for r in rows] == sorted(w.id for w in pages)
    assert requests["search"] == 2 * len(_visible(emulator))  # a list and a count each
    by_id = {w.id: w for w in pages}
    for row in rows:
        page = by_id[row["id"]]
        assert row["name"] == page.name
        assert row["tag_names"] == (", ".join(n for _i, n in page.tags) or None)


def test_documents_are_every_document_of_the_chosen_projects(
    admin: BacklogClient, emulator: Emulator, warehouse: DuckDBSink
) -> None:
    sync(admin, warehouse, "documents")
    rows = table_rows(warehouse, "documents", "id")
    docs = {d.id: d for p in _visible(emulator) for d in emulator.state.dev.documents[p]}
    assert sorted(r["id"] for r in rows) == sorted(docs)
    for row in rows:
        assert (row["title"], row["project_id"], row["status_id"]) == (
            docs[row["id"]].title,
            docs[row["id"]].project_id,
            docs[row["id"]].status_id,
        )
    one = emulator.state.projects[1].key
    sync(admin, warehouse, "documents", table="one", options={"projects": one})
    assert {r["project_id"] for r in table_rows(warehouse, "one")} == {1}


def test_project_members_are_each_projects_users(
    admin: BacklogClient, emulator: Emulator, warehouse: DuckDBSink
) -> None:
    keys = ",".join(emulator.state.projects[p].key for p in (1, 2))
    sync(admin, warehouse, "project_members", options={"projects": keys})
    rows = table_rows(warehouse, "project_members", "project_id", "id")
    expected = [(p, u) for p in (1, 2) for u in sorted(emulator.state.projects[p].member_ids)]
    assert [(r["project_id"], r["id"]) for r in rows] == expected
    for row in rows:
        user = emulator.state.users[row["id"]]
        assert (row["user_id"], row["name"]) == (user.user_id, user.name)


def test_issues_without_a_due_date(
    admin: BacklogClient, emulator: Emulator, warehouse: DuckDBSink
) -> None:
    sync(admin, warehouse, "issues", options={"has_due_date": "false"})
    rows = table_rows(warehouse, "issues", "id")
    assert [r["id"] for r in rows] == sorted(
        i.id for i in emulator.state.issues.values() if i.due_day is None
    )
    with pytest.raises(InvalidOptionError, match="only false"):
        get_report("issues").validate_options({"has_due_date": "true"})


def test_recent_updates_carry_every_activity_type_with_its_subject(
    admin: BacklogClient, emulator: Emulator, warehouse: DuckDBSink
) -> None:
    sync(admin, warehouse, "recent_updates")
    rows = table_rows(warehouse, "recent_updates", "id")
    assert len(rows) == len(emulator.state.a_time)
    types = {r["type_id"] for r in rows}
    assert set(range(1, 27)) - {4} <= types  # nothing is deleted in a fresh space
    assert set(range(36, 49)) <= types
    assert all(r["type_name"] is not None and r["subject"] is not None for r in rows)
    for row in rows:
        if row["subject"] == "pull_request":
            assert row["comment_id"] is None
            assert row["pull_request_id"] is not None
            assert row["repository_name"] is not None
        if row["type_id"] == 20:
            assert row["pull_request_comment_id"] is not None
    changes = table_rows(warehouse, "recent_updates__changes", "activity_id", "position")
    assert {c["subject"] for c in changes if c["field"] == "status"} == {"issue"}
    pr_changes = table_rows(warehouse, "recent_updates__pull_request_changes", "activity_id")
    assert pr_changes
    assert {c["new_value"] for c in pr_changes if c["field"] == "status"} <= {"2", "3"}
    pr_ids = {r["id"]: r["pull_request_id"] for r in rows if r["subject"] == "pull_request"}
    assert all(c["pull_request_id"] == pr_ids[c["activity_id"]] for c in pr_changes)


def test_grandchild_issues_by_the_parent_child_option(
    admin: BacklogClient, emulator: Emulator, warehouse: DuckDBSink
) -> None:
    state = emulator.state
    grandchildren = sorted(
        i.id
        for i in state.issues.values()
        if i.parent_issue_id and state.issues[i.parent_issue_id].parent_issue_id
    )
    assert grandchildren
    sync(admin, warehouse, "issues", options={"parent_child": "grandchild"})
    assert [r["id"] for r in table_rows(warehouse, "issues", "id")] == grandchildren
