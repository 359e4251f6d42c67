"""Saved destinations (PostgreSQL) and the destination of each dataset (NULL: the embedded
DuckDB warehouse, so every existing dataset stays where it is).

Revision ID: 0003
Revises: 0002
Create Date: 2026-03-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from backlog_connector.datasets.models import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "destinations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("url_display", sa.String(2000), nullable=False),
        sa.Column("secret", sa.LargeBinary(), nullable=False),
        sa.Column("schema_name", sa.String(63), nullable=False),
        sa.Column("verified_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    with op.batch_alter_table("datasets") as batch:
        batch.add_column(sa.Column("destination_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_datasets_destination_id_destinations", "destinations", ["destination_id"], ["id"]
        )
        batch.create_index("ix_datasets_destination_id", ["destination_id"])


def downgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.drop_index("ix_datasets_destination_id")
        batch.drop_constraint("fk_datasets_destination_id_destinations", type_="foreignkey")
        batch.drop_column("destination_id")
    op.drop_table("destinations")
