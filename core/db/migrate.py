"""Schema versions: Alembic migrations shipped inside core, applied programmatically on open.

Revisions are named by their schema version ("0001", "0002", ...) and are append-only, as LXD's
schema updates are. Each applied version also gets a row in the ``schema`` table (seed 003).
Before an existing SQLite file is upgraded it is copied to ``<file>.bak``; a database whose schema
is newer than this code is refused and left untouched.

Alembic (with Mako and every SQLAlchemy dialect it loads, ~0.25 s and ~11 MB) is imported only
where a status, a check or an upgrade needs it. A normal open asks ``is_current()``: one plain
``SELECT`` of the recorded revision, compared with the newest revision shipped, which is read
from the scripts' file names (``0004_....py``): the scripts stay the one source of truth, and a
test checks that every file name matches the revision Alembic reads inside it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from sqlalchemy import Connection, Engine, event, insert, inspect, select, text
from sqlalchemy.exc import DBAPIError

from ..errors import SchemaTooNew, StoreError
from ..models.base import utcnow
from ..models.containers import SchemaVersion

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

log = logging.getLogger("nodekeeper")

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# PostgreSQL advisory lock key serialising schema upgrades of one database ("nkschema").
MIGRATION_LOCK = int.from_bytes(b"nkschema", "big") & 0x7FFFFFFFFFFFFFFF
# A revision script's file name: its revision (the schema version), then Alembic's slug.
REVISION_FILE = re.compile(r"(\d{4})_\w*\.py")


def _config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _script() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config())


def known_versions() -> list[str]:
    """Every revision this code ships, oldest first."""
    return [rev.revision for rev in reversed(list(_script().walk_revisions()))]


def shipped_revisions() -> list[str]:
    """The revisions shipped, oldest first, from the scripts' file names (no Alembic)."""
    names = (REVISION_FILE.fullmatch(p.name) for p in (MIGRATIONS_DIR / "versions").iterdir())
    return sorted(m.group(1) for m in names if m)


def head_version() -> int:
    return int(shipped_revisions()[-1])


def is_current(engine: Engine) -> bool:
    """Whether the database is at the newest shipped schema, by one plain query (no Alembic).

    False also when it cannot tell (no version table, several heads, an error): the caller
    then takes the full path, ``read_status()``, which reports exactly what is wrong."""
    with engine.connect() as conn:  # an error connecting is the caller's to report
        try:
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).all()
        except DBAPIError:
            return False
    return len(rows) == 1 and rows[0][0] == shipped_revisions()[-1]


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
    from alembic.runtime.migration import MigrationContext

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
    # Into a new file beside the target, renamed over it only once complete: a backup that fails
    # (a full disk) leaves the previous <file>.bak whole. mkstemp makes it mode 0600.
    fd, temporary = tempfile.mkstemp(prefix=f"{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        src = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(temporary)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
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
                    key = NewSchema.key(conn, head)
                    if revision is None and key in _new_schemas:
                        _new_schemas[key].make(conn)
                    else:
                        from alembic import command

                        with NewSchema.recorded(conn) as made:
                            command.upgrade(_config(conn), "head")
                        if revision is None:
                            _new_schemas[key] = made[0]
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


@dataclass(frozen=True)
class NewSchema:
    """What the migrations sent to the database, statement by statement, when they built a new
    one: sent again in the same order to a new database of the same kind, they build the same
    schema with the same rows, without Alembic.

    Why: Alembic takes about 200 ms (SQLite) to 400 ms (PostgreSQL) to build a new database,
    nearly all of it in Python, loading the revision scripts and compiling their DDL; sending the
    statements takes a few milliseconds. A process that makes many new databases (scripts; the
    test suite makes over a thousand) runs the migrations once, for the first. What they send to
    an empty database depends only on the dialect and the server, which are the key."""

    statements: tuple[tuple[str, Any, bool], ...]  # (SQL, parameters, executemany)

    @staticmethod
    def key(conn: Connection, head: str) -> tuple[object, ...]:
        return (conn.dialect.name, conn.dialect.server_version_info, head)

    @classmethod
    @contextlib.contextmanager
    def recorded(cls, conn: Connection) -> Iterator[list[NewSchema]]:
        """While inside, what ``conn`` sends; on leaving, the one NewSchema in the list."""
        sent: list[tuple[str, Any, bool]] = []

        def record(_conn, _cursor, statement, parameters, _context, executemany):
            sent.append((statement, parameters, executemany))

        made: list[NewSchema] = []
        event.listen(conn, "before_cursor_execute", record)
        try:
            yield made
        finally:
            event.remove(conn, "before_cursor_execute", record)
        made.append(cls(tuple(sent)))

    def make(self, conn: Connection) -> None:
        """Send the statements on ``conn``, in its open transaction (an empty database)."""
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            for statement, parameters, many in self.statements:
                if many:
                    cursor.executemany(statement, parameters)
                else:
                    cursor.execute(statement, parameters)
        finally:
            cursor.close()


# The statements the migrations sent to the first new database of each kind in this process.
_new_schemas: dict[tuple[object, ...], NewSchema] = {}


def _record_versions(conn: Connection) -> list[int]:
    """Add a ``schema`` row for each shipped version the table does not list yet."""
    recorded = set(conn.scalars(select(SchemaVersion.version)))
    applied = [int(v) for v in known_versions() if int(v) not in recorded]
    now = utcnow()
    for version in applied:
        conn.execute(insert(SchemaVersion).values(version=version, updated_at=now))
    return applied
