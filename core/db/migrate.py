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
from urllib.parse import quote

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, insert, inspect, select, text

from ..errors import SchemaTooNew, StoreError
from ..models.base import utcnow
from ..models.containers import SchemaVersion

log = logging.getLogger("nodekeeper")

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# PostgreSQL advisory lock key serialising schema upgrades of one database ("nkschema").
MIGRATION_LOCK = int.from_bytes(b"nkschema", "big") & 0x7FFFFFFFFFFFFFFF


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
        tables = inspect(conn).get_table_names()
        if tables:
            raise StoreError(
                f"the database already has tables ({', '.join(sorted(tables)[:5])}) but no "
                "nodekeeper schema version: it is not a nodekeeper database; nothing was changed"
            )
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
    try:
        return _backup(path, target)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(
            f"cannot back up {path} to {target} before upgrading, nothing was changed: {exc}"
        ) from None


def _backup(path: Path, target: Path) -> Path:
    fd = os.open(target, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    os.close(fd)
    src = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)
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
    """Bring the database to the newest schema; return the versions applied (maybe none).

    Safe when several processes open the same database at once: the upgrade runs under the
    write lock (SQLite) or an advisory lock (PostgreSQL), and the version is read again there.
    """
    status = read_status(engine)  # refuses a schema too new, or a database that is not ours
    if status.up_to_date:
        return []
    head = _script().get_current_head()
    if status.current is not None and sqlite_path is not None:
        backup = backup_sqlite(sqlite_path)
        log.info(
            "backed up %s to %s before upgrading schema %s -> %s",
            sqlite_path,
            backup,
            status.current,
            head,
        )
    sqlite = engine.dialect.name == "sqlite"
    try:
        with engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            if sqlite:
                # Alembic rebuilds a SQLite table with DROP TABLE; with foreign keys on, the drop
                # would cascade to every child row. Off while migrating, checked before commit.
                raw.execute("PRAGMA foreign_keys=OFF")
            try:
                with conn.execution_options(sqlite_begin="BEGIN IMMEDIATE").begin():
                    if not sqlite:
                        conn.execute(
                            text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
                        )
                    revision = _current_revision(conn)  # again, under the lock
                    _refuse_newer(conn, revision)
                    if revision == head:
                        return []  # another process upgraded it meanwhile
                    command.upgrade(_config(conn), "head")
                    if sqlite:
                        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                        if broken:
                            raise StoreError(
                                f"schema upgrade to version {head} would leave {len(broken)} rows "
                                f"pointing at missing rows (first in table {broken[0][0]}); nothing was changed"
                            )
                    return _record_versions(conn)
            finally:
                if sqlite:
                    raw.execute("PRAGMA foreign_keys=ON")
    except StoreError:
        raise
    except Exception as exc:  # the transaction rolled back: the database is as it was
        reason = getattr(exc, "orig", None) or exc
        raise StoreError(
            f"schema upgrade to version {head} failed, nothing was changed: {reason}"
        ) from exc


def _record_versions(conn: Connection) -> list[int]:
    """Add a ``schema`` row for each shipped version the table does not list yet."""
    recorded = set(conn.scalars(select(SchemaVersion.version)))
    applied = [int(v) for v in known_versions() if int(v) not in recorded]
    now = utcnow()
    for version in applied:
        conn.execute(insert(SchemaVersion).values(version=version, updated_at=now))
    return applied
