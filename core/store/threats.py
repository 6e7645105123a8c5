"""What is derived from the log events: IP reputation with a threat score, and trace patterns.

``store.threats.update()`` brings both up to date with the events stored since its last run, in
one transaction with the watermark it keeps in ``metadata`` (``threats.last_event_id``, the last
event id it has seen, per node): a crash rolls all of it back, a second run finds nothing new.

IP reputation: the new events' counts per IP are added to the IP's row in the transaction that
moves the watermark past them, so each event is counted exactly once: a second run finds nothing
new, a crash rolls the counts back with the watermark. (Recomputing each touched IP from all of
its stored events, one GROUP BY, is as exact but costs what the touched IPs' whole history
costs: 0.5 s after 10,000 new events over 1,000,000 stored when one busy attacker has 190,000 of
them; adding the new events' counts costs what they cost.) The rows are history: retention
removes a row when its IP was last seen longer ago than the events kept, not the counts of
events it removed meanwhile. ``rebuild()`` recomputes everything from the stored events.
The watermark is an event id: on PostgreSQL an event whose transaction commits after one with a
higher id that an update already read would be passed over, so a node's events are best written
by one writer at a time (on SQLite, writers are serialized anyway).

The threat score of an IP (0-100), ``score()``::

    points = failed_logins + invalid_users + auth_failures + 10 * bans + 0.2 * firewall_blocks
    base   = 100 * (1 - exp(-points / 25))
    score  = base * 0.5 ** (hours since last seen / threats.half_life_hours)

``base`` saturates: 5 failed logins give 18, one ban after 10 failures 55, 25 failures with an
invalid user each 86; 100 only above ~170 points. A ban weighs 10 failures (fail2ban decided the
address was hostile); a firewall block 0.2 (scans are noise, but many add up). Accepted logins
do not lower the score: a success after a run of failures is what a brute force that worked
looks like, not an excuse; an admin's own addresses belong in ``threats.allow``. The score fades
by half every ``threats.half_life_hours`` (default 24) since the IP was last seen, computed for
"now" when read. Private (RFC 1918, 100.64.0.0/10, fc00::/7), loopback, link-local and
unspecified addresses, and those of the networks in ``threats.allow``, score 0. The documentation
ranges (192.0.2.0/24, 2001:db8::/32...) are not exempted: tests and the demo use them as attackers.
``ip_reputation.threat_score`` holds ``base`` at the last update (0 when exempted then);
``threats()`` computes every score from the counts and the current settings.

Trace patterns (``trace_patterns``, signature ``TYPE:KEY``): at least COUNT events (or distinct
users, or IPs) of one key whose times are at most WINDOW seconds apart (settings
``patterns.NAME.count`` and ``.window``): brute force (login_failed per IP), password spraying
(distinct users of login_failed per IP), distributed attack (distinct IPs of login_failed per
user), subnet sweep (distinct IPs per /24 or /64 among login_failed, invalid_user, auth_failure
and firewall_block), a unit failing (unit_failed per metadata ``unit``), I/O errors (io_error
per metadata ``device``). ``occurrence_count`` is the number of events that fall in such a
window; first and last seen are the first and last of them; metadata has the key, the ``peak``
(most events, users or IPs in one window) and the thresholds. Patterns are kept incrementally:
whether an event is in a window depends only on the events within WINDOW of it, so an update
reads the events from two windows before the oldest new one and adds what the new events
change, exactly (the rows do not depend on how the events were split into updates).
"""

from __future__ import annotations

import ipaddress
import json
import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, text

from ..db.prepared import Prepared
from ..models import telemetry
from ..settings import tunable
from .logs import EVENTS, hold_event_writers
from .repo import Repo, chunks
from .telemetry import WATERMARK, _get_meta, _set_meta, hour_start

REPUTATION = telemetry.IpReputation.__table__
PATTERNS = telemetry.TracePattern.__table__
MARK = "threats.last_event_id"  # metadata: the last log event id update() has seen
BATCH = 50_000  # new events read at a time

# The weights of the score's points, per count.
WEIGHTS = {
    "failed_logins": 1.0,
    "invalid_users": 1.0,
    "auth_failures": 1.0,
    "bans": 10.0,
    "firewall_blocks": 0.2,
}
SCALE = 25.0  # points at which the base score is 63 (1 - 1/e)

PRIVATE = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)
HOSTILE = ("login_failed", "invalid_user", "auth_failure", "firewall_block")

# action -> the ip_reputation column that counts it
COUNTED = {
    "login_failed": "failed_login_count",
    "invalid_user": "invalid_user_count",
    "auth_failure": "auth_failure_count",
    "ban": "banned_count",  # ban_restored and already_banned are not new bans
    "firewall_block": "firewall_block_count",
    "login_accepted": "accepted_login_count",
}
REPUTATION_COLUMNS = (
    "first_seen", "last_seen", "threat_score", "total_events", *COUNTED.values(),
)  # fmt: skip
UPSERT_REPUTATION = Prepared(
    text(
        "INSERT INTO ip_reputation (node_id, ip_address, "
        + ", ".join(REPUTATION_COLUMNS)
        + ") VALUES (:node_id, :ip_address, "
        + ", ".join(f":{c}" for c in REPUTATION_COLUMNS)
        + ") ON CONFLICT (node_id, ip_address) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in REPUTATION_COLUMNS)
    ),
    ["node_id", "ip_address", *REPUTATION_COLUMNS],
)
UPSERT_PATTERN = Prepared(
    text(
        "INSERT INTO trace_patterns (node_id, pattern_type, signature, first_seen, last_seen, "
        "occurrence_count, metadata) VALUES (:node_id, :pattern_type, :signature, :first_seen, "
        ":last_seen, :occurrence_count, :metadata) ON CONFLICT (node_id, signature) DO UPDATE "
        "SET pattern_type = excluded.pattern_type, first_seen = excluded.first_seen, "
        "last_seen = excluded.last_seen, occurrence_count = excluded.occurrence_count, "
        "metadata = excluded.metadata"
    ),
    ["node_id", "pattern_type", "signature", "first_seen", "last_seen", "occurrence_count",
     "metadata"],
)  # fmt: skip


@dataclass(frozen=True)
class Threat:
    """One IP's reputation and its score now. Times are Unix seconds (UTC)."""

    ip: str
    score: float
    failed_logins: int
    invalid_users: int
    auth_failures: int
    bans: int
    firewall_blocks: int
    accepted_logins: int
    first_seen: int
    last_seen: int


@dataclass(frozen=True)
class Pattern:
    pattern_type: str
    signature: str
    first_seen: int
    last_seen: int
    occurrence_count: int
    metadata: dict


@dataclass(frozen=True)
class Updated:
    """What one ``update()`` did: new events read, IPs recomputed, pattern rows written."""

    events: int
    ips: int
    patterns: int


# -- the score


def points(failed_logins=0, invalid_users=0, auth_failures=0, bans=0, firewall_blocks=0) -> float:
    return (
        WEIGHTS["failed_logins"] * failed_logins
        + WEIGHTS["invalid_users"] * invalid_users
        + WEIGHTS["auth_failures"] * auth_failures
        + WEIGHTS["bans"] * bans
        + WEIGHTS["firewall_blocks"] * firewall_blocks
    )


def base_score(value: float) -> float:
    """The score (0-100) of ``points``, before decay."""
    return 100.0 * (1.0 - math.exp(-max(0.0, value) / SCALE))


def decayed(base: float, last_seen: float, now: float, half_life_hours: float) -> float:
    age = max(0.0, now - last_seen)
    return base * 0.5 ** (age / (half_life_hours * 3600.0))


def exempt(ip: str, allow: Iterable = ()) -> bool:
    """Whether ``ip`` scores 0: private, loopback, link-local, unspecified, or in ``allow``
    (ip_network objects). Text that is no address is not exempted."""
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])  # fe80::1%eth0: the zone is not the IP
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    if addr.is_loopback or addr.is_link_local or addr.is_unspecified:
        return True
    return any(addr.version == n.version and addr in n for n in (*PRIVATE, *allow))


@lru_cache(maxsize=65_536)
def subnet(ip: str | None) -> str | None:
    """The /24 of an IPv4 address, the /64 of an IPv6 one (IPv4-mapped: its /24)."""
    if not ip:
        return None
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    prefix = 24 if addr.version == 4 else 64
    return str(ipaddress.ip_network(f"{addr}/{prefix}", strict=False))


def _count(seen: dict[str, list[int]], rows: Iterable) -> None:
    """Add events (id, timestamp, ip, user, metadata, action) to ``seen``: per IP, the first
    and last time, the number of events and the number of each action of ``COUNTED``."""
    slots = {action: 3 + i for i, action in enumerate(COUNTED)}
    for row in rows:
        ip = row[2]
        if not ip:
            continue
        ts = int(row[1])
        found = seen.get(ip)
        if found is None:
            found = seen[ip] = [ts, ts, 0, *([0] * len(COUNTED))]
        elif ts < found[0]:
            found[0] = ts
        elif ts > found[1]:
            found[1] = ts
        found[2] += 1
        slot = slots.get(row[5])
        if slot is not None:
            found[slot] += 1


# -- patterns


def _meta_field(name: str) -> Callable[[tuple], str | None]:
    def read(row: tuple) -> str | None:
        raw = row[4]
        if not raw:
            return None
        try:
            value = json.loads(raw).get(name)
        except (ValueError, AttributeError):
            return None
        return None if value in (None, "") else str(value)

    return read


# (pattern type, settings name, actions, key of an event, what is counted: None for events,
# else the distinct value of an event). Event rows are (id, timestamp, ip, user, metadata).
PATTERN_RULES: tuple[tuple[str, str, tuple[str, ...], Callable, Callable | None], ...] = (
    ("brute_force", "brute_force", ("login_failed",), lambda r: r[2], None),
    ("password_spray", "password_spray", ("login_failed",), lambda r: r[2], lambda r: r[3]),
    ("distributed_attack", "distributed", ("login_failed",), lambda r: r[3], lambda r: r[2]),
    ("subnet_sweep", "sweep", HOSTILE, lambda r: subnet(r[2]), lambda r: r[2]),
    ("unit_failing", "unit_failed", ("unit_failed",), _meta_field("unit"), None),
    ("io_errors", "io_error", ("io_error",), _meta_field("device"), None),
)
KEY_NAMES = {
    "brute_force": "ip", "password_spray": "ip", "distributed_attack": "user",
    "subnet_sweep": "subnet", "unit_failing": "unit", "io_errors": "device",
}  # fmt: skip


def in_windows(
    times: Sequence[int], items: Sequence[Any] | None, count: int, window: int
) -> tuple[list[bool], int]:
    """For events sorted by time: whether each lies in a run of events at most ``window``
    seconds apart that holds at least ``count`` events (``items`` None) or ``count`` distinct
    items; and the most events or items in one such run (the peak)."""
    inside = [False] * len(times)
    held: Counter = Counter()
    start = marked = peak = 0
    for end, t in enumerate(times):
        if items is not None:
            held[items[end]] += 1
        while t - times[start] > window:
            if items is not None:
                held[items[start]] -= 1
                if not held[items[start]]:
                    del held[items[start]]
            start += 1
        size = len(held) if items is not None else end - start + 1
        peak = max(peak, size)
        if size >= count:
            for k in range(max(start, marked), end + 1):
                inside[k] = True
            marked = end + 1
    return inside, peak


def signature(kind: str, key: str) -> str:
    """``kind:key``, within the column's 255 characters (a longer key is cut and hashed)."""
    sig = f"{kind}:{key}"
    if len(sig) <= 255:
        return sig
    import hashlib

    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{sig[:230]}...{digest}"


class ThreatRepo(Repo):
    kind = "threat"

    # -- update

    def update(self) -> Updated:
        """Bring ip_reputation and trace_patterns up to date with the events stored since the
        last update, in one transaction; also moves the hourly rollup's watermark back to the
        hour of the oldest new event, so ``update_aggregates`` rolls imported history up."""
        node_id = self._node_id
        if node_id == 0 or self._store.read_only:
            return Updated(0, 0, 0)
        with self._store.transaction() as conn:
            # Two updates of one node at once (the collector's, an import's) would both read
            # the same watermark and add the same events; a batch of events committing its ids
            # after an update read past them would be skipped: each waits for the others.
            hold_event_writers(self._store, conn)
            mark = int(_get_meta(conn, node_id, MARK) or 0)
            settings = self._pattern_settings()
            allow = tunable(self._store, "threats.allow")
            seen: dict[str, list[int]] = {}  # ip -> first, last, total, *counts of new events
            events = patterns = 0
            oldest: int | None = None
            while True:
                rows = conn.execute(
                    select(
                        EVENTS.c.id, EVENTS.c.timestamp, EVENTS.c.ip_address, EVENTS.c.user,
                        EVENTS.c.metadata, EVENTS.c.action,
                    )
                    .where(EVENTS.c.node_id == node_id, EVENTS.c.id > mark)
                    .order_by(EVENTS.c.id)
                    .limit(BATCH)
                ).all()  # fmt: skip
                if not rows:
                    break
                last = rows[-1][0]
                events += len(rows)
                _count(seen, rows)
                low = min(r[1] for r in rows)
                oldest = low if oldest is None else min(oldest, low)
                patterns += self._patterns(conn, rows, mark, last, settings)
                mark = last
                if len(rows) < BATCH:
                    break
            if not events:
                return Updated(0, 0, 0)
            self._reputation(conn, seen, allow)
            values = {MARK: str(mark)}
            aggregated = _get_meta(conn, node_id, WATERMARK)
            if aggregated is not None and hour_start(int(oldest or 0)) < int(aggregated):
                values[WATERMARK] = str(hour_start(int(oldest or 0)))
            _set_meta(conn, node_id, values)
        return Updated(events, len(seen), patterns)

    def _reputation(self, conn: Connection, seen: dict[str, list[int]], allow) -> None:
        """Add the counts of the new events (``seen``) to their IPs' rows, and score them."""
        node_id = self._node_id
        r = REPUTATION.c
        query = select(r.ip_address, *(r[c] for c in REPUTATION_COLUMNS)).where(
            r.node_id == node_id, r.ip_address.in_(bindparam("ips", expanding=True))
        )
        stored = {}
        for chunk in chunks(sorted(seen)):  # type: ignore[arg-type]
            for row in conn.execute(query, {"ips": chunk}):
                stored[row[0]] = row[1:]
        out = []
        for ip, (first, last, total, *counts) in seen.items():
            old = stored.get(ip)
            if old is not None:
                first, last = min(first, old[0]), max(last, old[1])
                total += old[3]
                counts = [a + b for a, b in zip(counts, old[4:], strict=True)]
            c = dict(zip(COUNTED.values(), counts, strict=True))
            score = 0.0
            if not exempt(ip, allow):
                score = base_score(
                    points(c["failed_login_count"], c["invalid_user_count"],
                           c["auth_failure_count"], c["banned_count"], c["firewall_block_count"])
                )  # fmt: skip
            out.append((node_id, ip, first, last, round(score, 3), total, *counts))
        UPSERT_REPUTATION.executemany(conn, out)

    def rebuild(self) -> Updated:
        """Forget this node's IP reputation, trace patterns and watermark, and derive them again
        from every stored event (after a change of the pattern thresholds, say)."""
        with self._store.transaction() as conn:
            for table in (REPUTATION, PATTERNS):
                conn.execute(table.delete().where(table.c.node_id == self._node_id))
            META = telemetry.Metadata.__table__
            conn.execute(META.delete().where(META.c.node_id == self._node_id, META.c.key == MARK))
            return self.update()

    def _pattern_settings(self) -> dict[str, tuple[int, int]]:
        return {
            name: (
                int(tunable(self._store, f"patterns.{name}.count")),
                int(tunable(self._store, f"patterns.{name}.window")),
            )
            for _, name, *_ in PATTERN_RULES
        }

    def _patterns(self, conn: Connection, new: list, mark: int, last: int, settings: dict) -> int:
        """Add what the new events (ids above ``mark`` up to ``last``) change to the pattern
        rows; returns the rows written."""
        node_id = self._node_id
        written = 0
        fetched: dict[tuple[tuple[str, ...], int], list] = {}
        for kind, name, actions, key_of, item_of in PATTERN_RULES:
            count, window = settings[name]
            mine = [r for r in new if r[5] in actions]
            keys = {k for k in map(key_of, mine) if k is not None}
            if not keys:
                continue
            since = min(r[1] for r in mine if key_of(r) is not None)
            cache_key = (actions, since - 2 * window)
            if cache_key not in fetched:
                fetched[cache_key] = conn.execute(
                    select(
                        EVENTS.c.id, EVENTS.c.timestamp, EVENTS.c.ip_address, EVENTS.c.user,
                        EVENTS.c.metadata,
                    )
                    .where(
                        EVENTS.c.node_id == node_id, EVENTS.c.action.in_(actions),
                        EVENTS.c.timestamp >= since - 2 * window, EVENTS.c.id <= last,
                    )
                    .order_by(EVENTS.c.timestamp, EVENTS.c.id)
                ).all()  # fmt: skip
            by_key: dict[str, list] = {}
            for r in fetched[cache_key]:
                k = key_of(r)
                if k in keys and (item_of is None or item_of(r) is not None):
                    by_key.setdefault(k, []).append(r)
            changes = {}
            for k, rows in by_key.items():
                change = _change(rows, mark, since - window, count, window, item_of)
                if change is not None:
                    changes[signature(kind, k)] = (k, change)
            if not changes:
                continue
            stored = self._stored_patterns(conn, list(changes))
            out = []
            for sig, (k, (added, first, lastseen, peak)) in changes.items():
                old = stored.get(sig)
                meta = {KEY_NAMES[kind]: k, "peak": peak, "count": count, "window": window}
                if old is not None:
                    first = min(first, old[0]) if first is not None else old[0]
                    lastseen = max(lastseen, old[1]) if lastseen is not None else old[1]
                    added += old[2]
                    meta["peak"] = max(peak, int(old[3].get("peak", 0)))
                elif not added:
                    continue
                out.append((node_id, kind, sig, first, lastseen, added,
                            json.dumps(meta, separators=(",", ":"))))  # fmt: skip
            UPSERT_PATTERN.executemany(conn, out)
            written += len(out)
        return written

    def _stored_patterns(self, conn: Connection, sigs: list[str]) -> dict:
        p = PATTERNS.c
        found = {}
        for chunk in chunks(sigs):  # type: ignore[arg-type]
            for sig, first, last, occurrences, meta in conn.execute(
                select(p.signature, p.first_seen, p.last_seen, p.occurrence_count, p.metadata)
                .where(p.node_id == self._node_id, p.signature.in_(chunk))
            ):  # fmt: skip
                try:
                    loaded = json.loads(meta) if meta else {}
                except ValueError:
                    loaded = {}
                found[sig] = (first, last, occurrences, loaded if isinstance(loaded, dict) else {})
        return found

    # -- reads

    def threats(
        self, min_score: float = 0, limit: int | None = None, now: float | None = None
    ) -> list[Threat]:
        """The IPs of this node whose score now is at least ``min_score``, highest first (then
        the most recently seen), at most ``limit``."""
        now = time.time() if now is None else now
        half_life = float(tunable(self._store, "threats.half_life_hours"))
        allow = tunable(self._store, "threats.allow")
        r = REPUTATION.c
        query = select(
            r.ip_address, r.failed_login_count, r.invalid_user_count, r.auth_failure_count,
            r.banned_count, r.firewall_block_count, r.accepted_login_count, r.first_seen,
            r.last_seen,
        ).where(r.node_id == self._node_id)  # fmt: skip
        wanted = (min(float(min_score), 100.0) - 0.05) * 0.999  # a score is rounded to 0.1
        if wanted > 0:
            # Only rows that could reach it: enough points, and seen recently enough that the
            # decay leaves enough (both bounds loosened a little; the exact test is below).
            query = query.where(
                r.failed_login_count * WEIGHTS["failed_logins"]
                + r.invalid_user_count * WEIGHTS["invalid_users"]
                + r.auth_failure_count * WEIGHTS["auth_failures"]
                + r.banned_count * WEIGHTS["bans"]
                + r.firewall_block_count * WEIGHTS["firewall_blocks"]
                >= -SCALE * math.log(1 - wanted / 100) * 0.999,
                r.last_seen >= int(now - half_life * 3600 * math.log2(100 / wanted)) - 1,
            )
        with self._store.reading() as conn:
            rows = conn.execute(query).all()
        found = []
        for ip, failed, invalid, auth, bans, blocks, accepted, first, last in rows:
            score = 0.0
            if not exempt(ip, allow):
                base = base_score(points(failed, invalid, auth, bans, blocks))
                score = round(decayed(base, last, now, half_life), 1)
            if score >= min_score:
                found.append(Threat(ip, score, failed, invalid, auth, bans, blocks, accepted,
                                    int(first), int(last)))  # fmt: skip
        found.sort(key=lambda t: (-t.score, -t.last_seen, t.ip))
        return found if limit is None else found[:limit]

    def activity(
        self, ips: Sequence[str], since: int, until: int, buckets: int
    ) -> dict[str, list[int]]:
        """Each IP of ``ips``: its events in each of ``buckets`` equal spans from ``since``
        (included) to ``until`` (excluded), the oldest first; an IP without events there has
        zeros. A span is ``ceil((until - since) / buckets)`` seconds, so the last one may end
        after ``until`` (events from ``until`` on are not counted). One GROUP BY over the
        (node, IP, time) index, the IPs given a chunk at a time."""
        since, until, buckets = int(since), int(until), int(buckets)
        if buckets < 1:
            raise ValueError(f"buckets must be at least 1, not {buckets}")
        counts = {ip: [0] * buckets for ip in ips}
        if until <= since or not counts:
            return counts
        width = -(-(until - since) // buckets)
        e = EVENTS.c
        bucket = ((e.timestamp - since) // width).label("bucket")
        query = (
            select(e.ip_address, bucket, func.count())
            .where(
                e.node_id == self._node_id,
                e.ip_address.in_(bindparam("ips", expanding=True)),
                e.timestamp >= since,
                e.timestamp < until,
            )
            .group_by(e.ip_address, bucket)
        )
        with self._store.reading() as conn:
            for chunk in chunks(sorted(counts)):  # type: ignore[arg-type]
                for ip, at, n in conn.execute(query, {"ips": chunk}):
                    counts[ip][int(at)] += int(n)
        return counts

    def patterns(self, pattern_type: str | None = None) -> list[Pattern]:
        """This node's trace patterns, most recently seen first."""
        p = PATTERNS.c
        query = select(
            p.pattern_type, p.signature, p.first_seen, p.last_seen, p.occurrence_count,
            p.metadata,
        ).where(p.node_id == self._node_id)  # fmt: skip
        if pattern_type is not None:
            query = query.where(p.pattern_type == pattern_type)
        with self._store.reading() as conn:
            rows = conn.execute(query.order_by(p.last_seen.desc(), p.signature)).all()
        return [
            Pattern(kind, sig, int(first), int(last), int(n), json.loads(meta) if meta else {})
            for kind, sig, first, last, n, meta in rows
        ]


def _change(
    rows: list, mark: int, counted_from: int, count: int, window: int, item_of: Callable | None
) -> tuple[int, int | None, int | None, int] | None:
    """What the events above ``mark`` add to one key's pattern, from its events (sorted by
    time) since two windows before the oldest new one: (events newly in a window, the first
    and last time of the events in a window from ``counted_from`` on, the peak), or None when
    none of them is in a window."""
    times = [r[1] for r in rows]
    items = None if item_of is None else [item_of(r) for r in rows]
    after, peak = in_windows(times, items, count, window)
    if not any(after):
        return None
    old = [i for i, r in enumerate(rows) if r[0] <= mark]
    before, _ = in_windows(
        [times[i] for i in old], None if items is None else [items[i] for i in old],
        count, window,
    )  # fmt: skip
    was = {i for i, inside in zip(old, before, strict=True) if inside}
    added = 0
    first = last = None
    for i, inside in enumerate(after):
        if not inside or times[i] < counted_from:
            continue
        if i not in was:
            added += 1
        first = times[i] if first is None else first
        last = times[i]
    return added, first, last, peak
