"""Event traces taken while tailing live: the process behind a security or error event, its
connections, and for an error what kind it is and what to do (``store.traces``).

The collector runs a ``Tracer`` after each read of the logs. It looks at the events stored since
its last run (from the last event stored when it started: traces are of live events only), picked
in SQL: the security actions (``SECURITY_ACTIONS``) and the errors (level ``error`` or worse, and
``oom_kill``, ``unit_failed``, ``io_error``). For each:

- the event's process is traced when it still runs, is the same process (its start time is not
  after the event, and its name is the event's program), and the event was logged on this host:
  what psutil can read of it (a fact the collector may not read, such as another user's
  connections or I/O counters without root, is left out and named in the trace's metadata), its
  connections (``network_traces``), its parents (the causality chain) and its systemd service;
- an error event gets an error trace from ``ERROR_RULES`` (category, likely cause, suggested
  actions), whether or not its process still runs (an OOM kill's process never does);
- a security event whose process is gone (or is another process now) gets no trace.

Bounded: at most ``traces.per_second`` traces per second (a token bucket refilled at that rate,
holding at most ``BURST_SECONDS``' worth: a run after a quiet while takes no more), and at most
``TIME_BUDGET`` seconds of tracing per run; the events past the bound are counted as skipped
(``Tracer.skipped``), told in the log at most once a minute.
Events older than ``LIVE_SECONDS`` when the tracer sees them (a backlog read after a restart)
are not traced: their process's state now says nothing of then. When nothing new was stored a
run costs one indexed query (the last event's id).
"""

from __future__ import annotations

import logging
import os
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import psutil

from ...log_words import at_least
from ...settings import tunable
from ...store.logs import StoredEvent
from ...store.traces import ConnectionFacts, ErrorFacts, ProcessFacts, Trace

log = logging.getLogger("nodekeeper")

SECURITY_ACTIONS = (
    "login_failed", "invalid_user", "login_accepted", "auth_failure", "sudo", "ban",
    "firewall_block",
)  # fmt: skip
ERROR_ACTIONS = ("oom_kill", "unit_failed", "io_error")
ERROR_LEVELS = at_least("error")  # error, critical, alert, emergency
PICKED_ACTIONS = SECURITY_ACTIONS + ERROR_ACTIONS

CANDIDATES_PER_RUN = 1000  # events looked at per run; past that the rest are counted skipped
TIME_BUDGET = 0.25  # seconds of tracing per run at most
BURST_SECONDS = 10.0  # a run takes at most this many seconds' worth of traces at once
LIVE_SECONDS = 600  # an event older than this when first seen is not traced
TELL_EVERY = 60.0  # seconds between two log lines about skipped events
SETTING_EVERY = 60.0  # seconds between two reads of traces.per_second
MAX_CONNECTIONS = 64  # connections kept per trace (a busy server has thousands)
MAX_PARENTS = 16
CMDLINE_MAX = 4096
START_SLACK = 1.0  # event times are whole seconds: a process started in the event's second

# 0-100 by the event's level (a security action counts at least as a warning).
SEVERITY_SCORES = {
    "emergency": 100.0, "alert": 90.0, "critical": 80.0, "error": 60.0, "warning": 40.0,
    "notice": 20.0, "info": 10.0, "debug": 0.0,
}  # fmt: skip


@dataclass(frozen=True)
class ErrorRule:
    """An error's category, its likely cause and what to do; ``{unit}``, ``{device}``,
    ``{process}``, ``{program}`` are filled from the event (``?`` when it does not say)."""

    category: str
    cause: str
    suggestions: tuple[str, ...]


# By action first, then by the first of these phrases the message holds (in lower case).
ERROR_RULES: dict[str, ErrorRule] = {
    "oom_kill": ErrorRule(
        "memory",
        "a process used more memory than the host (or its container or unit) has",
        (
            "raise the container's memory limit or find the leak",
            "see which process used the memory: dmesg | grep -i -A20 'out of memory'",
        ),
    ),
    "io_error": ErrorRule(
        "disk",
        "the device {device} failed to read or write (a failing disk, cable or controller)",
        (
            "check the device with smartctl -a /dev/{device}",
            "look for its earlier errors: dmesg | grep {device}",
        ),
    ),
    "unit_failed": ErrorRule(
        "service",
        "the unit {unit} exited with an error or could not start",
        ("read why: journalctl -u {unit}", "see its state: systemctl status {unit}"),
    ),
}
MESSAGE_RULES: tuple[tuple[tuple[str, ...], ErrorRule], ...] = (
    (
        ("no space left on device",),
        ErrorRule("disk", "a filesystem is full", ("see which: df -h; free space or grow it",)),
    ),
    (
        ("read-only file system",),
        ErrorRule(
            "disk",
            "a filesystem is read-only (remounted so after errors, or mounted so)",
            ("look for the device's errors in dmesg, then check it with fsck",),
        ),
    ),
    (
        ("out of memory", "cannot allocate memory", "memoryerror"),
        ErrorRule(
            "memory",
            "the process could not get the memory it asked for",
            ("check free -m and the process's memory limit",),
        ),
    ),
    (
        ("connection refused",),
        ErrorRule(
            "network",
            "nothing listens where it connects (the other service is down or elsewhere)",
            ("check that the service it connects to runs and listens: ss -ltnp",),
        ),
    ),
    (
        ("name or service not known", "temporary failure in name resolution"),
        ErrorRule(
            "network",
            "a host name could not be resolved",
            ("check the DNS server: resolvectl status",),
        ),
    ),
    (
        ("network is unreachable", "no route to host"),
        ErrorRule(
            "network",
            "there is no route to the peer",
            ("check ip route and the interface: ip addr",),
        ),
    ),
    (
        ("timed out", "timeout"),
        ErrorRule(
            "network", "a peer did not answer in time", ("check the path to the peer and its load",)
        ),
    ),
    (
        ("permission denied", "operation not permitted", "authentication failure"),
        ErrorRule(
            "auth",
            "the process lacks a permission it needs",
            ("check the owner and mode of what it opens, and the user it runs as",),
        ),
    ),
    (
        ("segfault", "segmentation fault", "core dumped"),
        ErrorRule("crash", "the process crashed", ("see the crash: coredumpctl info {program}",)),
    ),
)
OTHER_ERROR = ErrorRule("other", "", ("read the events around it: journalctl -t {program}",))

_PY_EXCEPTION = re.compile(r"\b([A-Z]\w{0,60}(?:Error|Exception))\b")
_PY_FILE = re.compile(r'File "([^"]{1,1000})", line (\d{1,9})')


def error_facts(event: StoredEvent) -> tuple[ErrorFacts, str | None]:
    """The error trace of an error event, and its likely cause (None when unknown)."""
    meta = event.metadata or {}
    rule = ERROR_RULES.get(event.action or "")
    low = event.message[:1000].lower()
    if rule is None:
        rule = next((r for words, r in MESSAGE_RULES if any(w in low for w in words)), OTHER_ERROR)
    values = {
        "unit": meta.get("unit", "?"),
        "device": meta.get("device", "?"),
        "process": meta.get("process", event.program or "?"),
        "program": event.program or "?",
    }
    cause = rule.cause.format(**values) if rule.cause else None
    exception = _PY_EXCEPTION.search(event.message[:2000])
    where = _PY_FILE.search(event.message[:8000])
    facts = ErrorFacts(
        error_type=event.action or "error",
        error_category=rule.category,
        severity=event.level,
        exception_type=exception[1] if exception else None,
        file_path=where[1] if where else None,
        line_number=int(where[2]) if where else None,
        error_code=str(meta["result"]) if "result" in meta else None,
        has_stacktrace="Traceback (most recent call last)" in event.message,
        root_cause_hints=(cause,) if cause else (),
        recovery_suggestions=tuple(s.format(**values) for s in rule.suggestions),
    )
    return facts, cause


def _local_names() -> frozenset[str]:
    name = socket.gethostname().lower()
    return frozenset({name, name.split(".")[0], "localhost"})


def _same_program(proc: psutil.Process, program: str | None) -> bool:
    """Whether ``proc`` is the program the event names (its name, the kernel's 15-character
    cut of it, or its command's first word: sshd's "sshd: alice [priv]")."""
    if not program:
        return True
    wanted = program.lower()
    name = proc.name().lower()
    if name == wanted or (len(name) == 15 and wanted.startswith(name)):
        return True
    try:
        argv = proc.cmdline()
    except psutil.AccessDenied:
        return False
    if not argv:
        return False
    first = os.path.basename(argv[0].split(" ", 1)[0]).rstrip(":").lower()
    return first == wanted


def _read(call: Callable, denied: list[str], what: str):
    try:
        return call()
    except (psutil.AccessDenied, NotImplementedError, OSError):
        denied.append(what)
        return None


def _protocol(conn) -> str | None:
    kind = {socket.SOCK_STREAM: "tcp", socket.SOCK_DGRAM: "udp"}.get(conn.type)
    if kind is None:
        return None
    return kind + "6" if conn.family == socket.AF_INET6 else kind


def _connections(proc: psutil.Process, denied: list[str]) -> tuple[list[ConnectionFacts], int]:
    found = _read(lambda: proc.net_connections(kind="inet"), denied, "connections") or []
    kept = [
        ConnectionFacts(
            local_ip=c.laddr.ip if c.laddr else None,
            local_port=c.laddr.port if c.laddr else None,
            remote_ip=c.raddr.ip if c.raddr else None,
            remote_port=c.raddr.port if c.raddr else None,
            state=None if c.status == psutil.CONN_NONE else c.status,
            protocol=_protocol(c),
        )
        for c in found[:MAX_CONNECTIONS]
    ]
    return kept, len(found)


def _services(pid: int) -> list[str]:
    """The systemd service the process runs in, from its cgroup."""
    try:
        with open(f"/proc/{pid}/cgroup") as f:
            lines = f.read().splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        for part in reversed(line.rpartition(":")[2].split("/")):
            if part.endswith(".service"):
                if part not in found:
                    found.append(part)
                break
    return found


@dataclass
class TracerRun:
    """What one run did: events looked at, traces written, events skipped over the bound,
    events whose process was gone (or another one now), events too old to trace."""

    candidates: int = 0
    traced: int = 0
    skipped: int = 0
    gone: int = 0
    stale: int = 0
    trace_ids: list[int] = field(default_factory=list)


class Tracer:
    """Traces the security and error events stored after it was made (see the module's
    docstring). ``per_second``: the bound, else the store's ``traces.per_second`` (read again
    every minute); ``clock``: the time now (the collector's)."""

    def __init__(
        self, store, *, per_second: float | None = None, clock: Callable[[], float] = time.time
    ):
        self.store = store
        self.clock = clock
        self._fixed_rate = per_second
        self._rate = float(per_second if per_second is not None else self._setting())
        self._rate_read = clock()
        self.last_id = store.logs.last_id()
        self._tokens = self._rate  # one second's worth to begin with
        self._filled = clock()
        self.skipped = 0  # events skipped over the bound since the tracer started
        self._untold = 0  # of them, not told in the log yet
        self._told = float("-inf")
        self._host = _local_names()

    @property
    def per_second(self) -> float:
        """The bound in force."""
        return self._rate

    def _setting(self) -> int:
        return int(tunable(self.store, "traces.per_second"))

    def _refill(self, now: float) -> None:
        if self._fixed_rate is None and now - self._rate_read >= SETTING_EVERY:
            self._rate, self._rate_read = float(self._setting()), now
        elapsed = max(0.0, now - self._filled)
        self._filled = now
        # What the time since the last run earned, within a second's worth and BURST_SECONDS'
        # worth: over any run's interval at most per_second a second, and a quiet hour does
        # not save up a burst of an hour's worth.
        cap = self._rate * min(max(1.0, elapsed), BURST_SECONDS)
        self._tokens = min(self._tokens + self._rate * elapsed, cap)

    def run(self) -> TracerRun:
        """Trace what was stored since the last run; returns what it did."""
        done = TracerRun()
        now = self.clock()
        self._refill(now)
        upto = self.store.logs.last_id()
        if upto <= self.last_id:
            self.last_id = min(self.last_id, upto)  # events deleted (a store reset): follow
            return done
        traces = self.store.traces
        if self._rate <= 0:  # traces off: only follow the events
            self.last_id = upto
            return done
        events = traces.candidates(
            self.last_id, upto, PICKED_ACTIONS, ERROR_LEVELS, limit=CANDIDATES_PER_RUN
        )
        done.candidates = len(events)
        if len(events) == CANDIDATES_PER_RUN:  # a flood: the rest is counted, not looked at
            rest = traces.count_candidates(events[-1].id, upto, PICKED_ACTIONS, ERROR_LEVELS)
            done.candidates += rest
            done.skipped += rest
        self.last_id = upto
        started = time.perf_counter()
        taken: list[Trace] = []
        for event in events:
            if event.timestamp < now - LIVE_SECONDS:
                done.stale += 1
                continue
            if self._tokens < 1.0 or time.perf_counter() - started > TIME_BUDGET:
                done.skipped += 1
                continue
            trace = self.trace(event, now)
            if trace is None:
                done.gone += 1
                continue
            self._tokens -= 1.0
            taken.append(trace)
        if taken:
            done.trace_ids = traces.record(taken)
            done.traced = len(taken)
        self._count_skipped(done.skipped, now)
        return done

    def _count_skipped(self, skipped: int, now: float) -> None:
        self.skipped += skipped
        self._untold += skipped
        if self._untold and now - self._told >= TELL_EVERY:
            log.info(
                "event traces: %d events not traced, over the bound of %g a second "
                "(traces.per_second)", self._untold, self._rate,
            )  # fmt: skip
            self._untold, self._told = 0, now

    def trace(self, event: StoredEvent, now: float | None = None) -> Trace | None:
        """The trace of ``event`` as the system is now: None for a security event whose
        process is gone, is another process now, or ran on another host."""
        now = self.clock() if now is None else now
        is_error = event.action in ERROR_ACTIONS or event.level in ERROR_LEVELS
        meta: dict = {"action": event.action, "level": event.level, "program": event.program}
        process = self._process(event)
        if process is None and not is_error:
            return None
        processes: tuple[ProcessFacts, ...] = ()
        connections: list[ConnectionFacts] = []
        chain: list[dict] = []
        services: list[str] = []
        if process is not None:
            denied: list[str] = []
            try:
                facts, chain = self._facts(process, denied)
                connections, total = _connections(process, denied)
                services = _services(process.pid)
            except psutil.NoSuchProcess:  # it ended while read
                if not is_error:
                    return None
                meta["process"] = "ended while traced"
            else:
                processes = (facts,)
                if total > len(connections):
                    meta["connections"] = total
                if denied:
                    meta["not_readable"] = denied
        elif event.pid is not None:
            meta["process"] = "not running"
        errors: tuple[ErrorFacts, ...] = ()
        cause = None
        if is_error:
            error, cause = error_facts(event)
            errors = (error,)
        score = SEVERITY_SCORES.get(event.level, 10.0)
        if event.action in SECURITY_ACTIONS:
            score = max(score, SEVERITY_SCORES["warning"])
        return Trace(
            event_id=event.id,
            timestamp=event.timestamp,
            traced_at=int(now),
            source=event.source,
            severity_score=score,
            root_cause=cause,
            causality_chain=tuple(chain),
            related_services=tuple(services),
            metadata={k: v for k, v in meta.items() if v is not None},
            processes=processes,
            connections=tuple(connections),
            errors=errors,
        )

    def _process(self, event: StoredEvent) -> psutil.Process | None:
        """The event's process, if it still runs, started no later than the event, has the
        event's program's name and the event was logged on this host."""
        if not event.pid or event.pid <= 0:
            return None
        if event.host and event.host.lower() not in self._host:
            return None  # a remote host's line: its pid is not one of ours
        try:
            proc = psutil.Process(event.pid)
            if proc.create_time() > event.timestamp + START_SLACK:
                return None  # started after the event: the pid was reused
            if proc.status() == psutil.STATUS_ZOMBIE or not _same_program(proc, event.program):
                return None
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            return None
        return proc

    @staticmethod
    def _facts(proc: psutil.Process, denied: list[str]) -> tuple[ProcessFacts, list[dict]]:
        with proc.oneshot():
            name = proc.name()
            argv = _read(proc.cmdline, denied, "cmdline")
            memory = _read(proc.memory_info, denied, "memory")
            cpu = _read(proc.cpu_times, denied, "cpu")
            io = _read(proc.io_counters, denied, "io")
            facts = ProcessFacts(
                pid=proc.pid,
                name=name,
                cmdline=" ".join(argv)[:CMDLINE_MAX] if argv else None,
                state=_read(proc.status, denied, "state"),
                parent_pid=_read(proc.ppid, denied, "parent"),
                memory_rss=memory.rss if memory else None,
                memory_vms=memory.vms if memory else None,
                cpu_user=cpu.user if cpu else None,
                cpu_system=cpu.system if cpu else None,
                num_threads=_read(proc.num_threads, denied, "threads"),
                io_read_bytes=io.read_bytes if io else None,
                io_write_bytes=io.write_bytes if io else None,
                io_read_count=io.read_count if io else None,
                io_write_count=io.write_count if io else None,
            )
        chain = [{"pid": proc.pid, "name": name}]
        try:
            for parent in proc.parents()[:MAX_PARENTS]:
                chain.append({"pid": parent.pid, "name": _read(parent.name, [], "name")})
        except (psutil.Error, OSError):
            pass
        return facts, chain
