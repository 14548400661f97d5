"""Lists that do not grow with the table: calls are listed by (created_at, uuid) and paged by
keyset, so the account's index carries the uuid (a page after any call is an index seek, and no
page needs a sort); each account keeps its count of applications (the list's ``total_items``),
so that no page counts the rows.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_calls_account_created", "calls")
    op.create_index("ix_calls_account_created", "calls", ["account_id", "created_at", "uuid"])
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(
            sa.Column("application_count", sa.Integer, nullable=False, server_default="0")
        )
    op.execute(
        "UPDATE accounts SET application_count = "
        "(SELECT count(*) FROM applications WHERE applications.account_id = accounts.id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("application_count")
    op.drop_index("ix_calls_account_created", "calls")
    op.create_index("ix_calls_account_created", "calls", ["account_id", "created_at"])
