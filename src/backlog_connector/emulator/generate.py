"""Deterministic generation of a space from (seed, projects, issues).

Every generated time lies between :data:`DATA_START` and :data:`DATA_END`, fixed dates, so one
seed gives the same bytes whenever it runs. Issue ids grow with ``created``; comment and activity
ids grow with time across the whole space, as in Backlog.
"""

from __future__ import annotations

import calendar
import random
from array import array
from collections.abc import Callable
from typing import Any, TypeVar

from . import words
from .config import EmulatorConfig
from .devgen import generate_dev
from .generate_fields import ITEMS, CustomValues, make_custom_field, sample
from .generate_people import make_keys, make_teams, make_users
from .generate_people import secret_for as secret_for  # the emulator's keys
from .model import (
    Attachment,
    Category,
    CustomField,
    Issue,
    IssueType,
    ListItem,
    Project,
    Status,
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
    make_users(space, rng, config, DATA_END)
    _projects(space, rng, config)
    make_teams(space, rng, DATA_START)
    make_keys(space, config)
    _issues(space, rng, config)
    _timeline(space)
    generate_dev(space, config.seed, DATA_START, DATA_END)
    return space


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
            grandchild_enabled=index % 4 == 1,
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
            cf = make_custom_field(field_id, pid, type_no, type_id, english)
            for pos, item_name in enumerate(ITEMS[type_no]):
                cf.items.append(ListItem(item_id, item_name, pos))
                item_id += 1
            fields.append(cf)
            space.custom_fields[field_id] = cf
            field_id += 1
        space.project_fields[pid] = fields


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
        changing = set(sample(list(range(n_comments)), transitions, below))
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
        elif project.grandchild_enabled and pool.mids and issue_id % 6 == 0:
            parent = pool.mids[-1]  # a grandchild: three-level issues
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
            category_ids=tuple(sample(pool.categories, below(3), below)),
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
            if space.issues[parent].parent_issue_id is None:
                pool.mids.append(issue_id)
    space.derive_custom = CustomValues(config.seed, pools)
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
        #: children of roots (level 2), the parents of grandchildren
        self.mids: list[int] = []

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
                    values.append(tuple(sorted(i.id for i in sample(items, 1 + below(2), below))))
                case 7:
                    picked = tuple(sorted(i.id for i in sample(items, 1 + below(2), below)))
                    other = "その他のメモ" if below(5) == 0 else None
                    # now and then only the "other" text is filled, no box ticked
                    values.append(((), other) if other and below(2) else (picked, other))
                case _:
                    if below(6) == 0:  # the "other" choice of a radio: text, no item
                        values.append((None, "手入力の値"))
                    else:
                        values.append((items[below(len(items))].id, None))
        return tuple(values)


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
