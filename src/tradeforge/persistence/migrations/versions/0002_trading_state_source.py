"""trading state: the source and the exact time of each change

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("trading_state_changes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("ts_ns", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("trading_state_changes", schema=None) as batch_op:
        batch_op.drop_column("ts_ns")
        batch_op.drop_column("source")
