"""System and network metrics from psutil and /proc, as per-interval samples (seed 002).

Cumulative counters (disk and network bytes, packets, errors, drops) are turned into deltas over
the interval here, so no table ever holds a cumulative counter as if it were per-interval. The
first reading only sets the baseline. A reading that cannot be taken is logged once and left
empty; the others go on.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import psutil

from ..samples import NetworkSample, SystemSample
from .traffic import is_loopback

log = logging.getLogger("nodekeeper")
T = TypeVar("T")

# /proc/net/tcp "st" column (include/net/tcp_states.h).
TCP_ESTABLISHED, TCP_TIME_WAIT, TCP_LISTEN = "01", "06", "0A"
LISTEN_EVERY = 10.0  # seconds between counts of listening sockets
NET_FIELDS = ("bytes_sent", "bytes_recv", "packets_sent", "packets_recv",
              "errin", "errout", "dropin", "dropout")  # fmt: skip
NET_COLUMNS = ("bytes_sent", "bytes_recv", "packets_sent", "packets_recv",
               "errors_in", "errors_out", "drops_in", "drops_out")  # fmt: skip


def delta(current: int, previous: int) -> int:
    # A drop is a reset (interface re-created, driver reloaded) or a wrap: count what the
    # counter shows since. (Exact wrap handling is traffic accounting's job.)
    return current - previous if current >= previous else current


def count_tcp_states(procfs: str = "/proc") -> dict[str, int]:
    """Connections by state from /proc/net/tcp and tcp6 (cheap: no per-process walk)."""
    counts = {TCP_ESTABLISHED: 0, TCP_LISTEN: 0, TCP_TIME_WAIT: 0}
    found = False
    for name in ("tcp", "tcp6"):
        try:
            with open(Path(procfs) / "net" / name, encoding="ascii") as handle:
                next(handle, None)  # header
                found = True
                for line in handle:
                    parts = line.split(None, 4)
                    if len(parts) > 3 and parts[3] in counts:
                        counts[parts[3]] += 1
        except FileNotFoundError:
            continue  # no IPv6, say
    if not found:
        raise FileNotFoundError(f"{procfs}/net/tcp")
    return counts


def kernel_connection_counts(procfs: str = "/proc") -> tuple[int, int]:
    """(established, time_wait) from the kernel's own counters, IPv4 and IPv6 together:
    ``CurrEstab`` of the TCP MIB (established and close-wait) and the TIME_WAIT count ``tw``.
    Cheap, unlike /proc/net/tcp, which walks the whole socket hash table."""
    # Read every cycle: plain open() and line iteration, half the cost of pathlib's read_text.
    with open(f"{procfs}/net/snmp", encoding="ascii") as snmp:
        header, values = (line.split() for line in snmp if line.startswith("Tcp:"))
    established = int(values[header.index("CurrEstab")])
    with open(f"{procfs}/net/sockstat", encoding="ascii") as sockstat:
        for line in sockstat:
            if line.startswith("TCP:"):
                fields = line.split()
                return established, int(fields[fields.index("tw") + 1])
    raise ValueError(f"{procfs}/net/sockstat has no TCP line")


@dataclass
class SystemCollector:
    """Takes one reading per call of ``read()``; keeps the previous counters for deltas."""

    procfs: str | None = None
    disk_path: str = "/"
    _previous_disk: tuple[int, int] | None = None
    _previous_net: dict[str, tuple[int, ...]] | None = None
    _failed: set[str] = field(default_factory=set)
    _listen: tuple[float, int] | None = None  # (when counted, listening sockets)

    def __post_init__(self) -> None:
        if self.procfs:
            # psutil reads this module global for every /proc access (a monitor in a container
            # reading the host's /proc, mounted elsewhere).
            psutil.PROCFS_PATH = self.procfs
        self._take("cpu_percent", lambda: psutil.cpu_percent(interval=None))  # primes the meter

    @property
    def proc(self) -> str:
        return self.procfs or "/proc"

    def _take(self, name: str, read: Callable[[], T]) -> T | None:
        try:
            value = read()
        except Exception as exc:  # any reading may fail on an odd system; the rest go on
            if name not in self._failed:
                self._failed.add(name)
                log.warning("cannot read %s: %s (logged once; other readings go on)", name, exc)
            return None
        self._failed.discard(name)
        return value

    def read(self, now: float | None = None) -> tuple[SystemSample, list[NetworkSample]]:
        timestamp = int(now if now is not None else time.time())
        return self.read_system(timestamp), self.read_network(timestamp)

    def read_system(self, timestamp: int) -> SystemSample:
        values: dict[str, Any] = {
            "cpu_percent": self._take("cpu_percent", lambda: psutil.cpu_percent(interval=None)),
            "cpu_count": self._take("cpu_count", psutil.cpu_count),
        }
        memory = self._take("memory", psutil.virtual_memory)
        if memory is not None:
            values |= {"memory_total": memory.total, "memory_available": memory.available,
                       "memory_percent": memory.percent}  # fmt: skip
        disk = self._take("disk_usage", lambda: psutil.disk_usage(self.disk_path))
        if disk is not None:
            values |= {
                "disk_total": disk.total,
                "disk_used": disk.used,
                "disk_percent": disk.percent,
            }
        # Raw counters, as for the network: delta() takes a drop for a reset.
        io = self._take("disk_io", lambda: psutil.disk_io_counters(perdisk=False, nowrap=False))
        if io is not None:
            current = (io.read_bytes, io.write_bytes)
            if self._previous_disk is not None:
                values["disk_read_bytes"] = delta(current[0], self._previous_disk[0])
                values["disk_write_bytes"] = delta(current[1], self._previous_disk[1])
            self._previous_disk = current
        load = self._take("loadavg", os.getloadavg if not self.procfs else self._loadavg)
        if load is not None:
            values["load_1min"], values["load_5min"], values["load_15min"] = load
        return SystemSample(timestamp, **values)

    def _loadavg(self) -> tuple[float, float, float]:
        fields = (Path(self.proc) / "loadavg").read_text().split()
        return float(fields[0]), float(fields[1]), float(fields[2])

    def _connections(self, timestamp: float) -> dict[str, int]:
        """Connection counts: established and time-wait every reading (kernel counters), the
        listening sockets every LISTEN_EVERY seconds (they need the /proc/net/tcp walk)."""
        try:
            established, time_wait = kernel_connection_counts(self.proc)
        except (OSError, ValueError):  # an older or partial /proc: walk the tables instead
            states = count_tcp_states(self.proc)
            self._listen = (timestamp, states[TCP_LISTEN])
            established, time_wait = states[TCP_ESTABLISHED], states[TCP_TIME_WAIT]
        if self._listen is None or timestamp - self._listen[0] >= LISTEN_EVERY:
            self._listen = (timestamp, count_tcp_states(self.proc)[TCP_LISTEN])
        return {
            "connections_established": established,
            "connections_listen": self._listen[1],
            "connections_time_wait": time_wait,
        }

    def net_counters(self) -> dict[str, tuple[int, ...]] | None:
        """Raw cumulative counters per interface, in NET_FIELDS order."""
        # Raw kernel counters (nowrap=False): psutil's own wrap adjustment lives in this process
        # only, so after a restart it would look like a drop; traffic accounting handles wraps.
        counters = self._take("net_io", lambda: psutil.net_io_counters(pernic=True, nowrap=False))
        if counters is None:
            return None
        return {name: tuple(getattr(c, f) for f in NET_FIELDS) for name, c in counters.items()}

    def read_network(
        self, timestamp: int, counters: dict[str, tuple[int, ...]] | None = None
    ) -> list[NetworkSample]:
        """Per-interface deltas since the previous call, then the total; none on the first call."""
        current = counters if counters is not None else self.net_counters()
        connections = self._take("connections", lambda: self._connections(timestamp))
        if current is None:
            return []
        previous, self._previous_net = self._previous_net, current
        if previous is None:
            return []
        samples = []
        total = [0] * len(NET_FIELDS)
        for name in sorted(current):
            if name not in previous:
                continue  # a new interface: its baseline is this reading
            deltas = [delta(c, p) for c, p in zip(current[name], previous[name], strict=True)]
            samples.append(
                NetworkSample(timestamp, name, **dict(zip(NET_COLUMNS, deltas, strict=True)))
            )
            if not is_loopback(name):
                total = [t + d for t, d in zip(total, deltas, strict=True)]
        overall = NetworkSample(
            timestamp, "", **dict(zip(NET_COLUMNS, total, strict=True)), **(connections or {})
        )
        return [*samples, overall]
