"""``nodekeeper db check``: integrity of the file, foreign keys, and schema against the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from ..models import metadata
from ..settings import stored_config_problems
from .migrate import read_status


def check(store) -> list[str]:
    """Every problem found (empty: the database is healthy). Reads only."""
    problems: list[str] = []
    status = read_status(store.engine)
    if not status.up_to_date:
        problems.append(
            f"schema version {status.current} is behind {status.head}: run nodekeeper db upgrade"
        )
    with store.engine.connect() as conn:
        if store.location.is_sqlite:
            for (row,) in conn.execute(text("PRAGMA integrity_check")):
                if row != "ok":
                    problems.append(f"integrity: {row}")
            for table, rowid, parent, _ in conn.execute(text("PRAGMA foreign_key_check")):
                problems.append(
                    f"foreign key: {table} row {rowid} points at a missing {parent} row"
                )
        if status.up_to_date:
            context = MigrationContext.configure(conn, opts={"include_object": _modelled})
            drift = compare_metadata(context, metadata)
            problems.extend(f"schema differs from the models: {d}" for d in drift)
    if status.up_to_date:  # what the collector logs once and replaces by the default
        problems += stored_config_problems(store.config.all())
    return problems


# The text index of the log events (migration 0008) is the backend's own kind of object: SQLite's
# FTS5 table with its shadow tables, PostgreSQL's trigram index. The models do not describe it.
TEXT_INDEX = ("log_events_text", "ix_log_events_message_trgm")


def _modelled(obj, name, type_, reflected, compare_to) -> bool:
    return not (name or "").startswith(TEXT_INDEX)
