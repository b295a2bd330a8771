"""Members' data: a guild's own retention period, and when the bot was removed from a guild.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column("guild_settings", sa.Column("retention_days", sa.Integer(), nullable=True))
    op.add_column("guild_settings", sa.Column("left_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("guild_settings") as batch:
        batch.drop_column("left_at")
        batch.drop_column("retention_days")
