"""The fleet's nodes: who they are, whether their collectors are alive, what each holds.

A node is added by the first writable store opened as it (``open_store(node=...)``, the CLI's
``--node``, the host's name); its collector's heartbeat keeps ``last_heartbeat`` and the machine's
facts. ``remove`` deletes a node with every row it owns (the foreign keys cascade).
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, delete, func, literal_column, select, type_coerce, update
from sqlalchemy.types import NullType

from ..db.prepared import Prepared
from ..errors import NotFound, ValidationError
from ..models.base import utcnow
from ..models.nodes import Node
from ..text import elapsed
from .base import _database_errors
from .repo import Repo

if TYPE_CHECKING:
    from .base import Store

NODES = Node.__table__
# The node's heartbeat and the machine's facts: written by each collector cycle in its own
# transaction (core.store.telemetry), and by ``NodeRepo.heartbeat`` in one of its own.
BEAT_NODE = Prepared(
    update(NODES)
    .where(NODES.c.id == bindparam("b_id"))
    .values(
        last_heartbeat=bindparam("b_last_heartbeat"),
        heartbeat_interval=bindparam("b_heartbeat_interval"),
        hostname=bindparam("b_hostname"),
        version=bindparam("b_version"),
        boot_time=bindparam("b_boot_time"),
        cpu_count=bindparam("b_cpu_count"),
        memory_total=bindparam("b_memory_total"),
    ),
    [
        "b_id", "b_last_heartbeat", "b_heartbeat_interval", "b_hostname", "b_version",
        "b_boot_time", "b_cpu_count", "b_memory_total",
    ],
)  # fmt: skip
# A node is up while its collector's last heartbeat is within this many of its intervals.
UP_WITHIN_INTERVALS = 3
STATUS_LIMIT_EXCEEDED = 2  # services.status of a service over a traffic limit (core.store.traffic)


@dataclass(frozen=True)
class NodeInfo:
    name: str
    hostname: str
    first_seen: datetime
    last_heartbeat: datetime | None
    heartbeat_interval: float | None
    version: str | None
    boot_time: int | None
    cpu_count: int | None
    memory_total: int | None
    cpu_percent: float | None  # the node's last system sample
    memory_percent: float | None
    sampled_at: int | None  # that sample's time, Unix seconds
    containers: int
    services: int
    over_limit: int  # services over a traffic limit

    def up(self, now: datetime | None = None) -> bool:
        """Whether the node's collector beat within the last three of its intervals."""
        if self.last_heartbeat is None or not self.heartbeat_interval:
            return False
        window = timedelta(seconds=UP_WITHIN_INTERVALS * self.heartbeat_interval)
        return (now or utcnow()) - self.last_heartbeat <= window

    def status(self, now: datetime | None = None) -> str:
        """``up``, else how long since the node was last seen (``down 3m 10s``), or
        ``never collected`` for a node whose collector never ran."""
        if self.last_heartbeat is None:
            return "never collected"
        if self.up(now):
            return "up"
        return f"down {elapsed(((now or utcnow()) - self.last_heartbeat).total_seconds())}"


# How ``Removed.described`` names the rows of each table; a table not named here is named as it is.
SPOKEN = {
    "system_metrics": "system samples", "network_metrics": "network samples",
    "trafficmonitor": "traffic chains", "traffic_history": "finished traffic periods",
    "users": "claim set bindings", "config": "server config keys",
    "images_aliases": "image aliases", "hourly_aggregates": "hourly rollups",
    "daily_aggregates": "daily rollups", "log_events": "log events",
    "ip_reputation": "IP reputations", "event_traces": "event traces",
    "trace_patterns": "trace patterns", "audit_logs": "audit entries",
    "smb_shares": "SMB shares", "nfs_exports": "NFS exports", "iscsi_targets": "iSCSI targets",
    "snapshot_policies": "snapshot policies",
}  # fmt: skip
# Kept beside others' rows, not the node's own state: not named in ``described``.
DERIVED = frozenset({"containers_networks", "metadata", "log_files"})


@dataclass(frozen=True)
class Removed:
    """What ``remove`` deleted (or, with ``dry_run``, would delete): rows per table."""

    node: str
    rows: dict[str, int]

    def described(self) -> str:
        """``12 containers, 6 services, 72 system samples``; ``nothing else`` for none."""
        spoken = [
            f"{count:,} {SPOKEN.get(table, table)}"
            for table, count in self.rows.items()
            if table not in DERIVED
        ]
        return ", ".join(spoken) or "nothing else"


class NodeRepo(Repo):
    kind = "node"

    def names(self) -> list[str]:
        with self._store.reading() as conn:
            return list(conn.scalars(select(NODES.c.name).order_by(NODES.c.name)))

    def views(self) -> list[tuple[str, Store]]:
        """Each node by name, with the store seen as it (``Store.for_node``): what a listing of
        every node reads, inside the caller's ``store.reading()`` for one state of them all."""
        return [(name, self._store.for_node(name)) for name in self.names()]

    def count(self) -> int:
        with self._store.reading() as conn:
            return int(conn.scalar(select(func.count()).select_from(NODES)) or 0)

    def list(self) -> list[NodeInfo]:
        """Every node, by name, with its last sample and what it holds: one statement, compiled
        once, read on the driver's cursor without a transaction round it."""
        return _infos(self._store.read_rows(_listing(), {}))

    def lister(self) -> NodeLister:
        """``list`` for a reader that asks every few seconds (the Fleet section)."""
        return NodeLister(self._store)

    def get(self, name: str) -> NodeInfo:
        for info in self.list():
            if info.name == name:
                return info
        raise NotFound(self.kind, name)

    def heartbeat(
        self,
        *,
        interval: float,
        hostname: str,
        version: str,
        boot_time: int | None,
        cpu_count: int | None,
        memory_total: int | None,
        now: datetime | None = None,
    ) -> None:
        """Record that the node's collector is alive, with the machine's facts (its cycle's
        transaction: one UPDATE)."""
        row = (self._store.node_id, now or utcnow(), interval, hostname, version, boot_time,
               cpu_count, memory_total)  # fmt: skip
        with self._store.transaction() as conn:
            BEAT_NODE.executemany(conn, [row])

    def remove(self, name: str, *, dry_run: bool = False) -> Removed:
        """Delete node ``name`` and every row it owns, in one transaction; return the rows per
        table that go (with ``dry_run``, only count them). The node in use cannot be removed
        through its own store. A collector still running for the removed node stops at its
        next reading and says why (``core.collect.daemon.NodeRemoved``)."""
        from ..models import metadata

        scoped = [t for t in metadata.sorted_tables if "node_id" in t.c]
        with self._store.transaction() as conn:
            node_id = conn.scalar(select(NODES.c.id).where(NODES.c.name == name))
            if node_id is None:
                raise NotFound(self.kind, name, f"nodes here: {', '.join(self.names()) or 'none'}")
            if node_id == self._store.node_id:
                raise ValidationError(
                    "node",
                    name,
                    "is the node in use here: remove it from another node (--node names one)",
                )
            rows = {}
            for table in scoped:
                count = conn.scalar(
                    select(func.count()).select_from(table).where(table.c.node_id == node_id)
                )
                if count:
                    rows[table.name] = int(count)
            if not dry_run:
                conn.execute(delete(NODES).where(NODES.c.id == node_id))
        return Removed(name, rows)


@cache
def _listing() -> Prepared:
    """``list``'s statement: the nodes' columns (id first, then NodeInfo's order), the last
    sample's CPU, memory and time, the counts of containers, services and services over a
    limit."""
    from ..models.containers import Container
    from ..models.services import Service
    from ..models.telemetry import SystemMetric

    c, s, m = Container.__table__, Service.__table__, SystemMetric.__table__
    last = (
        select(m.c.timestamp)
        .where(m.c.node_id == NODES.c.id)
        .order_by(m.c.timestamp.desc())
        .limit(literal_column("1"))  # written in the SQL, not a bound value Prepared must give
    )
    sample = [
        last.with_only_columns(column).scalar_subquery()
        for column in (m.c.cpu_percent, m.c.memory_percent, m.c.timestamp)
    ]

    def counted(table, *where):
        query = select(func.count()).select_from(table).where(table.c.node_id == NODES.c.id)
        return query.where(*where).scalar_subquery()

    def plain(column):  # numbers as the driver gives them (Float's processor wants a cursor)
        return type_coerce(column, NullType())

    n = NODES.c
    query = select(
        n.id, n.name, n.hostname, n.first_seen, n.last_heartbeat, plain(n.heartbeat_interval),
        n.version, n.boot_time, n.cpu_count, n.memory_total,
        *map(plain, sample), counted(c), counted(s),
        counted(s, s.c.status == STATUS_LIMIT_EXCEEDED),
    ).order_by(n.name)  # fmt: skip
    return Prepared(query, names=None)


def _infos(rows: list[tuple]) -> list[NodeInfo]:
    return [
        NodeInfo(
            *r[1:10],
            cpu_percent=r[10],
            memory_percent=r[11],
            sampled_at=r[12],
            containers=int(r[13]),
            services=int(r[14]),
            over_limit=int(r[15]),
        )  # fmt: skip
        for r in rows
    ]


class NodeLister:
    """``store.nodes.list()`` on a connection of its own, kept between calls: taking one from
    the pool checks it with a round trip of its own first (half of what a read cost the Fleet
    section, which reads every 2 s). Autocommit, so each read sees the latest commits and holds
    nothing between reads. A failed read drops the connection: the next one makes another (a
    database restarting, out of reach for a while). One call at a time; ``close()`` at the end.
    An in-memory store has one connection for all: reads go through ``store.nodes.list()``."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._pooled: Any = None

    def list(self) -> list[NodeInfo]:
        store = self._store
        if store.location.in_memory:
            return store.nodes.list()
        with self._lock, _database_errors(store):
            if self._pooled is None:
                self._pooled = store.engine.raw_connection()
                if not store.location.is_sqlite:
                    self._pooled.dbapi_connection.autocommit = True  # SQLite's are already
            try:
                rows = _listing().driver_rows(self._pooled, store.engine.dialect, {})
            except BaseException:
                self._drop()
                raise
        return _infos(rows)

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _drop(self) -> None:
        pooled, self._pooled = self._pooled, None
        if pooled is not None:
            with contextlib.suppress(Exception):  # a broken connection may fail to close
                pooled.invalidate()  # its session's settings (autocommit) go with it
