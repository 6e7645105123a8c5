"""The collector: one reading per interval into the store, in one transaction each.

Every cycle writes a system sample, per-interface network deltas, traffic accounting (the
interfaces, and the iptables chains of the services the store has, and the end of the periods
of chains that got no reading) and a heartbeat, in one transaction, on a connection kept for
the collector's life. Less often: systemd unit states (every 10 s), hourly/daily rollups (every
minute), retention (every hour). Stopping (SIGTERM/SIGINT, or the stop event) finishes the
cycle under way, rolls up, and marks the heartbeat stopped.

When the database cannot be reached (PostgreSQL restarting, the network to it down), the
collector goes on sampling and holds its readings in memory (``backlog``), then writes them in
order when the database is back; the rest of its work waits until then.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..errors import NodekeeperError, StoreError
from ..settings import tunable
from ..traffic_rules import parse_service_chain
from . import iptables, systemd, traffic
from .backlog import Backlog, unreachable
from .lock import Held, collector_lock
from .system import SystemCollector

log = logging.getLogger("nodekeeper")


class NodeRemoved(StoreError):
    """The collector's node was removed from the database while it ran."""


class LockLost(StoreError):
    """Another collector of the node took its lock while the database was away."""


# How often a running collector makes sure its PostgreSQL lock's session is still alive.
LOCK_CHECK_EVERY = 30.0


SYSTEMD_EVERY = 10.0
ROLLUP_EVERY = 60.0
CLEANUP_EVERY = 3600.0
# The boot time cannot change under a running process (only move by a second when the clock
# is stepped, which traffic accounting tolerates): no need to read /proc/stat every cycle.
BOOT_EVERY = 60.0
# SQLite's page cache of the collector's connection (SQLite's default: 2 MiB). Its working set
# is the last pages of a few tables and indexes each second and an hour of samples each minute
# (the rollup): on a store holding a day of samples the default cache held 1 MiB more RSS;
# reading the rest from the operating system's file cache costs a rollup 0.15 ms (4.0 instead
# of 3.9 ms of CPU, once a minute) and a cycle nothing measurable.
PAGE_CACHE_KIB = 256
# Events taken into the text index per cycle at most (about 0.2 s of work): a first read of
# large logs is indexed over the next cycles rather than in one long one.
LOG_INDEX_PER_CYCLE = 50_000
# Journal entries read per cycle at most: a first read of a large journal (everything it
# holds, as a file's first read) goes on over the next cycles.
JOURNAL_PER_CYCLE = 20_000


@dataclass
class Collector:
    store: object
    interval: float | None = None  # None: the store's collector.interval
    procfs: str | None = None
    clock: Callable[[], float] = time.time
    _due: dict[str, float] = field(default_factory=dict)
    _unknown_told: set[str] = field(default_factory=set)  # service chains without a service
    _failing: str | None = None  # why the last cycle failed, once told; None after a success
    _boot: int | None = None  # the boot time (/proc/stat btime), read every BOOT_EVERY s
    _services: set[str] = field(default_factory=set)  # the service ids last read from the store
    _lock: Held = field(default_factory=Held)  # the collector's lock, while it runs
    _once: bool = False  # run(once=True): one reading, not held when it cannot be written
    logs: tuple[str, ...] = ()  # log files read each cycle from where the last read stopped
    _logs_failing: dict[str, str] = field(default_factory=dict)  # path -> why, told once
    _tracer: object | None = None  # logs.traces.Tracer, made at the first read of the logs
    journal: bool = False  # read the systemd journal too, each cycle

    def __post_init__(self) -> None:
        if self.interval is None:
            self.interval = float(tunable(self.store, "collector.interval"))
        self.system = SystemCollector(procfs=self.procfs)
        self.backlog = Backlog(self._write, self.store.location.display)

    def _write(self, reading: tuple, again: bool = False) -> None:
        sample, network, readings, now, boot = reading
        self.store.telemetry.record_reading(
            sample, network, readings, now=now, interval=self.interval, boot_time=boot,
            again=again,
        )  # fmt: skip

    def _of_known_services(self, counters: dict[str, int]) -> dict[str, int]:
        """The service chains' counters of the services the store has.

        An ``NK_<id>_IN|OUT`` chain outlives its service in the kernel until an admin removes
        it: counting it would bring back the traffic rows that deleting the service removed.
        Each such chain is named once per process (info), and counted again if the service
        comes back."""
        if not counters:
            return counters
        try:
            self._services = known = set(self.store.services.ids())
        except StoreError as exc:
            if not unreachable(exc):
                raise
            known = self._services  # the database is away: the services it had a moment ago
        kept = {}
        for chain, value in counters.items():
            service_id, _ = parse_service_chain(chain) or ("", "")
            if service_id in known:
                kept[chain] = value
            elif chain not in self._unknown_told:
                self._unknown_told.add(chain)
                log.info(
                    "iptables chain for %s: the store has no service %r; not counted",
                    chain, service_id,
                )  # fmt: skip
        return kept

    def _is_due(self, task: str, every: float, now: float) -> bool:
        if now >= self._due.get(task, 0.0):
            self._due[task] = now + every
            return True
        return False

    def cycle(self) -> None:
        """Take one reading and write it, with the heartbeat, in one transaction."""
        now = self.clock()
        when = datetime.fromtimestamp(now, UTC)
        counters = self.system.net_counters()
        sample = self.system.read_system(int(now))
        network = self.system.read_network(int(now), counters)
        readings = []
        if self._boot is None or self._is_due("boot", BOOT_EVERY, now):
            self._boot = traffic.boot_time(self.procfs or "/proc")  # an error fails the cycle
        boot = self._boot
        if counters is not None:
            readings += traffic.interface_readings(
                {name: (c[0], c[1]) for name, c in counters.items()}, boot, when
            )
        counters = self._of_known_services(iptables.read_service_counters())
        readings += traffic.counter_readings(counters, boot, when)
        # Quiet chains (no reading this time) still end their periods: rollover is part of it.
        reading = (sample, network, readings, now, boot)
        if self._once:
            self._write(reading)  # from cron: an error is the command's, nothing is held
        else:
            if self.backlog.in_outage and not self._lock_again():
                self.backlog.hold(reading)  # still away
                return
            try:
                self.backlog.add(reading, now)
            except StoreError:
                self._stop_if_node_removed()
                raise
            if self.backlog.in_outage:
                return  # the rest needs the database too: it waits for it
            if self._is_due("lock", LOCK_CHECK_EVERY, now):
                self._lock_again()  # its session may have ended alone (idle timeout, killed)
        if self._is_due("systemd", SYSTEMD_EVERY, now):
            systemd.sync_services(self.store)
        if self.logs or self.journal:
            self._read_logs()
        if self._is_due("rollup", ROLLUP_EVERY, now):
            self.store.telemetry.update_aggregates(now)
        if self._is_due("cleanup", CLEANUP_EVERY, now):
            deleted = self.store.telemetry.cleanup(now)
            if any(deleted.values()):
                log.info(
                    "retention: deleted %s", ", ".join(f"{n} {t}" for t, n in deleted.items() if n)
                )

    def _read_logs(self) -> None:
        """What the log files gained since the last cycle, into the store (core.collect.logs):
        a file that cannot be read is told once, and again once it can. Then the new
        security and error events are traced (core.collect.logs.traces), within their bound."""
        from .logs.ingest import import_files

        if self._tracer is None:
            from .logs.traces import Tracer

            # From the last event stored before this collector read anything: live events only.
            self._tracer = Tracer(self.store, clock=self.clock)
        done = import_files(
            self.store, self.logs, clock=self.clock, go_on=True, index_limit=LOG_INDEX_PER_CYCLE
        )
        if self.journal:
            from .logs.journal import JOURNAL, import_journal
            from .logs.tail import LogUnreadable

            try:
                read = import_journal(
                    self.store, clock=self.clock, max_entries=JOURNAL_PER_CYCLE,
                    index_limit=LOG_INDEX_PER_CYCLE,
                )  # fmt: skip
                done.files += read.files
            except LogUnreadable as exc:
                done.failed[JOURNAL] = str(exc)
        for path, why in done.failed.items():
            if self._logs_failing.get(path) != why:
                log.warning("%s; it is tried again every cycle", why)
        for path in set(self._logs_failing) - set(done.failed):
            log.info("reading %s again", path)
        self._logs_failing = done.failed
        if done.events:  # nothing stored, nothing to trace: not even the query that says so
            self._tracer.run()

    def run(self, stop: threading.Event, *, once: bool = False) -> int:
        """Collect until ``stop`` is set (or one reading with ``once``); returns cycles written.

        With ``once`` a first reading sets the baseline of the per-interval deltas and the real
        one follows a second later; traffic counters keep their baselines in the store, so a
        ``collect --once`` from cron counts everything since the previous run.
        """
        self._once = once
        with (
            collector_lock(self.store) as self._lock,
            self.store.kept_connection(page_cache_kib=PAGE_CACHE_KIB),
        ):
            where = self.store.location.display
            if once:  # no interval: the only wait is the second between baseline and reading
                log.info("taking one reading into %s", where)
            else:
                log.info("collecting every %gs into %s", self.interval, where)
            self.system.read(self.clock())  # baseline for the deltas
            cycles = 0
            try:
                if stop.wait(1.0 if once else self.interval):
                    return cycles
                while True:
                    started = time.monotonic()
                    try:
                        self.cycle()
                        cycles += 1
                    except (NodeRemoved, LockLost):
                        raise
                    except Exception as exc:
                        if once:
                            raise
                        self._cycle_failed(exc)
                    else:
                        self._cycle_succeeded()
                    if once:
                        break
                    # Readings stay on the interval grid even when a cycle took a while.
                    if stop.wait(max(0.0, self.interval - (time.monotonic() - started))):
                        break
            finally:
                self._finish()
        return cycles

    def _lock_again(self) -> bool:
        """Make sure the collector's lock is still its own, taking it again if its session
        ended (the database restarted, the connection was killed); before anything held is
        written. False: the database is still away. LockLost when another collector of this
        node holds it now: this one must stop."""
        try:
            self._lock.retake()
        except StoreError as exc:
            if unreachable(exc):
                return False
            raise LockLost(
                f"{exc}; this collector lost its lock while the database was away and stops"
            ) from exc
        return True

    def _stop_if_node_removed(self) -> None:
        """A reading refused because its node is no longer in the database (``nodekeeper nodes
        remove`` from another host): this collector must stop, not write into nothing."""
        try:
            gone = self.store.node not in self.store.nodes.names()
        except StoreError:
            return  # cannot tell: the refusal is reported as it is
        if gone:
            raise NodeRemoved(
                f"node {self.store.node!r} was removed from {self.store.location.display} "
                "(nodekeeper nodes remove); the collector stops. Start it again to add the node "
                "anew."
            )

    def _cycle_failed(self, exc: Exception) -> None:
        """Say why a cycle failed, once per distinct cause: a full disk fails every interval
        until someone frees space, and one line says it as well as a line a second."""
        reason = str(exc) if isinstance(exc, NodekeeperError) else f"{type(exc).__name__}: {exc}"
        if reason == self._failing:
            return
        self._failing = reason
        log.error(
            "collector cycle failed: %s; trying again every interval (said again if the cause "
            "changes)", reason,
            exc_info=not isinstance(exc, NodekeeperError),  # a bug: its traceback, for a report
        )  # fmt: skip

    def _cycle_succeeded(self) -> None:
        if self._failing is not None:
            log.info("collector cycle written again (after: %s)", self._failing)
            self._failing = None

    def _finish(self) -> None:
        """The clean flush: roll up what was collected and say the collector stopped."""
        now = self.clock()
        if self.backlog.held:
            try:  # one last try: the database may be back
                self.backlog.flush(now)
            except StoreError as exc:
                log.warning("dropped a reading the database refused: %s", exc)
        if self.backlog.held:
            log.warning(
                "stopping with %d readings not written: the database %s is still unreachable",
                len(self.backlog.held), self.store.location.display,
            )  # fmt: skip
            return
        try:
            self.store.telemetry.update_aggregates(now)
            self.store.telemetry.heartbeat(now, self.interval, state="stopped")
        except Exception as exc:  # the store may be what failed; say so and go
            log.warning("could not flush on stop: %s", exc)
        log.info("collector stopped")
