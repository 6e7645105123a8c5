"""One collector per node per database: a lock that a second collector of the same node cannot
take, while the collectors of other nodes (other hosts writing into the same PostgreSQL) run.

SQLite file: an flock on ``<db>.collector.<node>.lock`` (released by the kernel if the process
dies); PostgreSQL: a session advisory lock keyed by database, schema and node name, held by a
connection of its own; ``:memory:``: nothing to share.

A PostgreSQL session ends with the server (a restart, a connection killed), and its advisory
lock with it: after an outage the collector takes the lock again (``retake``), and stops if
another collector of its node took it meanwhile.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from ..errors import StoreError


class Held:
    """A collector's lock, while held. A file lock is never lost: nothing to take again."""

    def retake(self) -> None:
        """After the database was away: make sure the lock is still this collector's."""


@contextmanager
def collector_lock(store) -> Iterator[Held]:
    location = store.location
    if location.in_memory:
        yield Held()
        return
    node = store.node
    if location.is_sqlite:
        with _file_lock(lock_path(location.path, node), location.display, node):
            yield Held()
        return
    lock = _AdvisoryLock(store)
    lock.take()
    try:
        yield lock
    finally:
        lock.release()


def lock_path(path, node: str):
    """The lock file of ``node``'s collector beside the SQLite file ``path``. Node names are
    file-name safe (letters, digits, ``-._``); one too long for a file name goes by its hash."""
    tag = node if len(node) <= 64 else hashlib.sha256(node.encode()).hexdigest()[:16]
    return path.with_name(f"{path.name}.collector.{tag}.lock")


@contextmanager
def _file_lock(path, display: str, node: str) -> Iterator[None]:
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise _lock_file_error(path, exc) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise StoreError(
                f"another collector (pid {holder}) is already running for node {node!r} of "
                f"{display}; only one collector per node may write a database"
            ) from None
        try:  # the holder's pid, for the message a second collector prints
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError as exc:  # a full disk: the collector could not write its readings either
            raise _lock_file_error(path, exc) from None
        yield
    finally:
        os.close(fd)  # closing releases the flock


def _lock_file_error(path, exc: OSError) -> StoreError:
    return StoreError(f"cannot write the collector's lock file {path}: {exc.strerror or exc}")


class _AdvisoryLock(Held):
    """The session advisory lock of a node's collector, on a connection of its own."""

    def __init__(self, store) -> None:
        self.store = store
        self.conn: Connection | None = None
        self.key = 0

    def take(self) -> None:
        from ..store.base import _database_errors

        # A database away: a StoreError saying it is unreachable, not the driver's error.
        with _database_errors(self.store):
            conn = self.store.engine.connect()
            try:
                where = conn.scalar(text("SELECT current_database() || '.' || current_schema()"))
                node = self.store.node
                self.key = advisory_key(where, node)
                if not conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}):
                    raise StoreError(
                        f"another collector is already running for node {node!r} of "
                        f"{self.store.location.display} ({where}); only one collector per node "
                        "may write a database (the other nodes' collectors may)"
                    )
                conn.commit()
            except BaseException:
                with contextlib.suppress(SQLAlchemyError):
                    conn.close()
                raise
        self.conn = conn

    def retake(self) -> None:
        """Whether the lock's session survived the outage is asked of the server: if it did,
        the lock is still held; if not, it is taken again (a StoreError if another collector
        of this node took it meanwhile: this one must stop)."""
        if self.conn is not None:
            try:
                self.conn.scalar(text("SELECT 1"))
                self.conn.commit()
                return
            except DBAPIError:  # the session is gone, and the lock with it
                self._drop()
        self.take()

    def release(self) -> None:
        if self.conn is None:
            return
        # The session may be gone with the server: its lock went with it, nothing to undo.
        with contextlib.suppress(SQLAlchemyError):
            self.conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            self.conn.commit()
        self._drop()

    def _drop(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            with contextlib.suppress(SQLAlchemyError):
                conn.invalidate()  # never back to the pool: its session may be dead
                conn.close()


def advisory_key(where: str, node: str) -> int:
    """The advisory lock key of ``node``'s collector in database and schema ``where``: 64 bits
    of a hash (a collision between two nodes would only make one of them wait for the other's
    lock, refused with the message above)."""
    return int.from_bytes(
        hashlib.sha256(f"nodekeeper-collector:{where}:{node}".encode()).digest()[:8],
        "big",
        signed=True,
    )
