"""Schema versions: Alembic migrations shipped inside core, applied programmatically on open.

Revisions are named by their schema version ("0001", "0002", ...) and are append-only, as LXD's
schema updates are. Each applied version also gets a row in the ``schema`` table (seed 003).
Before an existing SQLite file is upgraded it is copied to ``<file>.bak``; a database whose schema
is newer than this code is refused and left untouched.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, insert, inspect, select

from ..errors import SchemaTooNew, StoreError
from ..models.base import utcnow
from ..models.containers import SchemaVersion

log = logging.getLogger("nodekeeper")

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def _config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def known_versions() -> list[str]:
    """Every revision this code ships, oldest first."""
    return [rev.revision for rev in reversed(list(_script().walk_revisions()))]


def head_version() -> int:
    return int(_script().get_current_head())


@dataclass(frozen=True)
class SchemaStatus:
    current: int | None  # None: an empty database
    head: int
    history: list[tuple[int, datetime]]  # rows of the schema table

    @property
    def pending(self) -> list[int]:
        start = self.current or 0
        return [v for v in map(int, known_versions()) if v > start]

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def _current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def read_status(engine: Engine) -> SchemaStatus:
    """The version of the database and its history, without changing anything."""
    with engine.connect() as conn:
        revision = _current_revision(conn)
        _refuse_newer(conn, revision)
        history: list[tuple[int, datetime]] = []
        if inspect(conn).has_table("schema"):
            rows = conn.execute(
                select(SchemaVersion.version, SchemaVersion.updated_at).order_by(
                    SchemaVersion.version
                )
            )
            history = [(int(v), at) for v, at in rows]
    return SchemaStatus(int(revision) if revision else None, head_version(), history)


def _refuse_newer(conn: Connection, revision: str | None) -> None:
    if revision is None:
        return
    known = known_versions()
    if revision not in known:
        raise SchemaTooNew(
            f"database schema version {revision} is newer than this nodekeeper knows "
            f"(up to {known[-1]}); upgrade nodekeeper. The database was left untouched."
        )


def backup_sqlite(path: Path) -> Path:
    """Copy a SQLite database (WAL content included) to ``<file>.bak``, mode 0600."""
    target = path.with_name(path.name + ".bak")
    fd = os.open(target, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    os.close(fd)
    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    return target


def upgrade(engine: Engine, sqlite_path: Path | None = None) -> list[int]:
    """Bring the database to the newest schema; return the versions applied (maybe none)."""
    with engine.connect() as conn:
        revision = _current_revision(conn)
    with engine.connect() as conn:
        _refuse_newer(conn, revision)
    head = _script().get_current_head()
    if revision == head:
        return []
    if revision is not None and sqlite_path is not None:
        backup = backup_sqlite(sqlite_path)
        log.info(
            "backed up %s to %s before upgrading schema %s -> %s",
            sqlite_path,
            backup,
            revision,
            head,
        )
    try:
        with engine.begin() as conn:
            command.upgrade(_config(conn), "head")
            return _record_versions(conn)
    except Exception as exc:  # the transaction rolled back: the database is as it was
        raise StoreError(
            f"schema upgrade to version {head} failed, nothing was changed: {exc}"
        ) from exc


def _record_versions(conn: Connection) -> list[int]:
    """Add a ``schema`` row for each shipped version the table does not list yet."""
    recorded = set(conn.scalars(select(SchemaVersion.version)))
    applied = [int(v) for v in known_versions() if int(v) not in recorded]
    now = utcnow()
    for version in applied:
        conn.execute(insert(SchemaVersion).values(version=version, updated_at=now))
    return applied
