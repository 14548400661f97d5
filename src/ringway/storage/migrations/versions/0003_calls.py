"""Calls, their timelines, and virtual phones.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calls",
        sa.Column("uuid", sa.String(36), primary_key=True),
        sa.Column("session", sa.String(36), nullable=False, index=True),
        sa.Column(
            "account_id",
            sa.String(36),
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("application_id", sa.String(36)),
        sa.Column("conversation_uuid", sa.String(40), nullable=False, index=True),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("from_address", sa.String(255), nullable=False),
        sa.Column("to_address", sa.String(255), nullable=False),
        sa.Column("endpoint_type", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("rate", sa.String(16), nullable=False),
        sa.Column("price", sa.String(16)),
        sa.Column("duration", sa.Integer),
        sa.Column("start_time", sa.DateTime(timezone=True)),
        sa.Column("end_time", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_calls_account_created", "calls", ["account_id", "created_at"])
    op.create_table(
        "call_entries",
        sa.Column("session", sa.String(36), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("leg", sa.String(36), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_table(
        "phones",
        sa.Column(
            "account_id",
            sa.String(36),
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("address", sa.String(255), primary_key=True),
        sa.Column("behaviour", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("phones")
    op.drop_table("call_entries")
    op.drop_table("calls")
