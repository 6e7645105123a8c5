"""Metrics history: raw samples, hourly and daily rollups, retention, statistics, heartbeat.

Everything here is the store's node's (``Store.node_id``): its samples, its rollups (a watermark
per node), its retention, its collector's heartbeat (``metadata`` per node, and the ``nodes``
row's ``last_heartbeat`` in the same statement group).

Rollups are computed in UTC, incrementally (from a watermark kept in ``metadata``) and
idempotently: recomputing an hour or a day replaces its row with the same values. Each rollup
keeps count, sum and max, so a day's average is exactly the mean of its samples.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Table,
    bindparam,
    case,
    delete,
    distinct,
    func,
    insert,
    select,
    text,
)

from ..db.prepared import Prepared
from ..models import admin, services, telemetry
from ..models.base import UTCDateTime
from ..samples import NetworkSample, SystemSample
from ..settings import tunable
from ..traffic_rules import Reading
from .nodes import BEAT_NODE
from .repo import Repo

HOUR, DAY = 3600, 86400
# The rollups (once a minute) and retention (once an hour) compile their statements each time
# instead of keeping them in SQLAlchemy's compiled cache for the life of the process: a
# collector held 0.3 MiB of them to save 1.6 ms a minute (3.7 instead of 2.1 ms a rollup).
RARE = {"compiled_cache": None}
SYSTEM = telemetry.SystemMetric.__table__
NETWORK = telemetry.NetworkMetric.__table__
EVENTS = telemetry.LogEvent.__table__
HOURLY = telemetry.HourlyAggregate.__table__
DAILY = telemetry.DailyAggregate.__table__
META = telemetry.Metadata.__table__
WATERMARK = "aggregates.next_hour"  # the first hour whose rollup may still change
HEARTBEAT = "collector.heartbeat"  # the ``now`` of the last reading stored, as repr(float)

# table -> (time column, tunable, unit in seconds); what cleanup removes, oldest first.
RETENTION: dict[str, tuple[Table, str, str, int]] = {
    "system_metrics": (SYSTEM, "timestamp", "retention.raw_hours", HOUR),
    "network_metrics": (NETWORK, "timestamp", "retention.raw_hours", HOUR),
    "hourly_aggregates": (HOURLY, "hour_timestamp", "retention.hourly_days", DAY),
    "log_events": (EVENTS, "timestamp", "retention.events_days", DAY),  # traces cascade
    "event_traces": (telemetry.EventTrace.__table__, "timestamp", "retention.events_days", DAY),
    "ip_reputation": (telemetry.IpReputation.__table__, "last_seen", "retention.events_days", DAY),
    "trace_patterns": (telemetry.TracePattern.__table__, "last_seen", "retention.events_days", DAY),
    "audit_logs": (admin.AuditLog.__table__, "timestamp", "retention.audit_days", DAY),
    "traffic_history": (services.TrafficHistory.__table__, "period_start", "retention.traffic_days", DAY),
}  # fmt: skip


def hour_start(ts: int) -> int:
    return ts - ts % HOUR


def day_of(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


def day_start(day: str) -> int:
    return int(datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC).timestamp())


# The collector's statements, compiled once (see core.db.prepared): samples (plain numbers and
# text) go to the driver as the tuples they are, in column order, after the node's id (a bound
# value like the others, so one compiled statement serves every node).
INSERT_SYSTEM = Prepared(insert(SYSTEM), ("node_id", *SystemSample._fields), as_given=True)
INSERT_NETWORK = Prepared(insert(NETWORK), ("node_id", *NetworkSample._fields), as_given=True)
GET_META = Prepared(
    select(META.c.value).where(
        META.c.node_id == bindparam("node_id"), META.c.key == bindparam("key")
    ),
    ["node_id", "key"],
)
# An upsert: PostgreSQL and SQLite (3.24+) spell it the same way.
SET_META = Prepared(
    text(
        "INSERT INTO metadata (node_id, key, value) VALUES (:node_id, :key, :value) "
        "ON CONFLICT (node_id, key) DO UPDATE SET value = excluded.value"
    ),
    ["node_id", "key", "value"],
)


def nodekeeper_version() -> str:
    """The installed nodekeeper's version, as the nodes table shows it."""
    global _VERSION
    if _VERSION is None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            _VERSION = version("nodekeeper")
        except PackageNotFoundError:
            _VERSION = "unknown"
    return _VERSION


_VERSION: str | None = None


@dataclass(frozen=True)
class CollectorStatus:
    running: bool
    pid: int | None
    host: str | None
    last_seen: float | None  # unix time of the last heartbeat
    interval: float | None
    state: str | None  # running, stopped


class TelemetryRepo(Repo):
    kind = "metric"

    # -- ingest

    def insert_samples(
        self, system: Sequence[SystemSample] = (), network: Sequence[NetworkSample] = ()
    ) -> None:
        """Store samples with one executemany per table, handed to the driver as they are.
        Samples older than the rollup watermark (a back-fill) move it back, so the next
        ``update_aggregates`` rolls their hours up too."""
        with self._store.transaction() as conn:
            self._insert_samples(conn, system, network)

    def record_reading(
        self,
        system: SystemSample,
        network: Sequence[NetworkSample],
        readings: Sequence[Reading],
        *,
        now: float,
        interval: float,
        boot_time: int | None = None,
        again: bool = False,
    ) -> bool:
        """One reading of the collector, in one transaction: its samples, the traffic
        accounting of its counters (``store.traffic.record``), the end of the periods of chains
        that got no reading (``store.traffic.rollover``) and the heartbeat (the collector's
        ``metadata`` and the node's row: ``store.nodes.list()`` shows it up, with this
        machine's facts, ``boot_time`` among them). All of it is stored or none; the same as
        calling each inside ``store.transaction()``, without a savepoint around each.

        ``again``: this reading was written before and the database never answered (the
        connection was lost during COMMIT), so it may be stored. It is then written only if the
        node's heartbeat is not this reading's own: its samples are stored once. Returns
        whether it was written now."""
        when = datetime.fromtimestamp(now, UTC)
        traffic = self._store.traffic
        readings = traffic.checked(readings)
        with self._store.transaction() as conn:
            if again and _get_meta(conn, self._store.node_id, HEARTBEAT) == repr(float(now)):
                return False
            self._insert_samples(conn, [system], network)
            settings = traffic.settings()
            traffic._record(conn, readings, now=when, settings=settings)
            traffic._rollover(conn, when, settings.period)
            self._beat(conn, now, interval, "running", None, None)
            BEAT_NODE.executemany(conn, [(
                self._store.node_id, when, interval, socket.gethostname(), nodekeeper_version(),
                boot_time, system.cpu_count, system.memory_total,
            )])  # fmt: skip
        return True

    def _insert_samples(
        self, conn: Connection, system: Sequence[SystemSample], network: Sequence[NetworkSample]
    ) -> None:
        node_id = self._store.node_id
        INSERT_SYSTEM.executemany(conn, [(node_id, *s) for s in system])
        INSERT_NETWORK.executemany(conn, [(node_id, *s) for s in network])
        oldest = min((s.timestamp for s in (*system, *network)), default=None)
        if oldest is not None and oldest < hour_start(int(time.time())):  # not the collector's
            mark = _get_meta(conn, self._store.node_id, WATERMARK)
            if mark is not None and hour_start(int(oldest)) < int(mark):
                _set_meta(conn, self._store.node_id, {WATERMARK: str(hour_start(int(oldest)))})

    # -- reads

    def system_samples(self, since: int, until: int | None = None) -> list[dict]:
        query = (
            select(SYSTEM)
            .where(SYSTEM.c.node_id == self._store.node_id, SYSTEM.c.timestamp >= since)
            .order_by(SYSTEM.c.timestamp)
        )
        if until is not None:
            query = query.where(SYSTEM.c.timestamp < until)
        with self._store.reading() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def network_samples(self, since: int, interface: str | None = "") -> list[dict]:
        """Samples since a time, of one interface ("" is the total) or of all (None)."""
        query = select(NETWORK).where(
            NETWORK.c.node_id == self._store.node_id, NETWORK.c.timestamp >= since
        )
        if interface is not None:
            query = query.where(NETWORK.c.interface == interface)
        with self._store.reading() as conn:
            return [dict(r._mapping) for r in conn.execute(query.order_by(NETWORK.c.timestamp))]

    def hourly(self, since: int = 0) -> list[dict]:
        with self._store.reading() as conn:
            rows = conn.execute(
                select(HOURLY)
                .where(HOURLY.c.node_id == self._store.node_id, HOURLY.c.hour_timestamp >= since)
                .order_by(HOURLY.c.hour_timestamp)
            )
            return [dict(r._mapping) for r in rows]

    def daily(self, since: str = "") -> list[dict]:
        with self._store.reading() as conn:
            rows = conn.execute(
                select(DAILY)
                .where(DAILY.c.node_id == self._store.node_id, DAILY.c.date >= since)
                .order_by(DAILY.c.date)
            )
            return [dict(r._mapping) for r in rows]

    # -- rollups

    def update_aggregates(self, now: float) -> tuple[int, int]:
        """Roll up every hour since the watermark up to the current one (and their days).
        Returns (hours, days) written. Safe to call as often as wanted."""
        current = hour_start(int(now))
        with self._store.transaction() as conn:
            mark = _get_meta(conn, self._store.node_id, WATERMARK)
            if mark is not None:
                start = int(mark)
            else:  # first run: from the oldest sample or event
                oldest = [
                    conn.scalar(
                        select(func.min(t.c.timestamp)).where(t.c.node_id == self._store.node_id),
                        execution_options=RARE,
                    )
                    for t in (SYSTEM, NETWORK, EVENTS)
                ]
                known = [int(t) for t in oldest if t is not None]
                start = hour_start(min(known)) if known else current
            hours = 0
            days: set[str] = set()
            for hour in range(start, current + 1, HOUR):
                if self._write_hour(conn, hour):
                    hours += 1
                    days.add(day_of(hour))
            for day in sorted(days):
                self._write_day(conn, day)
            _set_meta(conn, self._store.node_id, {WATERMARK: str(current)})
        return hours, len(days)

    def recompute_hour(self, hour: int) -> bool:
        """Recompute one hour's rollup from the raw samples (False: no samples in it)."""
        with self._store.transaction() as conn:
            return self._write_hour(conn, hour_start(hour))

    def recompute_day(self, day: str) -> bool:
        with self._store.transaction() as conn:
            return self._write_day(conn, day)

    def _write_hour(self, conn: Connection, hour: int) -> bool:
        end = hour + HOUR
        node_id = self._store.node_id
        count, cpu_sum, cpu_max, mem_sum, mem_max = conn.execute(
            select(
                func.count(SYSTEM.c.cpu_percent),
                func.sum(SYSTEM.c.cpu_percent),
                func.max(SYSTEM.c.cpu_percent),
                func.sum(SYSTEM.c.memory_percent),
                func.max(SYSTEM.c.memory_percent),
            ).where(
                SYSTEM.c.node_id == node_id, SYSTEM.c.timestamp >= hour, SYSTEM.c.timestamp < end
            ),
            execution_options=RARE,
        ).one()
        sent, recv = conn.execute(
            select(func.sum(NETWORK.c.bytes_sent), func.sum(NETWORK.c.bytes_recv)).where(
                NETWORK.c.node_id == node_id,
                NETWORK.c.interface == "",
                NETWORK.c.timestamp >= hour,
                NETWORK.c.timestamp < end,
            ),
            execution_options=RARE,
        ).one()
        *events, ips, users = conn.execute(
            _event_counts(node_id, hour, end), execution_options=RARE
        ).one()
        if not count and sent is None and not events[0]:
            return False
        row = {
            "node_id": node_id,
            "hour_timestamp": hour,
            **_rollup(count, cpu_sum, cpu_max, mem_sum, mem_max),
            "total_bytes_sent": int(sent or 0),
            "total_bytes_recv": int(recv or 0),
            **dict(zip(_EVENT_COLUMNS, (int(v or 0) for v in events), strict=True)),
            "unique_ips": int(ips or 0),
            "unique_users": int(users or 0),
        }
        conn.execute(
            delete(HOURLY).where(HOURLY.c.node_id == node_id, HOURLY.c.hour_timestamp == hour),
            execution_options=RARE,
        )
        conn.execute(insert(HOURLY).values(row), execution_options=RARE)
        return True

    def _write_day(self, conn: Connection, day: str) -> bool:
        start = day_start(day)
        end = start + DAY
        node_id = self._store.node_id
        h = HOURLY.c
        totals = conn.execute(
            select(
                func.count(), func.sum(h.sample_count), func.sum(h.sum_cpu_percent),
                func.max(h.max_cpu_percent), func.sum(h.sum_memory_percent),
                func.max(h.max_memory_percent), func.sum(h.total_bytes_sent),
                func.sum(h.total_bytes_recv),
                *(func.sum(h[c]) for c in _EVENT_COLUMNS),
            ).where(h.node_id == node_id, h.hour_timestamp >= start, h.hour_timestamp < end),
            execution_options=RARE,
        ).one()  # fmt: skip
        if not totals[0]:
            return False
        _, count, cpu_sum, cpu_max, mem_sum, mem_max, sent, recv, *events = totals
        ips, users = conn.execute(
            select(
                func.count(distinct(EVENTS.c.ip_address)), func.count(distinct(EVENTS.c.user))
            ).where(
                EVENTS.c.node_id == node_id, EVENTS.c.timestamp >= start, EVENTS.c.timestamp < end
            ),
            execution_options=RARE,
        ).one()
        row = {
            "node_id": node_id,
            "date": day,
            **_rollup(int(count or 0), cpu_sum, cpu_max, mem_sum, mem_max),
            "total_bytes_sent": int(sent or 0),
            "total_bytes_recv": int(recv or 0),
            **dict(zip(_EVENT_COLUMNS, (int(v or 0) for v in events), strict=True)),
            "unique_ips": int(ips or 0),
            "unique_users": int(users or 0),
        }
        conn.execute(
            delete(DAILY).where(DAILY.c.node_id == node_id, DAILY.c.date == day),
            execution_options=RARE,
        )
        conn.execute(insert(DAILY).values(row), execution_options=RARE)
        return True

    # -- retention and statistics

    def cleanup(self, now: float) -> dict[str, int]:
        """Delete what is older than each table's retention; rolls raw samples up first so
        nothing is lost from the aggregates. Returns rows deleted per table. Only this node's
        rows: another node's collector rolls its own up before deleting them."""
        self.update_aggregates(now)
        node_id = self._store.node_id
        deleted: dict[str, int] = {}
        with self._store.transaction() as conn:
            for name, (table, column, key, unit) in RETENTION.items():
                cutoff = int(now) - int(tunable(self._store, key)) * unit
                col = table.c[column]
                is_datetime = isinstance(col.type, UTCDateTime)  # unix seconds elsewhere
                bound = datetime.fromtimestamp(cutoff, UTC) if is_datetime else cutoff
                deleted[name] = (
                    conn.execute(
                        delete(table).where(table.c.node_id == node_id, col < bound),
                        execution_options=RARE,
                    ).rowcount
                    or 0
                )
            day_cutoff = day_of(int(now) - int(tunable(self._store, "retention.daily_days")) * DAY)
            deleted["daily_aggregates"] = (
                conn.execute(
                    delete(DAILY).where(DAILY.c.node_id == node_id, DAILY.c.date < day_cutoff),
                    execution_options=RARE,
                ).rowcount
                or 0
            )
        return deleted

    def stats(self) -> tuple[dict[str, int], int | None]:
        """Rows per table (of a table whose rows belong to nodes, this node's) and the database
        size in bytes (None for :memory:)."""
        from ..models import metadata

        def count(table: Table):
            query = select(func.count()).select_from(table)
            if "node_id" in table.c:
                query = query.where(table.c.node_id == self._store.node_id)
            return query

        with self._store.reading() as conn:
            rows = {
                name: conn.scalar(count(table)) or 0
                for name, table in sorted(metadata.tables.items())
            }
            size = _database_size(self._store, conn, list(metadata.tables))
        return rows, size

    # -- collector heartbeat

    def heartbeat(
        self, now: float, interval: float, state: str = "running", *,
        pid: int | None = None, host: str | None = None,
    ) -> None:  # fmt: skip
        """Record that the collector of process ``pid`` on ``host`` (by default this process,
        on this machine; the screenshots pin them) was alive at ``now``."""
        with self._store.transaction() as conn:
            self._beat(conn, now, interval, state, pid, host)

    def _beat(
        self, conn: Connection, now: float, interval: float, state: str,
        pid: int | None, host: str | None,
    ) -> None:  # fmt: skip
        _set_meta(conn, self._store.node_id, {
            HEARTBEAT: repr(float(now)),
            "collector.pid": str(os.getpid() if pid is None else pid),
            "collector.host": socket.gethostname() if host is None else host,
            "collector.interval": str(interval), "collector.state": state,
        })  # fmt: skip

    def collector_status(self, now: float) -> CollectorStatus:
        """Whether a collector is running: a fresh heartbeat (within 3 intervals) that does not
        say it stopped."""
        with self._store.reading() as conn:
            meta = dict(
                conn.execute(
                    select(META.c.key, META.c.value).where(
                        META.c.node_id == self._store.node_id, META.c.key.like("collector.%")
                    )
                ).all()
            )
        last = float(meta[HEARTBEAT]) if HEARTBEAT in meta else None
        interval = float(meta["collector.interval"]) if "collector.interval" in meta else None
        state = meta.get("collector.state")
        fresh = last is not None and now - last <= max(3 * (interval or 2.0), 10.0)
        return CollectorStatus(
            running=bool(fresh and state == "running"),
            pid=int(meta["collector.pid"]) if "collector.pid" in meta else None,
            host=meta.get("collector.host"),
            last_seen=last,
            interval=interval,
            state=state,
        )


# -- helpers

# The log columns of the rollups that add up (a day's are the sum of its hours'), in the order
# of ``_event_counts``; the distinct IPs and users of a day are counted from its events. Errors
# are the syslog severities error and worse; failed logins and bans are the log parser's
# ``login_failed`` and ``ban`` (not ``ban_restored`` nor ``already_banned``).
_EVENT_COLUMNS = (
    "total_events",
    "error_count",
    "warning_count",
    "failed_login_count",
    "banned_ip_count",
)


ERROR_LEVELS = ("emergency", "alert", "critical", "error")


def _event_counts(node_id: int, start: int, end: int):
    """The ``_EVENT_COLUMNS`` of the events from ``start`` to ``end`` (by the time of their
    line), then their distinct IPs and users."""
    e = EVENTS.c

    def count_if(condition):
        return func.sum(case((condition, 1), else_=0))

    return select(
        func.count(),
        count_if(e.level.in_(ERROR_LEVELS)),
        count_if(e.level == "warning"),
        count_if(e.action == "login_failed"),
        count_if(e.action == "ban"),
        func.count(distinct(e.ip_address)),
        func.count(distinct(e.user)),
    ).where(e.node_id == node_id, e.timestamp >= start, e.timestamp < end)


def _rollup(count, cpu_sum, cpu_max, mem_sum, mem_max) -> dict[str, Any]:
    count = int(count or 0)
    return {
        "sample_count": count,
        "sum_cpu_percent": float(cpu_sum or 0.0),
        "sum_memory_percent": float(mem_sum or 0.0),
        "avg_cpu_percent": float(cpu_sum) / count if count and cpu_sum is not None else None,
        "max_cpu_percent": cpu_max,
        "avg_memory_percent": float(mem_sum) / count if count and mem_sum is not None else None,
        "max_memory_percent": mem_max,
    }


def _get_meta(conn: Connection, node_id: int, key: str) -> str | None:
    found = GET_META.rows(conn, (node_id, key))
    return found[0][0] if found else None


def _set_meta(conn: Connection, node_id: int, values: dict[str, str]) -> None:
    SET_META.executemany(conn, [(node_id, k, v) for k, v in values.items()])


def _database_size(store, conn: Connection, tables: list[str]) -> int | None:
    if store.location.in_memory:
        return None
    if store.location.is_sqlite:
        size = conn.scalar(text("PRAGMA page_count")) * conn.scalar(text("PRAGMA page_size"))
        wal = store.location.path.with_name(store.location.path.name + "-wal")
        return size + (wal.stat().st_size if wal.exists() else 0)
    # PostgreSQL: the tables of this store (one database may hold several stores' schemas).
    return sum(
        conn.scalar(text("SELECT pg_total_relation_size(to_regclass(:t))"), {"t": t}) or 0
        for t in tables
    )
