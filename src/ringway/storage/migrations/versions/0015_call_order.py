"""Calls are listed by (created_at, uuid) and paged by keyset: the account's index carries the
uuid, so a page after any call is an index seek and no page needs a sort.

Revision ID: 0015
Revises: 0014
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_calls_account_created", "calls")
    op.create_index("ix_calls_account_created", "calls", ["account_id", "created_at", "uuid"])


def downgrade() -> None:
    op.drop_index("ix_calls_account_created", "calls")
    op.create_index("ix_calls_account_created", "calls", ["account_id", "created_at"])
