"""Datasets: a configuration version (a full run clears ``force_full`` only if the dataset did
not change meanwhile) and the webhook URL sealed like the credentials.

Plain webhook URLs left in ``webhook_url`` are sealed into ``webhook_secret`` when the control
plane opens (the migration has no key).

Revision ID: 0002
Revises: 0001
Create Date: 2026-02-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.add_column(
            sa.Column("config_version", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("webhook_secret", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.drop_column("webhook_secret")
        batch.drop_column("config_version")
