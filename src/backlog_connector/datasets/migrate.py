"""Brings a control-plane database up to the newest schema (Alembic, run in-process).

Alembic is imported only when there is something to do: a database already at the newest
revision (every start but the first after an upgrade) is checked with one query, which keeps
the CLI's start-up and memory lean. The head revision is read from the shipped migration files
(no Alembic), and the CLI's quick listings check it without SQLAlchemy (``datasets.quick``).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).with_name("migrations")
_REVISION = re.compile(r'^revision\s*=\s*"([^"]+)"', re.MULTILINE)
_DOWN = re.compile(r'^down_revision\s*=\s*"([^"]+)"', re.MULTILINE)


def alembic_config() -> Config:
    """An Alembic configuration pointing at the migrations shipped in the package."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@cache
def head_revision() -> str:
    """The newest revision shipped: the one no other migration revises (the chain is linear)."""
    revisions, revised = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        found = _REVISION.search(text)
        if found is None:
            continue
        revisions.add(found.group(1))
        down = _DOWN.search(text)
        if down is not None:
            revised.add(down.group(1))
    heads = sorted(revisions - revised)
    if len(heads) != 1:
        raise RuntimeError(f"the shipped migrations have {len(heads)} heads: {heads}")
    return heads[0]


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: not migrated yet)."""
    import sqlalchemy as sa

    with engine.connect() as connection:
        if not sa.inspect(connection).has_table("alembic_version"):
            return None
        value = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        return str(value) if value is not None else None


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run every migration up to ``revision``; existing accounts and datasets are kept."""
    if revision == "head" and current_revision(engine) == head_revision():
        return
    from alembic import command

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
