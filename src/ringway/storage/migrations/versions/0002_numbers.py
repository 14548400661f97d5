"""Numbers: the inventory, owners and application links.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "numbers",
        sa.Column("msisdn", sa.String(15), primary_key=True),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("type", sa.String(24), nullable=False),
        sa.Column("features", sa.String(32), nullable=False),
        sa.Column("cost", sa.String(16), nullable=False),
        sa.Column(
            "account_id",
            sa.String(36),
            sa.ForeignKey("accounts.id", ondelete="SET NULL"),
            index=True,
        ),
        sa.Column(
            "app_id",
            sa.String(36),
            sa.ForeignKey("applications.id", ondelete="SET NULL"),
            index=True,
        ),
        sa.Column("mo_http_url", sa.Text),
        sa.Column("voice_callback_type", sa.String(8)),
        sa.Column("voice_callback_value", sa.Text),
        sa.Column("voice_status_callback", sa.Text),
    )
    op.create_index("ix_numbers_available", "numbers", ["country", "account_id"])


def downgrade() -> None:
    op.drop_table("numbers")
