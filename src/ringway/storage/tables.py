"""The database schema: the Alembic migrations under ``migrations/`` make it, and an empty
database gets it at once (``Database.migrate``)."""

from __future__ import annotations

import sqlalchemy as sa

REVISION = "0016"  # the newest migration, whose schema these tables are
metadata = sa.MetaData()

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("api_key", sa.String(64), nullable=False, unique=True),
    sa.Column("secret_salt", sa.String(64), nullable=False),
    sa.Column("secret_hash", sa.String(128), nullable=False),
    sa.Column("signature_secret", sa.String(128), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    # In hundred-millionths of a euro (the precision of call prices); 10 EUR to begin with.
    sa.Column("balance", sa.BigInteger, nullable=False, server_default="1000000000"),
    sa.Column("mo_callback_url", sa.Text),  # the SMS API's defaults (``POST /account/settings``)
    sa.Column("dr_callback_url", sa.Text),
    sa.Column("sms_signature_method", sa.String(8)),  # signs SMS webhooks when set
    # How many applications it has, kept with each create and delete (the list's total).
    sa.Column("application_count", sa.Integer, nullable=False, server_default="0"),
)

# The account's API secrets, at most two live at once. ``accounts.secret_salt`` and
# ``secret_hash`` mirror the newest (dashboard sessions are signed with it).
account_secrets = sa.Table(
    "account_secrets",
    metadata,
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

applications = sa.Table(
    "applications",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column(
        "account_id",
        sa.String(36),
        sa.ForeignKey("accounts.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("public_key", sa.Text, nullable=False),
    sa.Column("capabilities", sa.JSON, nullable=False),
    sa.Column("improve_ai", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_applications_account_created", "account_id", "created_at", "id"),
)

numbers = sa.Table(
    "numbers",
    metadata,
    sa.Column("msisdn", sa.String(15), primary_key=True),
    sa.Column("country", sa.String(2), nullable=False),
    sa.Column("type", sa.String(24), nullable=False),
    sa.Column("features", sa.String(32), nullable=False),
    sa.Column("cost", sa.String(16), nullable=False),
    sa.Column(
        "account_id", sa.String(36), sa.ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    ),
    sa.Column(
        "app_id", sa.String(36), sa.ForeignKey("applications.id", ondelete="SET NULL"), index=True
    ),
    sa.Column("mo_http_url", sa.Text),
    sa.Column("voice_callback_type", sa.String(8)),
    sa.Column("voice_callback_value", sa.Text),
    sa.Column("voice_status_callback", sa.Text),
    sa.Index("ix_numbers_available", "country", "account_id"),
)

calls = sa.Table(
    "calls",
    metadata,
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
    sa.Column("owner", sa.String(36)),  # the process running the call
    sa.Column("outcome", sa.String(255)),
    sa.Column("failed", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index("ix_calls_account_created", "account_id", "created_at", "uuid"),
    sa.Index("ix_calls_end_time", "end_time"),  # retention, and the running calls
)

# Server processes that run calls, each with a heartbeat (``seen_at``). ``machine`` names the
# kernel and process namespace it runs in, where its ``pid`` means something.
processes = sa.Table(
    "processes",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("machine", sa.String(80)),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
)

call_entries = sa.Table(
    "call_entries",
    metadata,
    sa.Column("session", sa.String(36), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("leg", sa.String(36), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
)

# A finished call's timeline in one row: its entries as a zlib-compressed JSON array (see
# ``storage/calls``). Entries are rows of ``call_entries`` while the call runs.
call_timelines = sa.Table(
    "call_timelines",
    metadata,
    sa.Column("session", sa.String(36), primary_key=True),
    sa.Column("entries", sa.LargeBinary, nullable=False),
)

phones = sa.Table(
    "phones",
    metadata,
    sa.Column(
        "account_id",
        sa.String(36),
        sa.ForeignKey("accounts.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("address", sa.String(255), primary_key=True),
    sa.Column("behaviour", sa.JSON, nullable=False),
)

call_commands = sa.Table(
    "call_commands",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("leg", sa.String(36), nullable=False, index=True),
    sa.Column("command", sa.JSON, nullable=False),
)

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),  # the order of sending
    sa.Column("uuid", sa.String(36), nullable=False, unique=True),  # the id receivers see
    sa.Column(
        "account_id",
        sa.String(36),
        sa.ForeignKey("accounts.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("application_id", sa.String(36)),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("subject", sa.String(64), nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("method", sa.String(8), nullable=False),
    sa.Column("body", sa.LargeBinary, nullable=False),
    sa.Column("signed", sa.Boolean, nullable=False),
    sa.Column("state", sa.String(12), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("lease_until", sa.DateTime(timezone=True)),
    sa.Column("outcome", sa.String(64)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_deliveries_due", "state", "next_at"),
    sa.Index("ix_deliveries_subject", "subject", "state", "id"),
    sa.Index("ix_deliveries_account", "account_id", "id"),
)

delivery_attempts = sa.Table(
    "delivery_attempts",
    metadata,
    sa.Column(
        "delivery_id",
        sa.Integer,
        sa.ForeignKey("deliveries.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("number", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("outcome", sa.String(64), nullable=False),
    sa.Column("status", sa.Integer),
    sa.Column("latency_ms", sa.Float, nullable=False),
    sa.Column("response_body", sa.Text, nullable=False),
    sa.Column("injected", sa.String(64)),  # the name of the fault injected, if one was
)

recipients = sa.Table(
    "recipients",
    metadata,
    sa.Column(
        "account_id",
        sa.String(36),
        sa.ForeignKey("accounts.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("address", sa.String(255), primary_key=True),
    sa.Column("behaviour", sa.JSON, nullable=False),
)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("uuid", sa.String(36), primary_key=True),
    sa.Column(
        "account_id",
        sa.String(36),
        sa.ForeignKey("accounts.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("application_id", sa.String(36)),
    sa.Column("direction", sa.String(8), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("message_type", sa.String(16), nullable=False),
    sa.Column("from_address", sa.String(255), nullable=False),
    sa.Column("to_address", sa.String(255), nullable=False),
    sa.Column("client_ref", sa.String(100)),
    sa.Column("content", sa.JSON, nullable=False),
    sa.Column("history", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("failed_at", sa.DateTime(timezone=True)),  # when its history reaches a failure
    sa.Index("ix_messages_account_created", "account_id", "created_at"),
    sa.Index("ix_messages_created", "created_at", "uuid"),  # retention
)

rtc_users = sa.Table(
    "rtc_users",
    metadata,
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

rtc_conversations = sa.Table(
    "rtc_conversations",
    metadata,
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

rtc_members = sa.Table(
    "rtc_members",
    metadata,
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
    # A user has at most one member in a conversation that has not left.
    sa.Index(
        "uq_rtc_members_active",
        "conversation_id",
        "user_id",
        unique=True,
        sqlite_where=sa.text("state != 'LEFT'"),  # and on PostgreSQL: see ``postgresql_parts``
    ),
)

rtc_events = sa.Table(
    "rtc_events",
    metadata,
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

dashboard_sessions = sa.Table(
    "dashboard_sessions",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column(
        "account_id",
        sa.String(36),
        sa.ForeignKey("accounts.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
)

faults = sa.Table(
    "faults",
    metadata,
    sa.Column(
        "account_id",
        sa.String(36),
        sa.ForeignKey("accounts.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("spec", sa.JSON, nullable=False),
    sa.Column("remaining", sa.Integer),  # of its ``times``; NULL: no limit
    sa.Column("matched", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)


def postgresql_parts() -> None:
    """Add what only PostgreSQL's tables have, once a PostgreSQL database is opened: naming it
    in the tables themselves would load SQLAlchemy's PostgreSQL dialect in every server, SQLite
    ones too (~25 ms of each start)."""
    active = next(i for i in rtc_members.indexes if i.name == "uq_rtc_members_active")
    active.dialect_kwargs["postgresql_where"] = sa.text("state != 'LEFT'")
