"""Users, conversations, members and events of the Conversation API (rtc).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rtc_users",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "application_id",
            sa.String(36),
            sa.ForeignKey("applications.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("display_name", sa.String(255)),
        sa.Column("image_url", sa.Text),
        sa.Column("properties", sa.JSON, nullable=False),
        sa.Column("channels", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("application_id", "name", name="uq_rtc_users_name"),
    )

    op.create_table(
        "rtc_conversations",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "application_id",
            sa.String(36),
            sa.ForeignKey("applications.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("display_name", sa.String(255)),
        sa.Column("image_url", sa.Text),
        sa.Column("properties", sa.JSON, nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("sequence_number", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("application_id", "name", name="uq_rtc_conversations_name"),
    )

    op.create_table(
        "rtc_members",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "conversation_id",
            sa.String(40),
            sa.ForeignKey("rtc_conversations.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("user_id", sa.String(40), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("channel", sa.JSON, nullable=False),
        sa.Column("timestamps", sa.JSON, nullable=False),
        sa.Column("initiator", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Index(
            "uq_rtc_members_active",
            "conversation_id",
            "user_id",
            unique=True,
            sqlite_where=sa.text("state != 'LEFT'"),
            postgresql_where=sa.text("state != 'LEFT'"),
        ),
    )

    op.create_table(
        "rtc_events",
        sa.Column(
            "conversation_id",
            sa.String(40),
            sa.ForeignKey("rtc_conversations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("from_member", sa.String(40)),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("rtc_events")
    op.drop_table("rtc_members")
    op.drop_table("rtc_conversations")
    op.drop_table("rtc_users")
