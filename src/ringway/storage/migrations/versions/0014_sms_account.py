"""The Account and SMS APIs: each account's balance, its SMS webhook defaults and signing
method, and its API secrets (at most two live at once; the first is the account's own).

Revision ID: 0014
Revises: 0013
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TEN_EUROS = 10 * 10**8  # balances count hundred-millionths of a euro


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(
            sa.Column("balance", sa.BigInteger, nullable=False, server_default=str(TEN_EUROS))
        )
        batch.add_column(sa.Column("mo_callback_url", sa.Text))
        batch.add_column(sa.Column("dr_callback_url", sa.Text))
        batch.add_column(sa.Column("sms_signature_method", sa.String(8)))
    secrets = op.create_table(
        "account_secrets",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "account_id",
            sa.String(36),
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("salt", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    accounts = sa.table(
        "accounts",
        sa.column("id", sa.String),
        sa.column("secret_salt", sa.String),
        sa.column("secret_hash", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    rows = op.get_bind().execute(sa.select(accounts)).all()
    if rows:
        op.bulk_insert(
            secrets,
            [{"id": str(uuid.uuid4()), "account_id": row.id, "salt": row.secret_salt,
              "hash": row.secret_hash, "created_at": row.created_at} for row in rows],
        )  # fmt: skip


def downgrade() -> None:
    op.drop_table("account_secrets")
    with op.batch_alter_table("accounts") as batch:
        for name in ("sms_signature_method", "dr_callback_url", "mo_callback_url", "balance"):
            batch.drop_column(name)
