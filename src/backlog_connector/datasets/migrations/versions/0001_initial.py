"""Accounts, datasets and runs.

Revision ID: 0001
Revises:
Create Date: 2026-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from backlog_connector.datasets.models import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("base_url", sa.String(500), nullable=False),
        sa.Column("space", sa.String(300), nullable=False),
        sa.Column("address_kind", sa.String(10), nullable=False),
        sa.Column("auth_kind", sa.String(10), nullable=False),
        sa.Column("api_key_in_query", sa.Boolean(), nullable=False),
        sa.Column("secret", sa.LargeBinary(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("user_login", sa.String(300), nullable=True),
        sa.Column("user_name", sa.String(300), nullable=True),
        sa.Column("user_role", sa.Integer(), nullable=True),
        sa.Column("space_key", sa.String(300), nullable=True),
        sa.Column("space_name", sa.String(300), nullable=True),
        sa.Column("space_timezone", sa.String(100), nullable=True),
        sa.Column("rate_budget", sa.JSON(), nullable=True),
        sa.Column("verified_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "datasets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("report", sa.String(100), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("update_mode", sa.String(10), nullable=False),
        sa.Column("schedule", sa.String(200), nullable=False),
        sa.Column("timezone", sa.String(100), nullable=True),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column("retry_interval", sa.String(20), nullable=False),
        sa.Column("retry_interval_seconds", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(200), nullable=False, unique=True),
        sa.Column("webhook_url", sa.String(2000), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("force_full", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_datasets_account_id", "datasets", ["account_id"])
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "dataset_id",
            sa.Integer(),
            sa.ForeignKey("datasets.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("trigger", sa.String(10), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("rows_read", sa.BigInteger(), nullable=False),
        sa.Column("rows_written", sa.BigInteger(), nullable=False),
        sa.Column("rows_deleted", sa.BigInteger(), nullable=False),
        sa.Column("table_rows", sa.BigInteger(), nullable=True),
        sa.Column("requests", sa.JSON(), nullable=True),
        sa.Column("rate_limited", sa.Integer(), nullable=False),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column("wait_seconds", sa.Float(), nullable=False),
        sa.Column("last_remaining", sa.JSON(), nullable=True),
        sa.Column("complete", sa.Boolean(), nullable=True),
        sa.Column("incomplete_reason", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("error_action", sa.String(20), nullable=True),
        sa.Column("cursor_before", sa.JSON(), nullable=True),
        sa.Column("cursor_after", sa.JSON(), nullable=True),
    )
    op.create_index("ix_runs_dataset_id_id", "runs", ["dataset_id", "id"])
    op.create_index("ix_runs_dataset_id_status_id", "runs", ["dataset_id", "status", "id"])
    op.create_index("ix_runs_status", "runs", ["status"])


def downgrade() -> None:
    op.drop_table("runs")
    op.drop_table("datasets")
    op.drop_table("accounts")
