"""Alembic environment: migrations run on the connection ringway hands over."""

from __future__ import annotations

from alembic import context

from ringway.storage.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
# SQLite changes a table by copying it into a new one and dropping the old: with foreign keys
# on, that drop first deletes the old table's rows, and every row that refers to them (ON
# DELETE CASCADE). So they are turned off before the first statement that writes (the pragma
# is a no-op inside a transaction, and so is turning them on again before the caller commits):
# the connection leaves the pool and closes with its owner.
if connection.dialect.name == "sqlite":
    connection.detach()
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
with context.begin_transaction():
    context.run_migrations()
