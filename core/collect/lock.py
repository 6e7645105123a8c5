"""One collector per database: a lock that a second collector cannot take.

SQLite file: an flock on ``<db>.collector.lock`` (released by the kernel if the process dies);
PostgreSQL: a session advisory lock keyed by database and schema; ``:memory:``: nothing to share.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from ..errors import StoreError


@contextmanager
def collector_lock(store) -> Iterator[None]:
    location = store.location
    if location.in_memory:
        yield
        return
    if location.is_sqlite:
        with _file_lock(
            location.path.with_name(location.path.name + ".collector.lock"), location.display
        ):
            yield
        return
    with _advisory_lock(store):
        yield


@contextmanager
def _file_lock(path, display: str) -> Iterator[None]:
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
                f"another collector (pid {holder}) is already running for {display}; "
                "only one may write a database"
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


@contextmanager
def _advisory_lock(store) -> Iterator[None]:
    with store.engine.connect() as conn:
        where = conn.scalar(text("SELECT current_database() || '.' || current_schema()"))
        key = int.from_bytes(
            hashlib.sha256(f"nodekeeper-collector:{where}".encode()).digest()[:8],
            "big",
            signed=True,
        )
        if not conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}):
            raise StoreError(
                f"another collector is already running for {store.location.display} ({where}); "
                "only one may write a database"
            )
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            conn.commit()
