"""Run records: rows of the main table and of the child tables apart, and run ids that are
never used twice.

- ``runs.rows_main`` / ``runs.rows_child``: the rows a run wrote to the main table and to its
  child tables (``rows_written`` stays, their sum). NULL for runs recorded before: the split
  was not kept then.
- SQLite: ``runs`` becomes ``INTEGER PRIMARY KEY AUTOINCREMENT`` (the table is rebuilt, rows
  kept): without it SQLite hands out the highest id again once the newest runs were deleted
  with their dataset. PostgreSQL's ``SERIAL`` sequence already never goes back.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table(
        "runs",
        recreate="always" if sqlite else "auto",
        table_kwargs={"sqlite_autoincrement": True} if sqlite else {},
    ) as batch:
        batch.add_column(sa.Column("rows_main", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("rows_child", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("rows_child")
        batch.drop_column("rows_main")
