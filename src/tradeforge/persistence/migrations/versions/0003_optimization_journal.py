"""optimization journal: studies and their finished points

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tradeforge.persistence.types import JsonType

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "optimization_studies",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("strategy", sa.String(length=128), nullable=False),
        sa.Column("objective", sa.Text(), nullable=False),
        sa.Column("space", JsonType, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_optimization_studies")),
        sa.UniqueConstraint("name", name=op.f("uq_optimization_studies_name")),
    )
    op.create_table(
        "optimization_points",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("study_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("params", JsonType, nullable=False),
        sa.Column("values", JsonType, nullable=False),
        sa.Column("stats", JsonType, nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["optimization_studies.id"],
            name=op.f("fk_optimization_points_study_id_optimization_studies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_optimization_points")),
        sa.UniqueConstraint("study_id", "key", name=op.f("uq_optimization_points_study_id_key")),
    )


def downgrade() -> None:
    op.drop_table("optimization_points")
    op.drop_table("optimization_studies")
