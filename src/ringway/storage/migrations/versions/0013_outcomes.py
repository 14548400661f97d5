"""What became of each call (its outcome in words, and whether it failed), and when a message
fails.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("outcome", sa.String(255)))
        batch.add_column(sa.Column("failed", sa.Boolean, nullable=False, server_default=sa.false()))
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("failed_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("failed_at")
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("failed")
        batch.drop_column("outcome")
