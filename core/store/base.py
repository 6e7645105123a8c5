"""The Store: one database, its repositories, and transactions shared across them."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import DBAPIError, OperationalError, StatementError

from ..db.engine import Location, limit_page_cache
from ..errors import ReadOnly, StoreError

if TYPE_CHECKING:
    from ..db.prepared import Prepared
    from .certificates import CertificateRepo
    from .containers import ContainerRepo
    from .images import ImageRepo
    from .logs import LogRepo
    from .nodes import NodeRepo
    from .profiles import ProfileRepo
    from .server_config import ServerConfigRepo
    from .services import ServiceRepo, UserRepo
    from .telemetry import TelemetryRepo
    from .threats import ThreatRepo
    from .traces import TraceRepo
    from .traffic import TrafficRepo


class Store:
    """An open nodekeeper database. Get one from ``core.open_store()``.

    Repositories (``store.containers``, ``store.profiles``, ...) open their own short
    transactions. ``with store.transaction():`` groups several calls, from any repository,
    into one transaction that commits at the end or rolls back whole on an error.
    """

    created: bool = False  # open_store made this database (a new file, or an empty one's schema)
    made_file: bool = False  # open_store made the SQLite file itself (it was not there before)

    def __init__(
        self, engine: Engine, location: Location, read_only: bool, node: str | None = None
    ):
        self.engine = engine
        self.location = location
        self.read_only = read_only
        self._node_asked = node  # None: the host's node (on SQLite, the file's one node)
        self._node: tuple[int, str] | None = None  # (nodes.id, name) once known
        self.node_created = False  # settle_node added this node to the database
        # The write transaction and the read open in this thread, if any, so that nested calls
        # join them. Tagged with the thread: asyncio.to_thread and copy_context() carry context
        # variables into other threads, which must not share a connection.
        self._active: contextvars.ContextVar[tuple[int, Connection] | None] = (
            contextvars.ContextVar(f"nodekeeper-tx-{id(self)}", default=None)
        )
        self._reader: contextvars.ContextVar[tuple[int, Connection] | None] = (
            contextvars.ContextVar(f"nodekeeper-read-{id(self)}", default=None)
        )
        # The connection this thread's write transactions use inside ``kept_connection()``.
        self._kept: contextvars.ContextVar[tuple[int, Connection] | None] = contextvars.ContextVar(
            f"nodekeeper-kept-{id(self)}", default=None
        )
        # An in-memory store is one connection shared by every thread: one user at a time.
        self._memory_lock = threading.RLock() if location.in_memory else None
        self._write_engine = (
            engine.execution_options(sqlite_begin="BEGIN IMMEDIATE")
            if location.is_sqlite
            else engine
        )
        self._read_engine = (
            engine
            if location.is_sqlite
            else engine.execution_options(isolation_level="REPEATABLE READ")
        )

    # The repositories, each made (its module and its tables imported) when first used: a
    # command that lists containers never loads the telemetry's.

    @cached_property
    def containers(self) -> ContainerRepo:
        from .containers import ContainerRepo

        return ContainerRepo(self)

    @cached_property
    def profiles(self) -> ProfileRepo:
        from .profiles import ProfileRepo

        return ProfileRepo(self)

    @cached_property
    def images(self) -> ImageRepo:
        from .images import ImageRepo

        return ImageRepo(self)

    @cached_property
    def certificates(self) -> CertificateRepo:
        from .certificates import CertificateRepo

        return CertificateRepo(self)

    @cached_property
    def config(self) -> ServerConfigRepo:
        from .server_config import ServerConfigRepo

        return ServerConfigRepo(self)

    @cached_property
    def services(self) -> ServiceRepo:
        from .services import ServiceRepo

        return ServiceRepo(self)

    @cached_property
    def users(self) -> UserRepo:
        from .services import UserRepo

        return UserRepo(self)

    @cached_property
    def traffic(self) -> TrafficRepo:
        from .traffic import TrafficRepo

        return TrafficRepo(self)

    @cached_property
    def telemetry(self) -> TelemetryRepo:
        from .telemetry import TelemetryRepo

        return TelemetryRepo(self)

    @cached_property
    def logs(self) -> LogRepo:
        from .logs import LogRepo

        return LogRepo(self)

    @cached_property
    def threats(self) -> ThreatRepo:
        from .threats import ThreatRepo

        return ThreatRepo(self)

    @cached_property
    def traces(self) -> TraceRepo:
        from .traces import TraceRepo

        return TraceRepo(self)

    @cached_property
    def nodes(self) -> NodeRepo:
        from .nodes import NodeRepo

        return NodeRepo(self)

    def __repr__(self) -> str:
        mode = " read-only" if self.read_only else ""
        return f"<Store {self.location.display} node {self.node}{mode}>"

    # The node in use. Every repository reads and writes the rows of ``node_id`` only, unless a
    # call asks for the fleet (``all_nodes=True``).

    @property
    def node(self) -> str:
        """The name of the node this store reads and writes."""
        return self.settle_node(add=False)[1]

    @property
    def node_id(self) -> int:
        """``nodes.id`` of the node in use; 0 (no rows) when it is not in the database yet."""
        return self.settle_node(add=False)[0]

    def settle_node(self, *, add: bool) -> tuple[int, str]:
        """Find the node in use (``open_store``'s ``node``, else this host's name; on SQLite, a
        file holding one node keeps using it whatever the host is called now) and, with ``add``,
        add it to the database when it is not there. Called by ``open_store`` before anything
        else uses the store; not inside a transaction (a node added there would go if it rolled
        back)."""
        if self._node is not None:
            return self._node
        from ..models.nodes import Node
        from ..settings import host_node_name

        t = Node.__table__
        with self.reading() as conn:
            name = self._node_asked
            if name is None and self.location.is_sqlite:
                only = conn.execute(select(t.c.id, t.c.name).limit(2)).all()
                if len(only) == 1:
                    self._node = (only[0][0], only[0][1])
                    return self._node
            name = name or host_node_name()
            found = conn.scalar(select(t.c.id).where(t.c.name == name))
        if found is None and add and not self.read_only:
            found = self._add_node(name)
        if found is None:
            # No rows are this node's: reads find nothing. Kept for the store's life, so that
            # one command sees one answer (and asks once).
            self._node = (0, name)
            return self._node
        self._node = (found, name)
        return self._node

    def _add_node(self, name: str) -> int:
        from sqlalchemy import insert

        from ..models.base import utcnow
        from ..models.nodes import Node
        from ..settings import host_node_name

        t = Node.__table__
        try:
            with self.transaction() as conn:
                found = conn.execute(
                    insert(t).values(name=name, hostname=host_node_name(), first_seen=utcnow())
                ).inserted_primary_key[0]
        except StoreError:  # another process added it meanwhile: its row is as good
            with self.reading() as conn:
                found = conn.scalar(select(t.c.id).where(t.c.name == name))
            if found is None:
                raise
        else:
            self.node_created = True
        return int(found)

    def for_node(self, name: str) -> Store:
        """This database seen as node ``name`` (which must exist): the same engine and
        connections, another node's rows. Closing it leaves this store open."""
        from ..errors import NotFound

        view = Store(self.engine, self.location, self.read_only, node=name)
        view._owns_engine = False
        # One database, one set of connections: the view joins this store's transaction or
        # read (a listing of every node reads one state) and, in memory, shares its lock.
        view._active, view._reader, view._kept = self._active, self._reader, self._kept
        view._memory_lock = self._memory_lock
        if view.settle_node(add=False)[0] == 0:
            raise NotFound("node", name)
        return view

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def revision(self, domain: str = "containers") -> int:
        """The change counter of ``domain`` ("containers": LXD's containers, profiles,
        images, certificates and server config). Every change to the domain's tables
        increments it in the same transaction (triggers, so any writer counts): an unchanged
        number means there is nothing new to read."""
        from ..models.containers import Revision

        table = Revision.__table__
        with self.reading() as conn:
            value = conn.execute(
                select(table.c.revision).where(table.c.domain == domain)
            ).scalar_one_or_none()
        if value is None:
            raise StoreError(f"no revision counter for {domain!r}")
        return int(value)

    def _mine(
        self, var: contextvars.ContextVar[tuple[int, Connection] | None]
    ) -> Connection | None:
        held = var.get()
        return held[1] if held is not None and held[0] == threading.get_ident() else None

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction. A nested call joins the one open in this thread inside a
        savepoint, so that each call is all-or-nothing even when its caller catches the error."""
        active = self._mine(self._active)
        if active is not None:
            with _database_errors(self), active.begin_nested():
                yield active
            return
        if self.read_only:
            raise ReadOnly(
                f"the store {self.location.display} is open read-only; nothing was changed"
            )
        if self._mine(self._reader) is not None:
            raise RuntimeError(
                "a write inside store.reading() would not be seen by its reads: "
                "use store.transaction() around both"
            )
        with self._exclusive(), _database_errors(self), self._begin() as conn:
            token = self._active.set((threading.get_ident(), conn))
            try:
                yield conn
            finally:
                self._active.reset(token)

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        kept = self._mine(self._kept)
        if kept is None:
            with self._write_engine.begin() as conn:
                yield conn
        else:
            with kept.begin():
                yield kept

    @contextmanager
    def kept_connection(self, *, page_cache_kib: int | None = None) -> Iterator[None]:
        """Inside the block, this thread's write transactions all use one connection instead
        of taking one from the pool each time: for a writer that runs a small transaction every
        second, such as the collector (taking and returning a pooled connection costs several
        times what a small transaction's SQL costs). Between transactions the connection holds
        no transaction and no lock. An in-memory store, one shared connection, gains nothing.

        ``page_cache_kib`` bounds SQLite's page cache of the kept connection (else SQLite's
        2 MiB): for a long-lived writer whose working set is small, as the collector's is (the
        last pages of a few indexes, an hour of samples a minute), a full cache is memory held
        for nothing. The connection is then discarded at the end, not pooled with that bound."""
        if self._mine(self._kept) is not None or self.read_only or self.location.in_memory:
            yield
            return
        bounded = page_cache_kib is not None and self.location.is_sqlite
        with _database_errors(self):
            conn = self._write_engine.connect()
        token = self._kept.set((threading.get_ident(), conn))
        try:
            if bounded:
                limit_page_cache(conn.connection.dbapi_connection, page_cache_kib)
            yield
        finally:
            self._kept.reset(token)
            if bounded:
                conn.invalidate()  # closes the driver's connection: the pool opens a new one
            conn.close()

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for reads. Inside a transaction, that transaction's; inside another
        ``reading()``, the same one: grouped reads see one state of the database (a snapshot
        on SQLite, REPEATABLE READ on PostgreSQL)."""
        current = self._mine(self._active) or self._mine(self._reader)
        if current is not None:
            yield current
            return
        with self._exclusive(), _database_errors(self), self._read_engine.connect() as conn:
            token = self._reader.set((threading.get_ident(), conn))
            try:
                yield conn
            finally:
                self._reader.reset(token)

    def read_rows(self, query: Prepared, params: dict[str, Any]) -> list[tuple]:
        """The rows of one read statement as the driver gives them (core.db.prepared). Inside
        this thread's transaction or ``reading()``, there (it sees what they see); otherwise on a
        pooled connection of its own, without the BEGIN and ROLLBACK that SQLAlchemy would
        send round it: one statement reads one consistent state by itself. For the hot reads
        of scripts (``using_network``), where that bookkeeping costs as much as the query."""
        current = self._mine(self._active) or self._mine(self._reader)
        if current is not None:
            return query.rows(current, params)
        with self._exclusive(), _database_errors(self):
            pooled = self._read_engine.raw_connection()
            # psycopg would open a transaction for the statement (a BEGIN, a round trip of its
            # own) and the pool end it (ROLLBACK, another): two thirds of a small read's time
            # on PostgreSQL. In autocommit the statement is its own transaction; SQLite's
            # driver connections are in autocommit already (core.db.engine).
            autocommit = not self.location.is_sqlite
            if autocommit:
                pooled.dbapi_connection.autocommit = True
            try:
                return query.driver_rows(pooled, self.engine.dialect, params)
            finally:
                driver = pooled.dbapi_connection  # None once a lost connection is invalidated
                if autocommit and driver is not None and not driver.closed:
                    driver.autocommit = False
                pooled.close()  # back to the pool, which ends the driver's transaction if any

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        if self._memory_lock is None:
            yield
            return
        with self._memory_lock:
            yield

    _owns_engine = True

    def close(self) -> None:
        if self._owns_engine:
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
    except StatementError as exc:
        if not isinstance(exc, DBAPIError):  # a column type refused a value before the driver
            raise StoreError(
                f"database {store.location.display}: refused a value: {exc.orig}"
            ) from exc
        if "not a database" in str(exc.orig):
            raise StoreError(f"{store.location.display} is not a SQLite database") from exc
        reason = str(exc.orig).splitlines()[0] if str(exc.orig) else type(exc.orig).__name__
        if exc.connection_invalidated or _lost_server(store, exc):
            # the server is down, restarting or out of reach: worth saying in those words
            raise StoreError(f"database {store.location.display} is unreachable: {reason}") from exc
        raise StoreError(f"database {store.location.display}: {reason}") from exc


def _lost_server(store: Store, exc: DBAPIError) -> bool:
    """Whether a PostgreSQL error says the server cannot be reached or went away: no
    connection made (no SQLSTATE), a connection exception (class 08) or the server shutting
    down (57P), not a deadlock or a timeout, which are OperationalErrors too."""
    if store.location.is_sqlite or not isinstance(exc, OperationalError):
        return False
    state = getattr(exc.orig, "sqlstate", None)
    return state is None or state.startswith(("08", "57P"))
