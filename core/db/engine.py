"""Engines for the store: where the database is, SQLite pragmas and file modes, clear errors.

A location is ``:memory:``, a filesystem path, or an SQLAlchemy URL. Everything that differs
between SQLite and PostgreSQL at connection level lives here.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from ..errors import StoreError
from ..log_words import holds_words
from .prepared import on_driver

log = logging.getLogger("nodekeeper")

# What a location may be, for the message that refuses anything else.
SUPPORTED_LOCATIONS = (
    "a file path, :memory:, sqlite:///PATH or postgresql://USER@HOST/DB (postgresql+psycopg)"
)
# The drivers of each backend (backend+driver://...); none named is the default one.
DRIVERS = {
    "sqlite": ("pysqlite", ""),  # Python's sqlite3
    "postgresql": ("psycopg", "psycopg2", ""),  # psycopg 3, what the extra installs, for each
}
POSTGRESQL_EXTRA = "pip install 'nodekeeper[postgresql]'"

SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 5000


@dataclass(frozen=True)
class Location:
    """Where a store lives, as resolved from what the user gave."""

    url: URL
    path: Path | None  # the SQLite file; None for :memory: and server databases
    display: str  # what to show the user (never a password)

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def in_memory(self) -> bool:
        return self.is_sqlite and self.path is None


def parse_location(location: str) -> Location:
    """Turn ``:memory:``, a path or a URL into a Location; a bad URL is a StoreError."""
    if location == ":memory:":
        return Location(make_url("sqlite://"), None, ":memory:")
    if "://" not in location:
        path = Path(location).expanduser().absolute()
        return Location(URL.create("sqlite", database=str(path)), path, str(path))
    try:
        url = make_url(location)
    except (ArgumentError, ValueError) as exc:
        raise StoreError(f"cannot parse database URL {location!r}: {exc}") from None
    backend, _, driver = url.drivername.partition("+")  # (get_driver_name() loads the dialect)
    if driver not in DRIVERS.get(backend, ()):
        raise StoreError(
            f"unsupported database URL scheme {url.drivername!r}: a location is "
            f"{SUPPORTED_LOCATIONS}"
        )
    if backend == "sqlite":
        if url.database == ":memory:":
            return Location(make_url("sqlite://"), None, ":memory:")
        if not url.database:
            raise StoreError(
                f"database URL {location!r} names no file (use :memory: for an in-memory store)"
            )
        path = Path(url.database).expanduser().absolute()
        return Location(url.set(database=str(path)), path, str(path))
    url = url.set(drivername="postgresql+psycopg")
    return Location(url, None, url.render_as_string(hide_password=True))


def prepare_sqlite_file(path: Path, read_only: bool, create: bool) -> tuple[bool, bool, bool]:
    """Check (and when ``create`` is allowed and it is writable, create) the SQLite file.

    Returns (read_only, immutable, made): read-only when asked, or when the file or its directory
    cannot be written (SQLite creates -wal and -shm files beside the database); immutable when
    not even the -shm file can be made, as on a read-only filesystem, so SQLite reads without
    locking. A new file and its directory get modes 0600 and 0700; SQLite gives the -wal and
    -shm files the mode of the database file.
    """
    try:
        is_dir, exists = path.is_dir(), path.exists()
    except OSError as exc:
        raise StoreError(f"cannot reach database file {path}: {exc.strerror or exc}") from None
    if is_dir:
        raise StoreError(f"{path} is a directory, not a database file")
    if exists:
        try:
            with open(path, "rb") as handle:
                header = handle.read(len(SQLITE_MAGIC))
        except OSError as exc:
            raise StoreError(f"cannot read database file {path}: {exc.strerror}") from None
        if header and header != SQLITE_MAGIC:
            raise StoreError(f"{path} is not a SQLite database (unrecognised file header)")
        mode = path.stat().st_mode
        file_writable = os.access(path, os.W_OK) and bool(
            mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
        )
        dir_writable = os.access(path.parent, os.W_OK)
        shm = path.with_name(path.name + "-shm")
        immutable = not dir_writable and not shm.exists()
        if not read_only and not (file_writable and dir_writable):
            what = (
                "is read-only"
                if not file_writable
                else f"is in a read-only directory ({path.parent})"
            )
            log.warning("%s %s: opening it read-only, changes are refused", path, what)
            return True, immutable, False
        return read_only, immutable and read_only, False
    if not create:
        # A command that only reads must not leave an empty database behind a mistyped path.
        raise StoreError(
            f"database file {path} does not exist (nothing to read; opening it to write creates it)"
        )
    if read_only:
        raise StoreError(f"database file {path} does not exist (cannot create it read-only)")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create database file {path}: {exc.strerror or exc}") from None
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
    except FileExistsError:
        return False, False, False  # another process created it meanwhile
    except OSError as exc:
        raise StoreError(f"cannot create database file {path}: {exc.strerror}") from None
    return False, False, True


def _install_sqlite_events(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin, so that DDL is
        # transactional and SAVEPOINTs work (the SQLAlchemy pysqlite recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # Text search of the log events the full-text index has not taken in yet (store.logs).
        dbapi_connection.create_function("nk_words", 2, holds_words, deterministic=True)

    @event.listens_for(engine, "begin")
    def on_begin(conn):
        # Writers take the write lock up front: a deferred transaction that later upgrades can fail
        # with SQLITE_BUSY without waiting for the busy timeout.
        # On the driver's connection: this runs for every transaction, and exec_driver_sql would
        # cost it three times as much.
        begin = conn.get_execution_options().get("sqlite_begin", "BEGIN")
        on_driver(conn, begin, (), lambda: conn.connection.dbapi_connection.execute(begin))


def limit_page_cache(dbapi_connection, kib: int) -> None:
    """Bound SQLite's page cache of one connection to ``kib`` KiB (SQLite's default is 2 MiB
    per connection, filled by whatever the connection once read and kept for its life)."""
    dbapi_connection.execute(f"PRAGMA cache_size=-{int(kib)}")  # negative: KiB, not pages


def enable_wal(engine: Engine) -> None:
    """WAL mode (persistent in the file): readers and the writer stop blocking each other.
    Set only once the file is known to be a nodekeeper database.

    Changing the journal mode needs the file to itself, and SQLite answers "database is locked"
    at once, without the busy timeout, while another connection reads it: several processes
    opening a new database together (each one's open reads it) would fail. Until the busy
    timeout has passed, it is asked again, unless another process has set WAL meanwhile."""
    import sqlite3
    import time

    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        while True:
            try:
                if raw.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    raw.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if (
                    exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY
                    or time.monotonic() > deadline
                ):
                    raise
                time.sleep(0.01)


def driver_message(exc: BaseException) -> str:
    """A driver's message on one line, as the CLI prints errors: libpq adds its hints on lines
    of their own (``Connection refused`` then ``\tIs the server running on that host...``)."""
    lines = [line.strip() for line in str(exc).splitlines()]
    return "; ".join(line for line in lines if line) or type(exc).__name__


def create_store_engine(loc: Location, read_only: bool, create: bool) -> tuple[Engine, bool, bool]:
    """An engine for the location; returns it, whether the store is read-only, and whether the
    SQLite file was made here (so that a failure to set it up can remove it again).

    ``create``: a SQLite file that does not exist may be created (else it is a StoreError)."""
    if loc.in_memory:
        engine = create_engine(
            "sqlite://",
            poolclass=StaticPool,
            connect_args={"check_same_thread": False},
        )
        _install_sqlite_events(engine)
        return engine, read_only, False
    if loc.is_sqlite:
        assert loc.path is not None
        read_only, immutable, made = prepare_sqlite_file(loc.path, read_only, create)
        if read_only:
            query = {"mode": "ro", "uri": "true"} | ({"immutable": "1"} if immutable else {})
            url = URL.create("sqlite", database=f"file:{quote(str(loc.path))}", query=query)
        else:
            url = loc.url
        engine = create_engine(url, connect_args={"check_same_thread": False})
        _install_sqlite_events(engine)
        return engine, read_only, made
    try:
        engine = create_engine(loc.url, pool_pre_ping=True)
    except ImportError as exc:
        raise StoreError(
            f"cannot use database {loc.display}: the PostgreSQL driver is not installed "
            f"({exc}); install nodekeeper's postgresql extra: {POSTGRESQL_EXTRA}"
        ) from None
    except ArgumentError as exc:
        raise StoreError(f"cannot use database {loc.display}: {exc}") from None
    from ..models import metadata
    from ..models.containers import with_postgresql_where

    with_postgresql_where(metadata)
    if read_only and engine.dialect.name == "postgresql":

        @event.listens_for(engine, "connect")
        def server_side_read_only(dbapi_connection, _record):
            # core refuses writes first; the server refuses anything that slips past.
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SET default_transaction_read_only = on")
            dbapi_connection.commit()

    return engine, read_only, False


def remove_sqlite_files(path: Path) -> None:
    """Remove a SQLite database file with its journal, WAL and shared-memory files: a database
    made for an operation that then failed, so that the failure leaves nothing behind."""
    for leftover in (
        path,
        *(path.with_name(path.name + end) for end in ("-journal", "-wal", "-shm")),
    ):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
