"""The Store: one database, its repositories, and transactions shared across them."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from ..db.engine import Location
from ..errors import ReadOnly, StoreError

if TYPE_CHECKING:
    from .containers import CertificateRepo, ContainerRepo, ImageRepo, ProfileRepo, ServerConfigRepo
    from .services import ServiceRepo, UserRepo
    from .telemetry import TelemetryRepo
    from .traffic import TrafficRepo


class Store:
    """An open nodekeeper database. Get one from ``core.open_store()``.

    Repositories (``store.containers``, ``store.profiles``, ...) open their own short
    transactions. ``with store.transaction():`` groups several calls, from any repository,
    into one transaction that commits at the end or rolls back whole on an error.
    """

    containers: ContainerRepo
    profiles: ProfileRepo
    images: ImageRepo
    certificates: CertificateRepo
    config: ServerConfigRepo
    services: ServiceRepo
    users: UserRepo
    traffic: TrafficRepo
    telemetry: TelemetryRepo

    def __init__(self, engine: Engine, location: Location, read_only: bool):
        from .containers import (
            CertificateRepo,
            ContainerRepo,
            ImageRepo,
            ProfileRepo,
            ServerConfigRepo,
        )
        from .services import ServiceRepo, UserRepo
        from .telemetry import TelemetryRepo
        from .traffic import TrafficRepo

        self.engine = engine
        self.location = location
        self.read_only = read_only
        # The connections of the write transaction and of the read open in this thread (or
        # task), if any, so that nested calls join them instead of opening their own.
        self._active: contextvars.ContextVar[Connection | None] = contextvars.ContextVar(
            f"nodekeeper-tx-{id(self)}", default=None
        )
        self._reader: contextvars.ContextVar[Connection | None] = contextvars.ContextVar(
            f"nodekeeper-read-{id(self)}", default=None
        )
        self._write_engine = (
            engine.execution_options(sqlite_begin="BEGIN IMMEDIATE")
            if location.is_sqlite
            else engine
        )
        self.containers = ContainerRepo(self)
        self.profiles = ProfileRepo(self)
        self.images = ImageRepo(self)
        self.certificates = CertificateRepo(self)
        self.config = ServerConfigRepo(self)
        self.services = ServiceRepo(self)
        self.users = UserRepo(self)
        self.traffic = TrafficRepo(self)
        self.telemetry = TelemetryRepo(self)

    def __repr__(self) -> str:
        mode = " read-only" if self.read_only else ""
        return f"<Store {self.location.display}{mode}>"

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction; nested calls join the one already open in this thread."""
        active = self._active.get()
        if active is not None:
            yield active
            return
        if self.read_only:
            raise ReadOnly(
                f"the store {self.location.display} is open read-only; nothing was changed"
            )
        with _database_errors(self), self._write_engine.begin() as conn:
            token = self._active.set(conn)
            try:
                yield conn
            finally:
                self._active.reset(token)

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for reads. Inside a transaction, that transaction's; inside another
        ``reading()``, the same one, so that grouped reads see one state of the database."""
        current = self._active.get() or self._reader.get()
        if current is not None:
            yield current
            return
        with _database_errors(self), self.engine.connect() as conn:
            token = self._reader.set(conn)
            try:
                yield conn
            finally:
                self._reader.reset(token)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextmanager
def _database_errors(store: Store) -> Iterator[None]:
    """Turn driver errors (locked, corrupt, connection lost, a constraint hit by a concurrent
    writer...) into a StoreError naming the database, with the driver's message but not the SQL."""
    try:
        yield
    except DBAPIError as exc:
        if "not a database" in str(exc.orig):
            raise StoreError(f"{store.location.display} is not a SQLite database") from exc
        raise StoreError(f"database {store.location.display}: {exc.orig}") from exc
