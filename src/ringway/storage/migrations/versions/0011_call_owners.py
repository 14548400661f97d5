"""The server processes running calls, and which one runs each call.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "processes",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("machine", sa.String(80)),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("owner", sa.String(36)))


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("owner")
    op.drop_table("processes")
