"""Deterministic generation of a space from (seed, projects, issues).

Every generated time lies between :data:`DATA_START` and :data:`DATA_END`, fixed dates, so one
seed gives the same bytes whenever it runs. Issue ids grow with ``created``; comment and activity
ids grow with time across the whole space, as in Backlog.
"""

from __future__ import annotations

import calendar
import hashlib
import random
from array import array
from collections.abc import Callable
from typing import Any, TypeVar

from . import words
from .config import EmulatorConfig
from .devgen import generate_dev
from .model import (
    Attachment,
    Category,
    CustomField,
    Issue,
    IssueType,
    ListItem,
    Project,
    Status,
    Team,
    User,
    Version,
)
from .space import Space, SpaceInfo

DATA_START = calendar.timegm((2025, 1, 1, 0, 0, 0))
DATA_END = calendar.timegm((2026, 6, 30, 0, 0, 0))
_DAY = 86400
T = TypeVar("T")
_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
#: roles that may add issues and comments (administrator, normal user, reporter, guest reporter)
_WRITERS = (1, 2, 3, 5)


def secret_for(seed: int, label: str, length: int = 64) -> str:
    """A deterministic key-like string (API keys and the OAuth client are fixed by the seed)."""
    digest = hashlib.sha512(f"backlog-emulator:{seed}:{label}".encode()).digest()
    return "".join(_ALNUM[b % len(_ALNUM)] for b in digest[:length])


def generate(config: EmulatorConfig) -> Space:
    """Build the whole space."""
    rng = random.Random(config.seed)
    space = Space(
        info=SpaceInfo(
            space_key="emulator",
            name="エミュレーター株式会社 (Emulated Space)",
            owner_id=1,
            lang="ja",
            timezone="Asia/Tokyo",
            report_send_time="08:00:00",
            text_formatting_rule="markdown",
            created=DATA_START - 30 * _DAY,
            updated=DATA_START - 2 * _DAY,
        )
    )
    _users(space, rng, config)
    _projects(space, rng, config)
    _teams(space, rng)
    _keys(space, config)
    _issues(space, rng, config)
    _timeline(space)
    generate_dev(space, config.seed, DATA_START, DATA_END)
    return space


def _users(space: Space, rng: random.Random, config: EmulatorConfig) -> None:
    count = min(200, 10 + 2 * config.projects)
    roles = (2, 2, 3, 4, 5, 6, 2, 1, 2, 3)
    for uid in range(1, count + 1):
        if uid == 1:
            login, name, role, lang = "admin", "管理者", 1, "ja"
        elif uid == 2:
            login, name, role, lang = "member", "Member User", 2, "en"
        else:
            role = roles[(uid - 3) % len(roles)]
            if rng.random() < 0.6:
                fam = rng.randrange(len(words.FAMILY_JA))
                name = f"{words.FAMILY_JA[fam]} {rng.choice(words.GIVEN_JA)}"
                login, lang = f"{words.ROMAJI_FAMILY[fam]}{uid}", "ja"
            else:
                given = rng.choice(words.GIVEN_EN)
                name = f"{given} {rng.choice(words.FAMILY_EN)}"
                login, lang = f"{given.lower()}{uid}", "en"
        nulab = None
        if uid % 3 != 0:
            nulab = {
                "nulabId": secret_for(config.seed, f"nulab{uid}", 50),
                "name": name,
                "uniqueId": login,
            }
        last_login = None if uid == count else DATA_END - rng.randrange(1, 60) * _DAY
        space.users[uid] = User(
            id=uid,
            # older accounts (Nulab-account sign-in) carry no login id
            user_id=None if uid > 2 and uid % 5 == 4 else login,
            name=name,
            role_type=role,
            lang=None if uid % 7 == 6 else lang,
            nulab_account=nulab,
            mail_address=f"{login}@example.com",
            last_login=last_login,
        )


def _projects(space: Space, rng: random.Random, config: EmulatorConfig) -> None:
    space.priorities = list(words.PRIORITIES)
    space.resolutions = list(words.RESOLUTIONS)
    user_ids = list(space.users)
    status_id, type_id, cat_id, ver_id, field_id, item_id = 5, 1, 1, 1, 1, 1
    for index in range(config.projects):
        pid = index + 1
        key, name = words.PROJECTS[index % len(words.PROJECTS)]
        if index >= len(words.PROJECTS):
            key, name = f"{key}{index // len(words.PROJECTS) + 1}", f"{name} {index + 1}"
        english = name.isascii()
        members = [1] + [u for u in user_ids[2:] if rng.random() < 0.6]
        if index % 2 == 0:  # the member joins every other project, so roles are testable
            members.insert(1, 2)
        project = Project(
            id=pid,
            key=key,
            name=name,
            archived=config.projects >= 2 and index == config.projects - 1,
            display_order=index,
            text_formatting_rule="markdown" if index % 3 else "backlog",
            chart_enabled=index % 2 == 0,
            subtasking_enabled=index % 4 != 3,
            use_wiki=True,
            use_dev_attributes=True,
            member_ids=sorted(members),
        )
        space.projects[pid] = project
        space.by_project[pid] = []
        space.next_key_id[pid] = 1
        for order, (type_name, color) in enumerate(
            words.ISSUE_TYPES_EN if english else words.ISSUE_TYPES_JA
        ):
            template = ("件名", "詳細") if order == 0 and not english else (None, None)
            space.issue_types[type_id] = IssueType(
                type_id, pid, type_name, color, order, template[0], template[1]
            )
            type_id += 1
        base = words.STATUSES_EN if english else words.STATUSES_JA
        statuses = {
            sid: Status(sid, pid, base[sid - 1][0], base[sid - 1][1], sid * 1000)
            for sid in (1, 2, 3, 4)
        }
        for extra in range(index % 3):  # 0, 1 or 2 custom statuses
            custom_name, color = words.CUSTOM_STATUSES[(index + extra) % len(words.CUSTOM_STATUSES)]
            statuses[status_id] = Status(
                status_id, pid, custom_name, color, 2000 + 300 * (extra + 1)
            )
            status_id += 1
        space.statuses[pid] = dict(sorted(statuses.items(), key=lambda kv: kv[1].display_order))
        for order, cat_name in enumerate(rng.sample(words.CATEGORIES, 3 + index % 3)):
            space.categories[cat_id] = Category(cat_id, pid, cat_name, order)
            cat_id += 1
        for order, ver_name in enumerate(words.VERSIONS[index % 3 : index % 3 + 4]):
            start = DATA_START + (order * 120 + rng.randrange(30)) * _DAY
            space.versions[ver_id] = Version(
                ver_id,
                pid,
                ver_name,
                "" if order % 2 else f"{ver_name} のリリース",
                None if order == 3 else start // _DAY,
                None if order == 3 else start // _DAY + 90,
                order == 0,
                order,
            )
            ver_id += 1
        fields: list[CustomField] = []
        for type_no in range(1, 9):
            cf = _custom_field(field_id, pid, type_no, type_id, english)
            for pos, item_name in enumerate(_ITEMS[type_no]):
                cf.items.append(ListItem(item_id, item_name, pos))
                item_id += 1
            fields.append(cf)
            space.custom_fields[field_id] = cf
            field_id += 1
        space.project_fields[pid] = fields


_FIELD_NAMES = {
    1: ("顧客名", "Customer"),
    2: ("備考", "Notes"),
    3: ("見積ポイント", "Story points"),
    4: ("リリース予定日", "Target date"),
    5: ("環境", "Environment"),
    6: ("対象OS", "Platforms"),
    7: ("確認項目", "Checks"),
    8: ("重要度", "Severity"),
}
_ITEMS: dict[int, tuple[str, ...]] = {
    1: (),
    2: (),
    3: (),
    4: (),
    5: ("本番", "ステージング", "開発"),
    6: ("Windows", "macOS", "iOS", "Android"),
    7: ("仕様確認", "テスト済み", "Reviewed"),
    8: ("高", "中", "低"),
}


def _custom_field(
    fid: int, pid: int, type_no: int, last_type_id: int, english: bool
) -> CustomField:
    extra: dict[str, Any] = {}
    if type_no == 3:
        extra = {"min": 0.0, "max": 100.0, "initialValue": None, "unit": "pt"}
    elif type_no == 4:
        # the allowed range of a date field, as Backlog sends dates (midnight UTC)
        extra = {
            "min": "2025-01-01T00:00:00Z" if pid % 2 else None,
            "max": "2026-12-31T00:00:00Z" if pid % 2 else None,
            "initialDate": {"id": 1, "shift": None, "date": None},
        }
    elif type_no >= 5:
        extra = {"allowAddItem": type_no in (5, 6)}
        if type_no in (7, 8):
            extra["allowInput"] = True
    # the last field applies to the first issue type only; the others to every type
    applicable = [last_type_id - 4] if type_no == 8 else []
    return CustomField(
        id=fid,
        project_id=pid,
        type_id=type_no,
        name=_FIELD_NAMES[type_no][1 if english else 0],
        description="" if type_no % 2 else "入力してください",
        required=False,
        applicable_issue_types=applicable,
        display_order=type_no - 1,
        extra={**extra, "version": 1 + (fid + type_no) % 3},
    )


def _teams(space: Space, rng: random.Random) -> None:
    user_ids = list(space.users)
    for index, name in enumerate(words.TEAMS):
        members = sorted(rng.sample(user_ids, min(len(user_ids), 2 + index)))
        created = DATA_START + rng.randrange(100) * _DAY
        space.teams.append(Team(index + 1, name, members, 1, created, 1, created + 5 * _DAY))


def _keys(space: Space, config: EmulatorConfig) -> None:
    for uid in space.users:
        space.api_keys[secret_for(config.seed, f"apikey:{uid}")] = uid
    space.api_keys[secret_for(config.seed, "apikey:1:second")] = 1
    space.oauth_client = {
        "client_id": secret_for(config.seed, "oauth:client_id", 32),
        "client_secret": secret_for(config.seed, "oauth:client_secret", 64),
    }


def _issues(space: Space, rng: random.Random, config: EmulatorConfig) -> None:
    n = config.issues
    if n == 0:
        return
    projects = list(space.projects.values())
    weights = [1 if p.archived else 10 + (p.id % 3) * 5 for p in projects]
    pools = {p.id: _ProjectPools(space, p) for p in projects}
    summaries = [f"{s}{p}" for s in words.SUBJECTS for p in words.PROBLEMS]
    descriptions = [""] + [
        "\n".join(rng.sample(words.SENTENCES, rng.randint(1, 3))) for _ in range(120)
    ]
    span = DATA_END - DATA_START - 30 * _DAY
    step = max(1, span // n)
    chosen = rng.choices(projects, weights, k=n)
    c_issue, c_time, c_user = space.c_issue, space.c_time, space.c_user
    c_from, c_to, c_res, c_text = (
        space.c_status_from,
        space.c_status_to,
        space.c_resolution,
        space.c_text,
    )
    n_texts = len(words.COMMENTS)
    attachment_id = 1
    random_ = rng.random

    def below(k: int) -> int:
        # int(random() * k) is ~4x faster than randrange and as deterministic
        return int(random_() * k)

    for index in range(n):
        issue_id = index + 1
        project = chosen[index]
        pool = pools[project.id]
        created = DATA_START + index * span // n + below(step)
        age = (DATA_END - created) / span  # 1 for the oldest issue, 0 for the newest
        # the final status: older issues are more likely done
        roll = random_()
        if roll < 0.15 + 0.6 * age:
            final = 4
        elif roll < 0.25 + 0.6 * age:
            final = 3
        elif roll < 0.55 + 0.3 * age:
            final = pool.middle[below(len(pool.middle))]
        else:
            final = 1
        path = [1]
        if final != 1:
            for sid in pool.status_order[1 : pool.status_order.index(final)]:
                if random_() < 0.5:
                    path.append(sid)
            path.append(final)
        transitions = len(path) - 1
        n_comments = transitions + below(4)
        resolution = None
        if final in (3, 4) and random_() < 0.85:
            resolution = 0 if random_() < 0.7 else (1 + below(4))
        horizon = min(DATA_END, created + (1 + below(119)) * _DAY)
        times = sorted(
            created + 60 + below(max(1, horizon - created - 60)) for _ in range(n_comments)
        )
        changing = set(_sample(list(range(n_comments)), transitions, below))
        pos = len(c_issue)
        step_no = 0
        last_user = 0
        for k in range(n_comments):
            c_issue.append(issue_id)
            c_time.append(times[k])
            last_user = pool.commenters[below(len(pool.commenters))]
            c_user.append(last_user)
            if k in changing:
                c_from.append(path[step_no])
                c_to.append(path[step_no + 1])
                step_no += 1
                last = step_no == transitions
                c_res.append(resolution if last and resolution is not None else -1)
                c_text.append(below(n_texts) if random_() < 0.6 else n_texts - 1)
            else:
                c_from.append(0)
                c_to.append(0)
                c_res.append(-1)
                c_text.append(below(n_texts - 1))
        creator = pool.writers[below(len(pool.writers))]
        start_day = created // _DAY + below(5) if random_() < 0.5 else None
        due_day = created // _DAY + (5 + below(55)) if random_() < 0.65 else None
        parent = None
        if project.subtasking_enabled and pool.roots and random_() < 0.15:
            parent = pool.roots[-1 - below(min(30, len(pool.roots)))]
        attachments: tuple[Attachment, ...] = ()
        if random_() < 0.1:
            attachments = (
                Attachment(
                    attachment_id,
                    words.FILES[below(len(words.FILES))],
                    (1000 + below(1999000)),
                    creator,
                    created,
                ),
            )
            attachment_id += 1
        estimated = (1 + below(32)) / 2 if random_() < 0.5 else None
        issue = Issue(
            id=issue_id,
            project_id=project.id,
            key_id=space.next_key_id[project.id],
            issue_type_id=pool.types[below(len(pool.types))],
            summary=summaries[below(len(summaries))],
            description=descriptions[below(len(descriptions))],
            resolution_id=resolution,
            priority_id=(3, 3, 3, 2, 4)[below(5)],
            status_id=final,
            assignee_id=(pool.members[below(len(pool.members))] if random_() < 0.85 else None),
            category_ids=tuple(_sample(pool.categories, below(3), below)),
            version_ids=(pool.versions[below(len(pool.versions))],) if random_() < 0.3 else (),
            milestone_ids=((pool.versions[below(len(pool.versions))],) if random_() < 0.4 else ()),
            start_day=start_day,
            due_day=due_day,
            estimated_hours=estimated,
            actual_hours=((1 + below(40)) / 2 if final in (3, 4) and estimated else None),
            parent_issue_id=parent,
            created_user_id=creator,
            created=created,
            updated_user_id=last_user if n_comments else creator,
            updated=times[-1] if n_comments else created,
            custom=None,
            attachments=attachments,
            comment_pos=pos,
            comment_n=n_comments,
        )
        space.next_key_id[project.id] += 1
        space.issues[issue_id] = issue
        space.issue_keys[f"{project.key}-{issue.key_id}"] = issue_id
        space.order.append(issue)
        space.by_project[project.id].append(issue)
        if parent is None:
            pool.roots.append(issue_id)
        else:
            space.children.setdefault(parent, []).append(issue_id)
    space.derive_custom = _CustomValues(config.seed, pools)
    space.next_issue_id = n + 1
    space.next_attachment_id = attachment_id


class _ProjectPools:
    """Per-project choices, computed once."""

    def __init__(self, space: Space, project: Project) -> None:
        self.types = [t.id for t in space.issue_types.values() if t.project_id == project.id]
        self.status_order = list(space.statuses[project.id])
        self.middle = [s for s in self.status_order if s not in (1, 3, 4)]
        self.members = project.member_ids
        self.writers = [u for u in project.member_ids if space.users[u].role_type in _WRITERS]
        self.commenters = [u for u in project.member_ids if space.users[u].role_type in (1, 2)]
        self.categories = [c.id for c in space.categories.values() if c.project_id == project.id]
        self.versions = [v.id for v in space.versions.values() if v.project_id == project.id]
        self.fields = space.project_fields[project.id]
        self.roots: list[int] = []

    def custom_values(self, below: Callable[[int], int], created: int) -> tuple[Any, ...]:
        values: list[Any] = []
        for cf in self.fields:
            if below(100) < 35:
                values.append(
                    None if cf.type_id not in (6, 7) else ((), None) if cf.type_id == 7 else ()
                )
                continue
            items = cf.items
            match cf.type_id:
                case 1:
                    values.append(("株式会社ABC", "Acme Corp", "山田商店", "Globex")[below(4)])
                case 2:
                    values.append(words.SENTENCES[below(len(words.SENTENCES))])
                case 3:
                    values.append(float(1 + below(26)) / 2)
                case 4:
                    values.append(created // _DAY + 1 + below(89))
                case 5:
                    values.append(items[below(len(items))].id)
                case 6:
                    values.append(tuple(sorted(i.id for i in _sample(items, 1 + below(2), below))))
                case 7:
                    picked = tuple(sorted(i.id for i in _sample(items, 1 + below(2), below)))
                    other = "その他のメモ" if below(5) == 0 else None
                    # now and then only the "other" text is filled, no box ticked
                    values.append(((), other) if other and below(2) else (picked, other))
                case _:
                    if below(6) == 0:  # the "other" choice of a radio: text, no item
                        values.append((None, "手入力の値"))
                    else:
                        values.append((items[below(len(items))].id, None))
        return tuple(values)


class _CustomValues:
    """Custom-field values of a generated issue, from (seed, issue id) alone: derived on first
    use so that start-up stays fast, and the same whenever they are derived."""

    def __init__(self, seed: int, pools: dict[int, _ProjectPools]) -> None:
        self.seed = seed
        self.pools = pools

    def __call__(self, issue: Issue) -> tuple[Any, ...]:
        random_ = random.Random(f"{self.seed}:custom:{issue.id}").random

        def below(k: int) -> int:
            return int(random_() * k)

        return self.pools[issue.project_id].custom_values(below, issue.created)


def _sample(items: list[T], k: int, below: Callable[[int], int]) -> list[T]:
    """``k`` distinct elements (a partial Fisher-Yates shuffle of a copy)."""
    pool = list(items)
    for n in range(k):
        j = n + below(len(pool) - n)
        pool[n], pool[j] = pool[j], pool[n]
    return pool[:k]


def _timeline(space: Space) -> None:
    """Give comments and activities ids that grow with time across the whole space."""
    issues = space.order
    n_issues = len(issues)
    shift = 24
    keys = array("q", (issue.created << shift | index for index, issue in enumerate(issues)))
    keys.extend(t << shift | (n_issues + pos) for pos, t in enumerate(space.c_time))
    ordered = sorted(keys)
    del keys
    mask = (1 << shift) - 1
    c_id = space.c_id
    c_id.frombytes(bytes(8 * len(space.c_time)))
    a_time, a_type, a_issue, a_cpos, a_user, a_project = (
        space.a_time,
        space.a_type,
        space.a_issue,
        space.a_cpos,
        space.a_user,
        space.a_project,
    )
    comment_id = 1
    for key in ordered:
        index = key & mask
        if index < n_issues:
            issue = issues[index]
            a_time.append(issue.created)
            a_type.append(1)
            a_issue.append(issue.id)
            a_cpos.append(-1)
            a_user.append(issue.created_user_id)
            a_project.append(issue.project_id)
        else:
            pos = index - n_issues
            issue = space.issues[space.c_issue[pos]]
            c_id[pos] = comment_id
            comment_id += 1
            a_time.append(space.c_time[pos])
            a_type.append(2 if space.c_status_to[pos] else 3)
            a_issue.append(issue.id)
            a_cpos.append(pos)
            a_user.append(space.c_user[pos])
            a_project.append(issue.project_id)
    space.next_comment_id = comment_id
