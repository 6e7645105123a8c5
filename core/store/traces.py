"""Event traces: what the node looked like when a security or error event was logged.

A trace (``event_traces``) belongs to one log event (its row goes with the event: ``ON DELETE
CASCADE``, so retention that deletes an event deletes its trace) and holds the event's process
as it was then (``process_traces``), that process's connections (``network_traces``) and, for an
error event, what kind of error it is, its likely cause and what to do (``error_traces``).

``record`` writes many traces with their rows in one transaction (one ``executemany`` per
table); ``for_event`` reads one event's trace back as plain dataclasses. Both are the store's
node's only. The collector's ``core.collect.logs.traces.Tracer`` takes them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy import func, insert, or_, select

from ..models import telemetry
from .logs import EVENTS, StoredEvent
from .repo import Repo, chunks

TRACES = telemetry.EventTrace.__table__
PROCESSES = telemetry.ProcessTrace.__table__
CONNECTIONS = telemetry.NetworkTrace.__table__
ERRORS = telemetry.ErrorTrace.__table__
_EVENT_COLUMNS = (
    EVENTS.c.id,
    EVENTS.c.timestamp,
    EVENTS.c.source,
    EVENTS.c.level,
    EVENTS.c.program,
    EVENTS.c.pid,
    EVENTS.c.host,
    EVENTS.c.message,
    EVENTS.c.ip_address,
    EVENTS.c.user,
    EVENTS.c.action,
    EVENTS.c.metadata,
)  # fmt: skip  (in StoredEvent's order)


@dataclass(frozen=True, slots=True)
class ProcessFacts:
    """A process as it was read: what could be read of it (None: not readable)."""

    pid: int
    name: str | None = None
    cmdline: str | None = None
    state: str | None = None
    parent_pid: int | None = None
    memory_rss: int | None = None
    memory_vms: int | None = None
    cpu_user: float | None = None
    cpu_system: float | None = None
    num_threads: int | None = None
    io_read_bytes: int | None = None
    io_write_bytes: int | None = None
    io_read_count: int | None = None
    io_write_count: int | None = None


@dataclass(frozen=True, slots=True)
class ConnectionFacts:
    """One socket of a traced process; ``remote_*`` are None for a listening or unconnected
    one. ``protocol``: tcp, udp, tcp6 or udp6."""

    local_ip: str | None
    local_port: int | None
    remote_ip: str | None
    remote_port: int | None
    state: str | None
    protocol: str | None


@dataclass(frozen=True, slots=True)
class ErrorFacts:
    """What an error event is: ``error_type`` (the event's action, or ``error``), its category
    (auth, disk, memory, service, network, ...), and hints: likely causes, what to do."""

    error_type: str
    error_category: str
    severity: str | None = None
    exception_type: str | None = None
    file_path: str | None = None
    line_number: int | None = None
    error_code: str | None = None
    has_stacktrace: bool = False
    root_cause_hints: tuple[str, ...] = ()
    recovery_suggestions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Trace:
    """One event's trace. ``timestamp``: the event's time (retention ages the trace with its
    event); ``traced_at``: when the process was read (kept in the metadata, and as each row's
    timestamp). ``severity_score`` 0-100."""

    event_id: int
    timestamp: int
    traced_at: int
    source: str | None = None
    severity_score: float | None = None
    root_cause: str | None = None
    causality_chain: tuple[dict[str, Any], ...] = ()  # the process, then its parents
    related_services: tuple[str, ...] = ()  # systemd units
    metadata: dict[str, Any] = field(default_factory=dict)
    processes: tuple[ProcessFacts, ...] = ()
    connections: tuple[ConnectionFacts, ...] = ()
    errors: tuple[ErrorFacts, ...] = ()
    id: int | None = None  # set when read back


_PROCESS_FIELDS = tuple(f.name for f in fields(ProcessFacts))
_CONNECTION_FIELDS = tuple(f.name for f in fields(ConnectionFacts))
_ERROR_FIELDS = tuple(f.name for f in fields(ErrorFacts))
_JSON_ERROR_FIELDS = ("root_cause_hints", "recovery_suggestions")


def _json(value: Any) -> str | None:
    return json.dumps(value, ensure_ascii=False) if value else None


def _loads(text: str | None, empty: Any) -> Any:
    return json.loads(text) if text else empty


class TraceRepo(Repo):
    kind = "event trace"

    def record(self, traces: Sequence[Trace]) -> list[int]:
        """Store ``traces`` with their process, connection and error rows, all in one
        transaction; returns their ids in order. Each trace's event must exist."""
        if not traces:
            return []
        node_id = self._node_id
        with self._store.transaction() as conn:
            ids = list(
                conn.execute(
                    insert(TRACES).returning(TRACES.c.id, sort_by_parameter_order=True),
                    [
                        {
                            "node_id": node_id,
                            "event_id": t.event_id,
                            "timestamp": t.timestamp,
                            "source": t.source,
                            "severity_score": t.severity_score,
                            "root_cause": t.root_cause,
                            "causality_chain": _json(list(t.causality_chain)),
                            "related_services": _json(list(t.related_services)),
                            "trace_metadata": _json({**t.metadata, "traced_at": t.traced_at}),
                        }
                        for t in traces
                    ],
                ).scalars()
            )
            processes, connections, errors = [], [], []
            for trace_id, t in zip(ids, traces, strict=True):
                base = {"trace_id": trace_id, "timestamp": t.traced_at}
                processes += [
                    {**base, **{f: getattr(p, f) for f in _PROCESS_FIELDS}} for p in t.processes
                ]
                connections += [
                    {**base, **{f: getattr(c, f) for f in _CONNECTION_FIELDS}}
                    for c in t.connections
                ]
                for e in t.errors:
                    row = {**base, **{f: getattr(e, f) for f in _ERROR_FIELDS}}
                    for name in _JSON_ERROR_FIELDS:
                        row[name] = _json(list(row[name]))
                    errors.append(row)
            for table, rows in (
                (PROCESSES, processes),
                (CONNECTIONS, connections),
                (ERRORS, errors),
            ):
                if rows:
                    conn.execute(insert(table), rows)
        return ids

    def for_event(self, event_id: int) -> Trace | None:
        """The trace of the event ``event_id`` (of this node), None when it has none; the
        latest when it was traced more than once."""
        t = TRACES.c
        with self._store.reading() as conn:
            row = conn.execute(
                select(
                    t.id, t.event_id, t.timestamp, t.source, t.severity_score, t.root_cause,
                    t.causality_chain, t.related_services, t.trace_metadata,
                )
                .where(t.event_id == event_id, t.node_id == self._node_id)
                .order_by(t.id.desc())
                .limit(1)
            ).first()  # fmt: skip
            if row is None:
                return None
            trace_id = row.id

            def rows(table, names):
                return conn.execute(
                    select(table.c.timestamp, *(table.c[n] for n in names))
                    .where(table.c.trace_id == trace_id)
                    .order_by(table.c.id)
                ).all()

            processes = rows(PROCESSES, _PROCESS_FIELDS)
            connections = rows(CONNECTIONS, _CONNECTION_FIELDS)
            errors = rows(ERRORS, _ERROR_FIELDS)
        metadata = _loads(row.trace_metadata, {})
        traced_at = metadata.pop("traced_at", row.timestamp)
        error_facts = []
        for r in errors:
            values = dict(zip(_ERROR_FIELDS, r[1:], strict=True))
            for name in _JSON_ERROR_FIELDS:
                values[name] = tuple(_loads(values[name], ()))
            values["has_stacktrace"] = bool(values["has_stacktrace"])
            error_facts.append(ErrorFacts(**values))
        return Trace(
            event_id=row.event_id,
            timestamp=row.timestamp,
            traced_at=traced_at,
            source=row.source,
            severity_score=row.severity_score,
            root_cause=row.root_cause,
            causality_chain=tuple(_loads(row.causality_chain, ())),
            related_services=tuple(_loads(row.related_services, ())),
            metadata=metadata,
            processes=tuple(ProcessFacts(*r[1:]) for r in processes),
            connections=tuple(ConnectionFacts(*r[1:]) for r in connections),
            errors=tuple(error_facts),
            id=trace_id,
        )

    def traced(self, event_ids: Sequence[int]) -> set[int]:
        """Which of ``event_ids`` (this node's events) have a trace."""
        found: set[int] = set()
        with self._store.reading() as conn:
            for chunk in chunks(list(event_ids)):
                found.update(
                    conn.scalars(
                        select(TRACES.c.event_id).where(
                            TRACES.c.node_id == self._node_id, TRACES.c.event_id.in_(chunk)
                        )
                    )
                )
        return found

    def candidates(
        self, after_id: int, upto_id: int, actions: Sequence[str], levels: Sequence[str],
        *, limit: int,
    ) -> list[StoredEvent]:  # fmt: skip
        """This node's events with an id in (``after_id``, ``upto_id``] whose action is one of
        ``actions`` or level one of ``levels``, in storing order, at most ``limit``: what a
        tracer looks at, picked in SQL (a range of the events' ids) rather than every new event
        read back."""
        e = EVENTS.c
        query = (
            select(*_EVENT_COLUMNS)
            .where(*self._picked(after_id, upto_id, actions, levels))
            .order_by(e.id)
            .limit(limit)
        )
        with self._store.reading() as conn:
            return [
                StoredEvent(*r[:11], json.loads(r[11]) if r[11] else None)
                for r in conn.execute(query)
            ]

    def count_candidates(
        self, after_id: int, upto_id: int, actions: Sequence[str], levels: Sequence[str]
    ) -> int:
        """How many events ``candidates`` would give without a limit."""
        query = select(func.count()).where(*self._picked(after_id, upto_id, actions, levels))
        with self._store.reading() as conn:
            return conn.scalar(query) or 0

    def _picked(self, after_id, upto_id, actions, levels) -> list:
        e = EVENTS.c
        # The id range first (the primary key), the node checked on each row, as
        # store.logs.newer does.
        return [
            e.id > after_id,
            e.id <= upto_id,
            (e.node_id + 0) == self._node_id,
            or_(e.action.in_(list(actions)), e.level.in_(list(levels))),
        ]

    def count(self) -> int:
        """Traces of this node."""
        with self._store.reading() as conn:
            return conn.scalar(
                select(func.count()).select_from(TRACES).where(TRACES.c.node_id == self._node_id)
            )
