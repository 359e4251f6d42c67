"""Deterministic generation of the development side of a space, and of the activities of every
type besides issues (wiki, files, Subversion/Git, members, pull requests, milestones,
documents), woven into the activity timeline by time.

It draws from its own random stream (seeded from the space's seed), so the issues, comments
and their order stay exactly what :mod:`.generate` makes of the same seed.
"""

from __future__ import annotations

import bisect
import hashlib
import random
from array import array
from typing import Any

from . import words
from .devgen_pulls import pull_requests
from .devmodel import DevSpace, Document, Repository, WikiPage
from .model import SharedFile
from .space import Space
from .timefmt import day_iso, iso

Json = dict[str, Any]
_DAY = 86400
_HOUR = 3600

_REPO_NAMES = ("app", "api", "infra", "docs")
_WIKI_NAMES = ("Home", "開発環境の構築", "リリース手順", "Meeting notes", "用語集", "FAQ")
_DOC_TITLES = ("設計方針", "Onboarding", "議事録 2025-05", "API guide", "運用ルール")
_FILES = (("/", "仕様書.pdf"), ("/design/", "mock.png"), ("/", "見積.xlsx"), ("/notes/", "a.txt"))
_TAGS = ((1, "手順"), (2, "draft"), (3, "重要"))
_PR_STATUS = {1: "Open", 2: "Closed", 3: "Merged"}


def generate_dev(space: Space, seed: int, start: int, end: int) -> None:
    """Fill ``space.dev``, ``space.shared_files`` and weave their activities into the
    timeline (activity ids keep growing with time)."""
    rng = random.Random(f"{seed}:dev")
    dev = DevSpace()
    space.dev = dev
    events: list[tuple[int, int, int, int, Json]] = []  # (time, type, project, user, content)
    ids = {"repo": 1, "pr": 1, "prc": 1, "wiki": 1, "file": 1}

    def when() -> int:
        return start + rng.randrange((end - start) // _HOUR - 24 * 40) * _HOUR

    def member(pid: int) -> int:
        return rng.choice(space.projects[pid].member_ids)

    for pid, project in space.projects.items():
        issues = space.by_project.get(pid, [])
        # shared files
        files: list[SharedFile] = []
        for n, (folder, name) in enumerate(_FILES[: 2 + pid % 3]):
            created = when()
            updated = created + (rng.randrange(1, 30) * _DAY if n % 2 else 0)
            f = SharedFile(
                ids["file"],
                pid,
                folder,
                name,
                1000 + rng.randrange(90000),
                member(pid),
                created,
                member(pid),
                updated,
            )
            ids["file"] += 1
            files.append(f)
            content = {"id": f.id, "dir": f.dir, "name": f.name, "size": f.size}
            events.append((created, 8, pid, f.created_user_id, content))
            if updated != created:
                events.append((updated, 9, pid, f.updated_user_id, content))
        space.shared_files[pid] = files
        gone = {"id": 0, "dir": "/old/", "name": "古い資料.doc", "size": 2048}
        events.append((when(), 10, pid, member(pid), gone))

        # wiki pages
        pages: list[WikiPage] = []
        for n, name in enumerate(_WIKI_NAMES[: 2 + pid % 4]):
            created = when()
            updated = created + rng.randrange(0, 60) * _DAY
            tags = [t for t in _TAGS if (n + t[0]) % 3 == 0]
            page = WikiPage(
                ids["wiki"],
                pid,
                name,
                f"# {name}\n\n{words.SENTENCES[n]}",
                tags,
                member(pid),
                created,
                member(pid),
                updated,
            )
            ids["wiki"] += 1
            pages.append(page)
            content = _wiki_content(page, 1)
            events.append((created, 5, pid, page.created_user_id, content))
            if updated != created:
                events.append((updated, 6, pid, page.updated_user_id, _wiki_content(page, 2)))
        dev.wikis[pid] = pages
        events.append(
            (
                when(),
                7,
                pid,
                member(pid),
                {**_wiki_content(pages[0], 3), "id": 0, "name": "削除されたページ"},
            )
        )

        # Subversion, Git repositories, pushes, pull requests
        events.append((when(), 11, pid, member(pid), {"rev": str(100 + pid), "comment": "init"}))
        repos: list[Repository] = []
        for n, name in enumerate(_REPO_NAMES[: 1 + pid % 2]):
            created = when()
            repo = Repository(
                ids["repo"],
                pid,
                name,
                f"{name} of {project.key}",
                n,
                None,
                member(pid),
                created,
                member(pid),
                created,
            )
            ids["repo"] += 1
            repos.append(repo)
            ref = {"id": repo.id, "name": repo.name, "description": repo.description}
            events.append((created, 13, pid, repo.created_user_id, {"repository": ref}))
            for push in range(2):
                at = created + (push + 1) * 5 * _DAY
                repo.pushed_at = at
                revisions = [
                    {
                        "rev": hashlib.sha256(f"{seed}:{repo.id}:{push}:{r}".encode()).hexdigest()[
                            :40
                        ],
                        "comment": f"commit {r}",
                    }
                    for r in range(1 + push)
                ]
                events.append(
                    (
                        at,
                        12,
                        pid,
                        member(pid),
                        {
                            "repository": ref,
                            "change_type": "update",
                            "revision_type": "commit",
                            "ref": "refs/heads/main",
                            "revision_count": len(revisions),
                            "revisions": revisions,
                        },
                    )
                )
            dev.pull_requests[repo.id] = pull_requests(
                space, rng, repo, issues, ids, events, member, when
            )
        dev.repositories[pid] = repos

        # members, teams, bulk updates, notifications
        joined = space.users[project.member_ids[-1]]
        for type_ in (15, 16):
            events.append(
                (
                    when(),
                    type_,
                    pid,
                    1,
                    {"users": [_user_ref(joined)], "group_project_activities": [], "comment": ""},
                )
            )
        for type_ in (25, 26):
            events.append((when(), type_, pid, 1, {"parties": [{"id": 1, "name": words.TEAMS[0]}]}))
        if len(issues) >= 2:
            picked = issues[:2]
            events.append(
                (
                    max(i.created for i in picked) + _DAY,
                    14,
                    pid,
                    1,
                    {
                        "tx_id": 7000 + pid,
                        "comment": {"content": "一括更新"},
                        "link": [
                            {
                                "id": i.id,
                                "key_id": i.key_id,
                                "title": i.summary,
                                "comment": {"id": 0, "content": ""},
                            }
                            for i in picked
                        ],
                        "changes": [{"field": "priority", "new_value": "2", "type": "standard"}],
                    },
                )
            )
            target = issues[-1]
            events.append(
                (
                    target.created + _HOUR,
                    17,
                    pid,
                    target.created_user_id,
                    {
                        "id": target.id,
                        "key_id": target.key_id,
                        "summary": target.summary,
                        "description": target.description,
                        "comment": None,
                        "changes": [],
                        "attachments": [],
                        "shared_files": [],
                        "external_file_links": [],
                    },
                )
            )
            events.append(
                (
                    target.created + 2 * _HOUR,
                    47,
                    pid,
                    1,
                    {
                        "link": [
                            {"id": i.id, "key_id": i.key_id, "title": i.summary} for i in picked
                        ]
                    },
                )
            )

        # milestones
        versions = [v for v in space.versions.values() if v.project_id == pid]
        for v in versions:
            at = start + (v.start_day * _DAY - start if v.start_day else 0) // 2
            at = max(start, min(at, end - _DAY))
            events.append(
                (
                    at,
                    22,
                    pid,
                    1,
                    {
                        "id": v.id,
                        "name": v.name,
                        "start_date": day_iso(v.start_day) if v.start_day else None,
                        "reference_date": day_iso(v.release_due_day) if v.release_due_day else None,
                        "description": v.description,
                    },
                )
            )
            events.append(
                (
                    at + _DAY,
                    23,
                    pid,
                    1,
                    {
                        "id": v.id,
                        "name": v.name,
                        "changes": [
                            {"field": "description", "new_value": v.description, "old_value": ""}
                        ],
                    },
                )
            )
        events.append(
            (
                when(),
                24,
                pid,
                1,
                {
                    "id": 0,
                    "name": "廃止",
                    "start_date": None,
                    "reference_date": None,
                    "description": "",
                },
            )
        )

        # documents
        docs: list[Document] = []
        for n, title in enumerate(_DOC_TITLES[: 1 + pid % 4]):
            created = when()
            updated = created + rng.randrange(0, 40) * _DAY
            doc_id = hashlib.sha256(f"{seed}:doc:{pid}:{n}".encode()).hexdigest()[:32]
            doc = Document(
                doc_id,
                pid,
                title,
                f"{title}: {words.SENTENCES[n + 1]}",
                1 + n % 2,
                "📘" if n % 2 else None,
                [t for t in _TAGS if t[0] == 1 + n % 3],
                member(pid),
                created,
                member(pid),
                updated,
            )
            docs.append(doc)
            ref = {"id": doc.id, "title": doc.title}
            events.append((created, 36, pid, doc.created_user_id, ref))
            if updated != created:
                for offset, type_ in enumerate((38, 39, 40, 41, 43, 44, 46)):
                    events.append((updated + offset * 60, type_, pid, doc.updated_user_id, ref))
        dev.documents[pid] = docs
        if docs:
            gone_doc = {"id": "0" * 32, "title": "削除済み"}
            events.append((when(), 37, pid, 1, gone_doc))
            events.append((when(), 42, pid, 1, gone_doc))
            events.append((when(), 45, pid, 1, gone_doc))
            events.append(
                (when(), 48, pid, 1, {"documents": [{"id": d.id, "title": d.title} for d in docs]})
            )
    _weave(space, events)


def _wiki_content(page: WikiPage, version: int) -> Json:
    return {
        "id": page.id,
        "name": page.name,
        "content": page.content,
        "diff": "" if version == 1 else "+ 追記",
        "version": version,
        "attachments": [],
        "shared_files": [],
    }


def _user_ref(u: Any) -> Json:
    return {
        "id": u.id,
        "userId": u.user_id,
        "name": u.name,
        "roleType": u.role_type,
        "lang": u.lang,
        "nulabAccount": u.nulab_account,
        "mailAddress": u.mail_address,
        "lastLoginTime": iso(u.last_login) if u.last_login is not None else None,
    }


def _weave(space: Space, events: list[tuple[int, int, int, int, Json]]) -> None:
    """Insert ``events`` into the (time-sorted) activity columns; ids are positions + 1."""
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    old = (space.a_time, space.a_type, space.a_issue, space.a_cpos, space.a_user, space.a_project)
    new = tuple(array(a.typecode) for a in old)
    a_time = old[0]
    taken = 0
    for time_, type_, pid, uid, content in events:
        cut = bisect.bisect_right(a_time, time_)
        for src, dst in zip(old, new, strict=True):
            dst.extend(src[taken:cut])
        taken = cut
        for dst, value in zip(new, (time_, type_, 0, -1, uid, pid), strict=True):
            dst.append(value)
        space.a_content[len(new[0])] = content
    for src, dst in zip(old, new, strict=True):
        dst.extend(src[taken:])
    (space.a_time, space.a_type, space.a_issue, space.a_cpos, space.a_user, space.a_project) = new
