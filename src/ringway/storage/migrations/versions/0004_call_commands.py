"""Commands for calls running in another process.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "call_commands",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("leg", sa.String(36), nullable=False, index=True),
        sa.Column("command", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("call_commands")
