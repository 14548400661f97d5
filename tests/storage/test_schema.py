"""An empty database gets the newest schema at once (``Database.migrate``) rather than through
every migration: it must be the very schema the migrations make, on SQLite and PostgreSQL, and
a database at an older revision is still migrated to it."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from ringway.storage.database import Database, upgrade
from ringway.storage.tables import REVISION


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], Database]:
    """A factory of empty databases (closed at the end), each named for what it is made into."""
    made: list[Database] = []

    def make(name: str) -> Database:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / name}.db"
        else:
            url = str(request.getfixturevalue("postgres_schema_url")())
        made.append(Database(url))
        return made[-1]

    yield make  # type: ignore[misc]
    for db in made:
        db.dispose()


def schema(db: Database) -> dict[str, Any]:
    """Everything that makes the schema: each table's columns in order (type, nullability,
    default), keys, indexes and constraints, the revision, and the statements SQLite keeps
    (whitespace and quotes aside) or PostgreSQL's sequences."""
    inspector = sa.inspect(db.engine)
    found: dict[str, Any] = {}
    for table in inspector.get_table_names():
        found[table] = (
            [(c["name"], str(c["type"]), c["nullable"], c["default"])
             for c in inspector.get_columns(table)],
            inspector.get_pk_constraint(table),
            _texts(inspector.get_foreign_keys(table)),
            _texts(inspector.get_indexes(table)),
            _texts(inspector.get_unique_constraints(table)),
            _texts(inspector.get_check_constraints(table)),
        )  # fmt: skip
    with db.engine.connect() as conn:
        found["revision"] = conn.scalar(sa.text("SELECT version_num FROM alembic_version"))
        if db.is_sqlite:
            rows = conn.execute(sa.text("SELECT type, name, sql FROM sqlite_master"))
            found["sqlite_master"] = sorted(
                (kind, name, re.sub(r"\s+", " ", sql or "").replace('"', ""))
                for kind, name, sql in rows
            )
        else:
            found["sequences"] = conn.execute(sa.text(
                "SELECT sequencename, data_type::text, start_value, min_value, max_value, "
                "increment_by, cycle, cache_size FROM pg_sequences "
                "WHERE schemaname = current_schema() ORDER BY sequencename")).all()  # fmt: skip
    return found


def _texts(items: list[Any]) -> list[str]:
    """Reflected constraints as comparable text (an index's WHERE clause as its SQL)."""
    return sorted(json.dumps(item, sort_keys=True, default=str) for item in items)


def test_an_empty_database_gets_the_schema_the_migrations_make(
    empty: Callable[[str], Database],
) -> None:
    created, migrated, older = empty("created"), empty("migrated"), empty("older")
    created.migrate()
    with migrated.engine.begin() as conn:
        upgrade(conn)
    with older.engine.begin() as conn:
        upgrade(conn, "0012")
    older.migrate()
    assert schema(migrated)["revision"] == REVISION
    assert schema(created) == schema(migrated)
    assert schema(older) == schema(migrated)
    created.migrate()  # at the newest revision: nothing to do
    assert schema(created) == schema(migrated)


def test_the_tables_are_those_of_the_newest_migration() -> None:
    """When a migration is added, ``tables.REVISION`` names it (and the test above checks that
    the tables match what it makes)."""
    script = ScriptDirectory(str(resources.files("ringway.storage") / "migrations"))
    assert script.get_current_head() == REVISION
