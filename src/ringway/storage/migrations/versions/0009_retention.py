"""Indexes retention prunes by: calls by when they ended, messages by when they were made.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_calls_end_time", "calls", ["end_time"])
    op.create_index("ix_messages_created", "messages", ["created_at", "uuid"])


def downgrade() -> None:
    op.drop_index("ix_messages_created", "messages")
    op.drop_index("ix_calls_end_time", "calls")
