"""Scale-out: the rate-window ledger shared by every process, the scheduler's due times and
pending retries in the database, and what a run queued through the task queue carries.

- ``rate_windows``: one row per (host, Backlog user, category): the window the ledger grants
  from (``request_limit``, ``granted``, ``window_reset`` epoch seconds as in
  ``X-RateLimit-Reset``, ``in_flight``: grants not answered yet, ``opening_until``: a grant
  that opens a window is in flight, ``limited_429``: 429s seen).
- ``schedule_states``: per dataset, the last due time acted on (with the schedule and zone it
  was computed for) and the pending retry (``retry_at``, ``retry_attempt``).
- ``runs.queue_job_id``: the procrastinate job that carries the run (NULL: run in-process);
  ``runs.progress``: rows, pages and the latest message while it runs, for every replica.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from backlog_connector.datasets.models import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_windows",
        sa.Column("host", sa.String(300), primary_key=True),
        sa.Column("user_key", sa.String(400), primary_key=True),
        sa.Column("category", sa.String(20), primary_key=True),
        sa.Column("request_limit", sa.Integer(), nullable=True),
        sa.Column("granted", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("in_flight", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("window_reset", sa.BigInteger(), nullable=True),
        sa.Column("opening_until", sa.Float(), nullable=True),
        sa.Column("limited_429", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("updated_at", UTCDateTime(), nullable=True),
    )
    op.create_table(
        "schedule_states",
        sa.Column(
            "dataset_id",
            sa.Integer(),
            sa.ForeignKey("datasets.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("spec", sa.String(200), nullable=True),
        sa.Column("timezone", sa.String(100), nullable=True),
        sa.Column("last_due", UTCDateTime(), nullable=True),
        sa.Column("retry_at", UTCDateTime(), nullable=True),
        sa.Column("retry_attempt", sa.Integer(), nullable=True),
    )
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("queue_job_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("progress", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("progress")
        batch.drop_column("queue_job_id")
    op.drop_table("schedule_states")
    op.drop_table("rate_windows")
