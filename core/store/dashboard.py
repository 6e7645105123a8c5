"""The dashboard's read model: everything the live panels show, read in one go.

``snapshot(store, now)`` reads, on one connection (one state of the database): the latest
system sample and the recent minutes of CPU, memory, load and disk I/O; per-interface byte rates; the
traffic accounting chains with the service limits they count against; the last 24 hours; the
collector's heartbeat. It returns plain frozen dataclasses, so a UI can render them on any
thread without touching the database.

``ChangeWatcher(store).changed()`` tells cheaply whether anything was committed since its last
call, so a refreshing view can skip the read when nothing changed:

- SQLite file: ``PRAGMA data_version`` on a connection kept for that purpose. The value only
  moves when *another* connection commits, which is why the watcher has its own connection
  (every write, the collector's or the console's, goes through the store's other ones).
- SQLite ``:memory:``: the store is one shared connection, whose own commits do not move
  ``data_version``; ``total_changes()`` of it counts every row any writer changed.
- PostgreSQL: ``txid_current_snapshot()`` on a connection of its own (autocommit). Any commit
  of a transaction that wrote moves its ``xmin``/``xmax`` or its in-progress list. The
  snapshot is the whole cluster's, so writes to other databases count as changes too: the
  watcher may say "changed" when nothing of ours did (an extra read), never the reverse.

An interface is stale when its latest sample is older than ``STALE_AFTER`` (or two collector
intervals, if longer): its rates are then the last ones measured, not the current ones (the
interface went away, or the collector stopped). A view that shows a snapshot for a while
re-judges it at its own clock with ``interfaces_at``, as ``collector_status_at`` does for the
heartbeat.

Rates: the collector stores per-interface *deltas* over its interval (``network_metrics``,
``disk_read_bytes``...). Timestamps are whole seconds, too coarse to divide by (a 2 s interval
shows as 1 or 3 s now and then), so a delta is divided by the collector's interval: the one
its heartbeat states, else the median spacing of the samples, else ``collector.interval``.
"""

from __future__ import annotations

import contextlib
import statistics
import threading
import weakref
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, bindparam, desc, func, select, text

from ..models.services import Service, TrafficMonitor
from ..samples import SystemSample
from ..settings import tunable
from ..traffic_rules import parse_service_chain
from .base import _database_errors
from .repo import chunks
from .telemetry import HOUR, HOURLY, META, NETWORK, SYSTEM, WATERMARK, CollectorStatus

if TYPE_CHECKING:
    from .base import Store

TM = TrafficMonitor.__table__
SV = Service.__table__
HOURS = 24  # the history chart's span
LIMIT_COLUMN = {"in": "dl_limit", "out": "ul_limit"}  # as traffic accounting counts them
SERVICE_STATUSES = {0: "ok", 1: "error", 2: "limit_exceeded"}
STALE_AFTER = 60  # seconds without a sample after which an interface's rates are not current


@dataclass(frozen=True)
class SystemView:
    """The latest system sample and the recent minutes of it (series oldest first)."""

    latest: SystemSample | None  # the newest sample, however old
    disk_read_rate: float | None  # bytes/s over the latest sample's interval
    disk_write_rate: float | None
    cpu: tuple[float, ...]  # cpu_percent of the recent samples (readings that failed left out)
    memory: tuple[float, ...]  # memory_percent
    load: tuple[float, ...]  # load_1min
    disk_io: tuple[float, ...]  # bytes/s read and written together


@dataclass(frozen=True)
class InterfaceRate:
    """Bytes per second of one interface over the recent minutes ("" is the total of every
    interface but loopback)."""

    interface: str
    rx_rate: float  # received, over the latest sample's interval
    tx_rate: float  # sent
    rx_series: tuple[float, ...]  # per sample, oldest first
    tx_series: tuple[float, ...]
    last_seen: int  # timestamp of the latest sample
    stale: bool = False  # no sample lately (see the module docstring): the rates are old

    @property
    def is_total(self) -> bool:
        return self.interface == ""


@dataclass(frozen=True)
class ChainUsage:
    """A traffic accounting chain in its current period, with the limit it counts against."""

    chain: str
    value: int  # bytes this period
    period_start: datetime | None
    time: datetime | None  # when it was last read
    service_id: str | None  # for ``service:<id>:in|out`` chains
    direction: str | None  # "in" or "out" (interface chains too: ``eth0:in``)
    limit: int | None  # the service's dl_limit (in) or ul_limit (out); None: no limit
    status: str | None  # the service's status (``limit_exceeded`` when flagged)

    @property
    def used(self) -> float | None:
        """The fraction of the limit used (above 1 when over it); None without a limit."""
        return None if not self.limit else self.value / self.limit

    @property
    def over_limit(self) -> bool:
        """More than the limit used this period (the rule traffic accounting flags by)."""
        return self.limit is not None and self.value > self.limit


@dataclass(frozen=True)
class HourPoint:
    """One hour of the last 24 (UTC hours; an hour without samples has ``samples == 0``)."""

    hour: int  # unix time of the hour's start
    samples: int
    avg_cpu: float | None
    max_cpu: float | None
    avg_memory: float | None
    bytes_sent: int
    bytes_recv: int

    @property
    def bytes_total(self) -> int:
        return self.bytes_sent + self.bytes_recv


@dataclass(frozen=True)
class DashboardSnapshot:
    now: float
    minutes: int  # the span of the recent series
    interval: float  # seconds per sample, the divisor of the rates
    system: SystemView
    interfaces: tuple[InterfaceRate, ...]  # the total ("") first, then by name
    period: str  # the traffic accounting period: hour, day or month
    chains: tuple[ChainUsage, ...]  # those over their limit first, each part by chain name
    history: tuple[HourPoint, ...]  # exactly 24 hours, oldest first, the current hour last
    collector: CollectorStatus


def snapshot(
    store: Store,
    now: float,
    *,
    minutes: int = 10,
    history: tuple[HourPoint, ...] | None = None,
) -> DashboardSnapshot:
    """Everything the dashboard shows, read on one connection (one state of the database).

    ``history``: the last 24 hours as an earlier snapshot read them, returned again instead of
    being read, as long as they still end at the hour under way (a view refreshing every second
    need not follow that hour's average every second)."""
    since = int(now) - minutes * 60
    if history is not None and history[-1].hour != int(now) - int(now) % HOUR:
        history = None  # a new hour began: the window moved
    node = store.node_id  # every statement reads the store's node's rows only
    with store.reading() as conn:
        collector = store.telemetry.collector_status(now)
        period = tunable(store, "traffic.period")
        rows = conn.execute(_RECENT_SYSTEM, {"node_id": node, "since": since}).all()
        latest = rows[-1] if rows else conn.execute(_LATEST_SYSTEM, {"node_id": node}).first()
        net = conn.execute(_RECENT_NETWORK, {"node_id": node, "since": since}).all()
        interval = _interval(store, collector, [r.timestamp for r in rows])
        chains = _chains(conn, node)
        if history is None:
            history = _history(conn, node, int(now))
    return DashboardSnapshot(
        now=now,
        minutes=minutes,
        interval=interval,
        system=_system(rows, latest, interval),
        interfaces=interfaces_at(_interfaces(net, interval), now, interval),
        period=period,
        chains=chains,
        history=history,
        collector=collector,
    )


def collector_status_at(status: CollectorStatus, now: float) -> CollectorStatus:
    """``status`` as it reads at ``now``: a heartbeat ages without any write to the database,
    so a view that skipped reading re-judges the one it has. The same rule as
    ``TelemetryRepo.collector_status`` (a heartbeat within 3 intervals, at least 10 s)."""
    last = status.last_seen
    fresh = last is not None and now - last <= max(3 * (status.interval or 2.0), 10.0)
    running = bool(fresh and status.state == "running")
    return status if running == status.running else replace(status, running=running)


def interfaces_at(
    interfaces: tuple[InterfaceRate, ...], now: float, interval: float
) -> tuple[InterfaceRate, ...]:
    """``interfaces`` as they read at ``now``: each stale when its latest sample is older than
    ``STALE_AFTER`` seconds, or two collector intervals when that is longer."""
    limit = max(STALE_AFTER, 2 * interval)
    return tuple(
        i if (now - i.last_seen > limit) == i.stale else replace(i, stale=not i.stale)
        for i in interfaces
    )


# -- parts of the snapshot ---------------------------------------------------------------------

# The statements are built once: a dashboard reads every second, and building a select (its
# clauses coerced, its cache key worked out) cost about as much as running it on this data.
# The node is a bound value (``node_id``), as the time is.
_NODE = bindparam("node_id")
_RECENT_SYSTEM = (
    select(SYSTEM)
    .where(SYSTEM.c.node_id == _NODE, SYSTEM.c.timestamp >= bindparam("since"))
    .order_by(SYSTEM.c.timestamp)
)
_LATEST_SYSTEM = (
    select(SYSTEM)
    .where(SYSTEM.c.node_id == _NODE)
    .order_by(desc(SYSTEM.c.timestamp), desc(SYSTEM.c.id))
    .limit(1)
)
_RECENT_NETWORK = (
    select(NETWORK.c.interface, NETWORK.c.timestamp, NETWORK.c.bytes_recv, NETWORK.c.bytes_sent)
    .where(NETWORK.c.node_id == _NODE, NETWORK.c.timestamp >= bindparam("since"))
    .order_by(NETWORK.c.interface, NETWORK.c.timestamp)
)
_CHAINS = (
    select(TM.c.chain, TM.c.value, TM.c.period_start, TM.c.time)
    .where(TM.c.node_id == _NODE)
    .order_by(TM.c.chain)
)


def _interval(store: Store, collector: CollectorStatus, stamps: list[int]) -> float:
    if collector.interval and collector.interval > 0:
        return float(collector.interval)
    steps = [b - a for a, b in zip(stamps, stamps[1:], strict=False) if b > a]
    if steps:
        return float(statistics.median(steps))
    return float(tunable(store, "collector.interval"))


def _sample(row) -> SystemSample:
    return SystemSample(*(row._mapping[name] for name in SystemSample._fields))


def _system(rows: list, latest, interval: float) -> SystemView:
    sample = _sample(latest) if latest is not None else None

    def rate(value: int | None) -> float | None:
        return None if value is None else value / interval

    return SystemView(
        latest=sample,
        disk_read_rate=rate(sample.disk_read_bytes) if sample else None,
        disk_write_rate=rate(sample.disk_write_bytes) if sample else None,
        cpu=tuple(float(r.cpu_percent) for r in rows if r.cpu_percent is not None),
        memory=tuple(float(r.memory_percent) for r in rows if r.memory_percent is not None),
        load=tuple(float(r.load_1min) for r in rows if r.load_1min is not None),
        disk_io=tuple(
            ((r.disk_read_bytes or 0) + (r.disk_write_bytes or 0)) / interval
            for r in rows
            if r.disk_read_bytes is not None or r.disk_write_bytes is not None
        ),
    )


def _interfaces(rows: list, interval: float) -> tuple[InterfaceRate, ...]:
    by_name: dict[str, list] = defaultdict(list)
    for row in rows:
        by_name[row.interface].append(row)
    result = []
    for name in sorted(by_name):  # "" (the total) sorts first
        samples = by_name[name]
        rx = tuple((r.bytes_recv or 0) / interval for r in samples)
        tx = tuple((r.bytes_sent or 0) / interval for r in samples)
        result.append(InterfaceRate(name, rx[-1], tx[-1], rx, tx, samples[-1].timestamp))
    return tuple(result)


def _chains(conn: Connection, node: int) -> tuple[ChainUsage, ...]:
    rows = conn.execute(_CHAINS, {"node_id": node}).all()
    parsed = {row.chain: parse_service_chain(row.chain) for row in rows}
    ids = sorted({p[0] for p in parsed.values() if p})
    services = {}
    for chunk in chunks(ids):  # type: ignore[arg-type]
        query = select(SV.c.id, SV.c.status, SV.c.ul_limit, SV.c.dl_limit)
        query = query.where(SV.c.node_id == node, SV.c.id.in_(chunk))
        services.update((r.id, r) for r in conn.execute(query))
    result = []
    for row in rows:
        service_chain = parsed[row.chain]
        service_id, direction = service_chain or (None, _direction(row.chain))
        service = services.get(service_id) if service_id is not None else None
        limit = getattr(service, LIMIT_COLUMN[direction]) if service and direction else None
        result.append(
            ChainUsage(
                chain=row.chain,
                value=int(row.value or 0),
                period_start=row.period_start,
                time=row.time,
                service_id=service_id,
                direction=direction,
                limit=int(limit) if limit and limit > 0 else None,
                status=SERVICE_STATUSES.get(service.status, "error") if service else None,
            )
        )
    # Over their limit first: on a short terminal those are the rows that must be in view.
    return tuple(sorted(result, key=lambda chain: not chain.over_limit))


def _direction(chain: str) -> str | None:
    _, _, last = chain.rpartition(":")
    return last if last in ("in", "out") else None


_WATERMARK = select(META.c.value).where(META.c.node_id == _NODE, META.c.key == WATERMARK)
_s, _n = SYSTEM.c, NETWORK.c
_s_hour = (_s.timestamp - _s.timestamp % HOUR).label("hour")
_RAW_SYSTEM_HOURS = (
    select(_s_hour, func.count(_s.cpu_percent).label("count"),
           func.sum(_s.cpu_percent).label("cpu_sum"), func.max(_s.cpu_percent).label("cpu_max"),
           func.sum(_s.memory_percent).label("mem_sum"))
    .where(_s.node_id == _NODE, _s.timestamp >= bindparam("since"))
    .group_by(_s_hour)
)  # fmt: skip
_n_hour = (_n.timestamp - _n.timestamp % HOUR).label("hour")
_RAW_NETWORK_HOURS = (
    select(_n_hour, func.sum(_n.bytes_sent).label("sent"), func.sum(_n.bytes_recv).label("recv"))
    .where(_n.node_id == _NODE, _n.interface == "", _n.timestamp >= bindparam("since"))
    .group_by(_n_hour)
)


def _history(conn: Connection, node: int, now: int) -> tuple[HourPoint, ...]:
    """The last 24 hours: final hours from ``hourly_aggregates``, the hours the rollup may
    still change (from its watermark on, usually just the current one) from the raw samples."""
    current = now - now % HOUR
    first = current - (HOURS - 1) * HOUR
    mark = conn.scalar(_WATERMARK, {"node_id": node})
    raw_from = max(first, int(mark)) if mark is not None else first
    points = dict(_final_hours(conn, node, first, raw_from))
    since = {"node_id": node, "since": raw_from}
    system = {r.hour: r for r in conn.execute(_RAW_SYSTEM_HOURS, since)}
    network = {r.hour: r for r in conn.execute(_RAW_NETWORK_HOURS, since)}
    for hour in set(system) | set(network):
        sys_row, net_row = system.get(hour), network.get(hour)
        points[int(hour)] = _point(
            int(hour),
            sys_row.count if sys_row else 0,
            sys_row.cpu_sum if sys_row else None,
            sys_row.cpu_max if sys_row else None,
            sys_row.mem_sum if sys_row else None,
            net_row.sent if net_row else 0,
            net_row.recv if net_row else 0,
        )
    return tuple(
        points.get(hour) or HourPoint(hour, 0, None, None, None, 0, 0)
        for hour in range(first, current + HOUR, HOUR)
    )


# The finished hours of the chart, per store: re-reading them every refresh was half of a
# snapshot's time, yet they change only when the window moves (a new hour), the watermark moves
# (a rollup, or a back-fill moving it back) or a finished hour is rolled up again. The key holds
# the window and a fingerprint of its rows (ids and sums of every column shown: SQLite may
# give a rewritten last row its old id back).
_FINAL: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


_h = HOURLY.c
# _point's arguments, in its order: what the fingerprint sums and what is read.
_SHOWN = (_h.hour_timestamp, _h.sample_count, _h.sum_cpu_percent, _h.max_cpu_percent,
          _h.sum_memory_percent, _h.total_bytes_sent, _h.total_bytes_recv)  # fmt: skip
_IN_WINDOW = (
    _h.node_id == _NODE,
    _h.hour_timestamp >= bindparam("first"),
    _h.hour_timestamp < bindparam("until"),
)
_FINAL_FINGERPRINT = select(
    func.count(), func.max(_h.id), func.sum(_h.id), *(func.sum(c) for c in _SHOWN)
).where(*_IN_WINDOW)
_FINAL_HOURS = select(*_SHOWN).where(*_IN_WINDOW)


def _final_hours(
    conn: Connection, node: int, first: int, until: int
) -> tuple[tuple[int, HourPoint], ...]:
    """(hour, point) of node ``node``'s rollup rows in [first, until), cached per connection's
    engine (the node is in the key: stores of two nodes may share an engine)."""
    window = {"node_id": node, "first": first, "until": until}
    key = (node, first, until, tuple(conn.execute(_FINAL_FINGERPRINT, window).one()))
    cache = _FINAL.get(conn.engine)
    if cache is not None and cache[0] == key:
        return cache[1]
    points = tuple((r.hour_timestamp, _point(*r)) for r in conn.execute(_FINAL_HOURS, window))
    _FINAL[conn.engine] = (key, points)
    return points


def _point(hour, count, cpu_sum, cpu_max, mem_sum, sent, recv) -> HourPoint:
    count = int(count or 0)
    return HourPoint(
        hour=int(hour),
        samples=count,
        avg_cpu=float(cpu_sum) / count if count and cpu_sum is not None else None,
        max_cpu=float(cpu_max) if cpu_max is not None else None,
        avg_memory=float(mem_sum) / count if count and mem_sum is not None else None,
        bytes_sent=int(sent or 0),
        bytes_recv=int(recv or 0),
    )


# -- change detection --------------------------------------------------------------------------


class ChangeWatcher:
    """Whether the database changed since the last call, at the cost of one tiny query.

    Holds a connection of its own on SQLite files and PostgreSQL (see the module docstring);
    ``close()`` returns it. Safe to call from any thread, one call at a time (a lock makes
    sure). The first call always answers True.
    """

    def __init__(self, store: Store):
        self._store = store
        self._lock = threading.Lock()
        self._conn = None  # the SQLite file's raw DBAPI connection, or a PostgreSQL Connection
        self._last: object = None
        self._closed = False

    def version(self) -> object:
        """An opaque token that differs after any commit (see the module docstring)."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the change watcher is closed")
            location = self._store.location
            if location.in_memory:
                with self._store.reading() as conn:
                    return conn.execute(text("SELECT total_changes()")).scalar()
            if self._conn is None and location.is_sqlite:
                self._conn = self._store.engine.raw_connection()
            if location.is_sqlite:
                # Autocommit (the engine's connect hook sets isolation_level=None): the pragma
                # runs outside any transaction and sees the latest commit.
                cursor = self._conn.cursor()
                try:
                    return cursor.execute("PRAGMA data_version").fetchone()[0]
                finally:
                    cursor.close()
            with _database_errors(self._store):  # a server away: StoreError, "unreachable"
                if self._conn is None:
                    self._conn = self._store.engine.connect().execution_options(
                        isolation_level="AUTOCOMMIT"
                    )
                return self._conn.execute(text("SELECT txid_current_snapshot()::text")).scalar()

    def changed(self) -> bool:
        """True when something was committed since the previous call (and on the first)."""
        current = self.version()
        changed = self._last is None or current != self._last
        self._last = current
        return changed

    def reset(self) -> None:
        """Drop the connection (a new one is made on the next call, which answers True): for
        after an error, when the connection may be what failed."""
        with self._lock:
            self._drop()
            self._last = None

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._drop()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # a broken connection may fail to close
                conn.close()

    def __enter__(self) -> ChangeWatcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
