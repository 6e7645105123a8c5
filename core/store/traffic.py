"""Traffic accounting per chain that survives restarts, reboots and counter wraps.

``record()`` loads the state of the chains read, counts each reading with the rules of
``core.traffic_rules``, and writes the new states, the finished periods (history) and the
service limit flags in one transaction: either all of it is stored or none, so a collector that
stops anywhere neither loses nor double-counts a byte.

Service limits: a service chain is ``service:<id>:in`` (limited by the service's ``dl_limit``) or
``service:<id>:out`` (``ul_limit``), in bytes per period; a limit that is NULL or 0 means none.
When a chain's value goes over its limit, the service's status becomes 2 (limit exceeded) and a
``traffic_limit`` warning is logged to ``log_events``; when a new period starts, a status of 2 goes
back to 0 (ok). ``rollover()`` closes the periods of chains that got no reading, so a quiet
chain's period still ends and its flag is cleared.

Chains, their history and the services they limit are the store's node's (``Store.node_id``):
every node of a database may have its ``eth0:in``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Connection, and_, bindparam, delete, insert, select, update

from ..db.prepared import Prepared, PreparedIn
from ..errors import NotFound, ValidationError
from ..models.base import utcnow
from ..models.services import Service, TrafficHistory, TrafficMonitor
from ..models.telemetry import LogEvent
from ..settings import tunable
from ..traffic_rules import (
    WRAP64,
    ChainState,
    Finished,
    Reading,
    account_rule,
    parse_service_chain,
    period_start,
    service_chain,
)
from .repo import Repo, chunks

TM = TrafficMonitor.__table__
TH = TrafficHistory.__table__
SV = Service.__table__
LE = LogEvent.__table__

STATUS_OK = 0
STATUS_LIMIT_EXCEEDED = 2
LIMIT_COLUMN = {"in": "dl_limit", "out": "ul_limit"}

# What every collector reading runs, compiled once (see core.db.prepared). Each statement is
# limited to one node, its id a bound value (``node_id``): the chains are named per node.
STATE_COLUMNS = ("value", "time", "last_raw", "boot_time", "period_start")
_STATE_QUERY = select(TM.c.chain, TM.c.last_raw, TM.c.boot_time, TM.c.value, TM.c.period_start,
                      TM.c.time)  # fmt: skip
_NODE = bindparam("node_id")
STATES = PreparedIn(
    lambda chains: _STATE_QUERY.where(TM.c.node_id == _NODE, TM.c.chain.in_(chains)), ["node_id"]
)
# PostgreSQL: concurrent collectors wait for each other instead of counting twice.
STATES_LOCKED = PreparedIn(
    lambda chains: _STATE_QUERY.where(
        TM.c.node_id == _NODE, TM.c.chain.in_(chains)
    ).with_for_update(),
    ["node_id"],
)
UPDATE_STATE = Prepared(
    update(TM)
    .where(TM.c.node_id == bindparam("b_node_id"), TM.c.chain == bindparam("b_chain"))
    .values({c: bindparam(f"b_{c}") for c in STATE_COLUMNS}),
    [f"b_{c}" for c in ("node_id", "chain", *STATE_COLUMNS)],
)
INSERT_STATE = Prepared(insert(TM), ("node_id", "chain", *STATE_COLUMNS))
# Chains still in a period before the current one (or in none): their period ends.
QUIET = Prepared(
    select(TM.c.chain, TM.c.value, TM.c.period_start, TM.c.time)
    .where(
        TM.c.node_id == _NODE,
        (TM.c.period_start < bindparam("current")) | TM.c.period_start.is_(None),
    )
    .order_by(TM.c.chain)
    .with_for_update(),
    ["node_id", "current"],
)


_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")  # C0 controls and DEL


class TrafficSettings(NamedTuple):
    period: str  # hour, day, month
    max_rate: int  # bits/s; a faster delta is discarded


@dataclass(frozen=True)
class ChainInfo:
    chain: str
    value: int  # bytes in the current period
    time: datetime | None  # when the chain was last read
    period_start: datetime | None


@dataclass(frozen=True)
class HistoryEntry:
    chain: str
    period: str
    period_start: datetime
    value: int


@dataclass(frozen=True)
class Counted:
    """What ``record()`` did with one reading."""

    chain: str
    rule: str  # see core.traffic_rules: baseline, count, wrap32, wrap64, reset, reboot, discarded
    counted: int  # bytes added to the period by this reading
    value: int  # the chain's value in its period afterwards
    period_start: datetime
    finished: Finished | None  # the period this reading closed, if any


class TrafficRepo(Repo):
    kind = "traffic chain"
    table = TM

    # -- reads ------------------------------------------------------------------------------

    def names(self) -> list[str]:
        with self._store.reading() as conn:
            return list(conn.scalars(select(TM.c.chain).where(self._here()).order_by(TM.c.chain)))

    def _here(self):
        """The condition that limits a statement on the accounting state to the store's node."""
        return TM.c.node_id == self._store.node_id

    def chains(self) -> list[ChainInfo]:
        """Every chain with its value in the current period, by name."""
        query = (
            select(TM.c.chain, TM.c.value, TM.c.time, TM.c.period_start)
            .where(self._here())
            .order_by(TM.c.chain)
        )
        with self._store.reading() as conn:
            return [ChainInfo(*row) for row in conn.execute(query)]

    def get(self, chain: str) -> ChainInfo:
        query = select(TM.c.chain, TM.c.value, TM.c.time, TM.c.period_start).where(
            self._here(), TM.c.chain == chain
        )
        with self._store.reading() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise NotFound(self.kind, chain)
        return ChainInfo(*row)

    def state(self, chain: str) -> ChainState:
        """The full accounting state of a chain (last raw counter, boot, ...)."""
        with self._store.reading() as conn:
            states = self._states(conn, [chain], lock=False)
        if chain not in states:
            raise NotFound(self.kind, chain)
        return states[chain]

    def history(
        self, chain: str | None = None, since: datetime | None = None
    ) -> list[HistoryEntry]:
        """Finished periods (of one chain, or all), starting at or after ``since``, by chain
        and time."""
        query = (
            select(TH.c.chain, TH.c.period, TH.c.period_start, TH.c.value)
            .where(TH.c.node_id == self._store.node_id)
            .order_by(TH.c.chain, TH.c.period_start)
        )
        if chain is not None:
            query = query.where(TH.c.chain == chain)
        if since is not None:
            _aware(since, "since")
            query = query.where(TH.c.period_start >= since)
        with self._store.reading() as conn:
            return [HistoryEntry(*row) for row in conn.execute(query)]

    # -- writes -----------------------------------------------------------------------------

    def record(self, readings: Iterable[Reading], *, now: datetime | None = None) -> list[Counted]:
        """Count ``readings`` (in order) and store everything in one transaction.

        ``now`` stamps the limit warnings; by default each warning has its chain's reading time.
        Raises ValidationError for a malformed reading; nothing is written then. A stored
        ``traffic.*`` setting that breaks its rule is logged once and its default used.
        """
        readings = self.checked(readings)
        if now is not None:
            _aware(now, "now")
        if not readings:
            return []
        with self._store.transaction() as conn:
            return self._record(conn, readings, now=now, settings=self.settings())

    def checked(self, readings: Iterable[Reading]) -> list[Reading]:
        """The readings as a list, each checked (ValidationError for a malformed one)."""
        readings = list(readings)
        for reading in readings:
            _check_reading(reading)
        return readings

    def rollover(self, now: datetime | None = None) -> list[Finished]:
        """Close the period of every chain still in a period before ``now``'s (chains that got
        no reading across the boundary): its total becomes history, its value restarts at 0,
        and the limit flags of its service are cleared. The raw counter and its time are kept,
        so the next reading counts exactly as it would have."""
        now = utcnow() if now is None else _aware(now, "now")
        with self._store.transaction() as conn:
            return self._rollover(conn, now, self.settings().period)

    # -- inside the caller's transaction (record_reading joins them in one) ------------------

    def settings(self) -> TrafficSettings:
        """The ``traffic.*`` settings in force (a stored value that breaks its rule is logged
        once and its default used)."""
        return TrafficSettings(
            tunable(self._store, "traffic.period"), tunable(self._store, "traffic.max_rate")
        )

    def _record(
        self,
        conn: Connection,
        readings: list[Reading],
        *,
        now: datetime | None,
        settings: TrafficSettings,
    ) -> list[Counted]:
        """``record()``'s work on checked readings."""
        if not readings:
            return []
        period, max_rate = settings
        names = sorted({r.chain for r in readings})
        before = self._states(conn, names, lock=True)
        states: dict[str, ChainState | None] = dict.fromkeys(names)
        states.update(before)
        # Value of each chain at the start of its (final) period, to see limits crossed.
        start_value = {c: (s.value if s else 0) for c, s in states.items()}
        finished: list[Finished] = []
        results = []
        for reading in readings:
            new, delta, done, rule = account_rule(
                states[reading.chain], reading, period=period, max_rate_bits=max_rate
            )
            states[reading.chain] = new
            if done is not None:
                finished.append(done)
                start_value[reading.chain] = 0
            results.append(
                Counted(reading.chain, rule, delta, new.value, new.period_start, done)  # type: ignore[arg-type]
            )
        self._write_states(conn, states, existing=set(before))  # type: ignore[arg-type]
        self._write_history(conn, finished)
        services = {p[0] for p in map(parse_service_chain, names) if p}
        if services:
            self._check_limits(
                conn,
                services,
                new_period={p[0] for f in finished if (p := parse_service_chain(f.chain))},
                start_value=start_value,
                period=period,
                now=now,
            )
        return results

    def _rollover(self, conn: Connection, now: datetime, period: str) -> list[Finished]:
        """``rollover()``'s work."""
        current = period_start(now, period)
        node_id = self._store.node_id
        rows = QUIET.rows(conn, (node_id, current))
        if not rows:
            return []
        finished, changes = [], []
        for chain, value, start, time in rows:
            if start is None:  # a row kept without its period: the period of its time
                start = period_start(time, period) if time is not None else current
            if start < current:
                finished.append(Finished(chain, period, start, value or 0))
                changes.append({"b_chain": chain, "b_value": 0, "b_start": current})
            else:
                changes.append({"b_chain": chain, "b_value": value or 0, "b_start": start})
        conn.execute(
            update(TM)
            .where(TM.c.node_id == node_id, TM.c.chain == bindparam("b_chain"))
            .values(value=bindparam("b_value"), period_start=bindparam("b_start")),
            changes,
        )
        self._write_history(conn, finished)
        services = {p[0] for chain, *_ in rows if (p := parse_service_chain(chain))}
        if services:
            self._check_limits(
                conn,
                services,
                new_period={p[0] for f in finished if (p := parse_service_chain(f.chain))},
                start_value={},
                period=period,
                now=now,
            )
        return finished

    def delete(self, chain: str) -> None:
        """Forget a chain's state (its history stays); its next reading is a new baseline."""
        with self._store.transaction() as conn:
            if conn.execute(delete(TM).where(self._here(), TM.c.chain == chain)).rowcount == 0:
                raise NotFound(self.kind, chain)

    # -- internals --------------------------------------------------------------------------

    def _states(self, conn: Connection, names: list[str], *, lock: bool) -> dict[str, ChainState]:
        query = STATES_LOCKED if lock else STATES
        return {
            chain: ChainState(
                last_raw=raw, boot_time=boot, value=value or 0, period_start=start, time=time
            )  # fmt: skip
            for chain, raw, boot, value, start, time in query.rows(
                conn, names, (self._store.node_id,)
            )
        }

    def _write_states(
        self, conn: Connection, states: dict[str, ChainState], existing: set[str]
    ) -> None:
        node_id = self._store.node_id
        rows = {
            chain: (node_id, chain, s.value, s.time, s.last_raw, s.boot_time, s.period_start)
            for chain, s in states.items()
        }
        UPDATE_STATE.executemany(conn, [row for c, row in rows.items() if c in existing])
        INSERT_STATE.executemany(conn, [row for c, row in rows.items() if c not in existing])

    def _write_history(self, conn: Connection, finished: list[Finished]) -> None:
        """Insert finished periods; one already kept for the same chain and start (possible
        only after a chain was deleted and read again, or the clock went back) is added to."""
        if not finished:
            return
        node_id = self._store.node_id
        chains = sorted({f.chain for f in finished})
        starts = sorted({f.period_start for f in finished})
        present = set()
        for chunk in chunks(chains):  # type: ignore[arg-type]
            query = select(TH.c.chain, TH.c.period_start).where(
                TH.c.node_id == node_id, TH.c.chain.in_(chunk)
            )
            if len(starts) < 500:
                query = query.where(TH.c.period_start.in_(starts))
            present.update((r.chain, r.period_start) for r in conn.execute(query))
        new = [f for f in finished if (f.chain, f.period_start) not in present]
        old = [f for f in finished if (f.chain, f.period_start) in present]
        if new:
            conn.execute(
                insert(TH),
                [
                    {
                        "node_id": node_id,
                        "chain": f.chain,
                        "period": f.period,
                        "period_start": f.period_start,
                        "value": f.total,
                    }
                    for f in new
                ],
            )
        if old:
            conn.execute(
                update(TH)
                .where(
                    and_(
                        TH.c.node_id == node_id,
                        TH.c.chain == bindparam("b_chain"),
                        TH.c.period_start == bindparam("b_ps"),
                    )
                )
                .values(value=TH.c.value + bindparam("b_total", type_=TH.c.value.type)),
                [{"b_chain": f.chain, "b_ps": f.period_start, "b_total": f.total} for f in old],
            )

    def _check_limits(
        self,
        conn: Connection,
        services: set[str],
        *,
        new_period: set[str],
        start_value: dict[str, int],
        period: str,
        now: datetime | None,
    ) -> None:
        """Flag services over a limit, clear flags at a new period.

        ``start_value`` holds each chain's value at the start of this call's period (chains
        missing from it are taken as not grown, so nothing new is reported for them).
        """
        node_id = self._store.node_id
        ids = sorted(services)
        rows = []
        for chunk in chunks(ids):  # type: ignore[arg-type]
            rows.extend(
                conn.execute(
                    select(SV.c.id, SV.c.status, SV.c.ul_limit, SV.c.dl_limit)
                    .where(SV.c.node_id == node_id, SV.c.id.in_(chunk))
                    .with_for_update()
                )
            )
        if not rows:
            return
        chains = [service_chain(r.id, d) for r in rows for d in ("in", "out")]
        values: dict[str, tuple[int, datetime | None, datetime | None]] = {}
        for chunk in chunks(chains):  # type: ignore[arg-type]
            query = select(TM.c.chain, TM.c.value, TM.c.time, TM.c.period_start)
            for r in conn.execute(query.where(TM.c.node_id == node_id, TM.c.chain.in_(chunk))):
                values[r.chain] = (r.value, r.time, r.period_start)
        status_updates, events = [], []
        for row in rows:
            over, crossed = [], []
            # A chain still in an older period than its sibling (it got no reading since the
            # boundary) no longer counts against the limit.
            starts = [values[c][2] for c in (service_chain(row.id, d) for d in LIMIT_COLUMN)
                      if c in values and values[c][2] is not None]  # fmt: skip
            latest = max(starts, default=None)
            for direction, column in LIMIT_COLUMN.items():
                chain = service_chain(row.id, direction)
                limit = getattr(row, column)
                if not limit or limit <= 0 or chain not in values:
                    continue
                value, time, start = values[chain]
                if start is not None and latest is not None and start < latest:
                    continue
                if value > limit:
                    over.append((chain, column, value, limit, time, start))
                    if start_value.get(chain, value) <= limit:
                        crossed.append(over[-1])
            status = row.status
            if row.id in new_period and status == STATUS_LIMIT_EXCEEDED:
                status = STATUS_OK  # a new period starts unflagged
            if over:
                report = over if status != STATUS_LIMIT_EXCEEDED else crossed
                status = STATUS_LIMIT_EXCEEDED
                for chain, column, value, limit, time, start in report:
                    stamp = now or time or utcnow()
                    events.append(
                        {
                            "node_id": node_id,
                            "timestamp": int(stamp.timestamp()),
                            "source": "nodekeeper",
                            "level": "warning",
                            "message": (
                                f"service {row.id!r} is over its traffic limit: chain {chain} "
                                f"used {value} bytes this {period}, {column} is {limit} bytes"
                            ),
                            "service": row.id,
                            "action": "traffic_limit",
                            "metadata": json.dumps(
                                {
                                    "chain": chain,
                                    "value": value,
                                    "limit": limit,
                                    "limit_column": column,
                                    "period": period,
                                    "period_start": start.isoformat() if start else None,
                                }
                            ),
                        }
                    )
            if status != row.status:
                status_updates.append({"b_id": row.id, "b_status": status})
        if status_updates:
            conn.execute(
                update(SV)
                .where(SV.c.node_id == node_id, SV.c.id == bindparam("b_id"))
                .values(status=bindparam("b_status")),
                status_updates,
            )
        if events:
            conn.execute(insert(LE), events)


def _aware(t: datetime, field: str) -> datetime:
    if not isinstance(t, datetime) or t.tzinfo is None:
        raise ValidationError(field, t, "must be a timezone-aware datetime")
    return t


def _check_reading(r: Reading) -> None:
    if not isinstance(r, Reading):
        raise ValidationError("reading", r, "must be a core.traffic_rules.Reading")
    if not isinstance(r.chain, str) or not r.chain or len(r.chain) > 255:
        raise ValidationError("reading.chain", r.chain, "must be a string of 1 to 255 characters")
    if _CONTROL_CHARACTER.search(r.chain):
        raise ValidationError("reading.chain", r.chain, "must not contain control characters")
    if isinstance(r.raw, bool) or not isinstance(r.raw, int) or not 0 <= r.raw < WRAP64:
        raise ValidationError(
            f"reading {r.chain}: raw", r.raw, "must be an unsigned 64-bit counter"
        )
    if isinstance(r.boot_time, bool) or not isinstance(r.boot_time, int):
        raise ValidationError(f"reading {r.chain}: boot_time", r.boot_time, "must be an integer")
    _aware(r.time, f"reading {r.chain}: time")
