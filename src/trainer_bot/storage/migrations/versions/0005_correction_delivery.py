"""A correction remembers what was delivered, so the same correction delivered twice is stored once.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # Nullable: corrections stored before have no key, and NULLs never collide in a unique index.
    op.add_column("corrections", sa.Column("delivery_key", sa.String(length=64), nullable=True))
    # An index, not a constraint: SQLite adds one without rebuilding the table.
    op.create_index("uq_corrections_delivery_key", "corrections", ["delivery_key"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_corrections_delivery_key", table_name="corrections")
    with op.batch_alter_table("corrections") as batch:
        batch.drop_column("delivery_key")
