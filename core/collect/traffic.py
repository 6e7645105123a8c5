"""Readings of the live system's byte counters, for the traffic accounting of
core.traffic_rules: per network interface (psutil) and per service chain (iptables), with the
boot they belong to (``/proc/stat`` btime)."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from pathlib import Path

from ..traffic_rules import Reading

_LOOPBACK = re.compile(r"lo\d*(?:[:.].*)?")


def is_loopback(name: str) -> bool:
    """``lo``, ``lo0``, ``lo:1``... (but not ``lowpan0``, a 6LoWPAN interface)."""
    return _LOOPBACK.fullmatch(name) is not None


def interface_readings(
    counters: Mapping[str, Sequence[int]],
    boot_time: int,
    now: datetime,
    *,
    loopback: Collection[str] = (),
) -> list[Reading]:
    """Readings ``<iface>:in`` (bytes received) and ``<iface>:out`` (bytes sent) per interface.

    ``counters`` maps an interface to ``(bytes_sent, bytes_recv, ...)``, the order of psutil's
    ``net_io_counters(pernic=True)`` values (call it with ``nowrap=False``, so that wraps and
    resets are seen here rather than hidden by psutil's in-process adjustment). Loopback
    interfaces are left out: ``lo``-style names and any name in ``loopback`` (for instance those
    psutil's ``net_if_stats()`` flags ``loopback``).
    """
    readings = []
    for name in sorted(counters):
        if is_loopback(name) or name in loopback:
            continue
        sent, recv = int(counters[name][0]), int(counters[name][1])
        readings.append(Reading(f"{name}:in", recv, boot_time, now))
        readings.append(Reading(f"{name}:out", sent, boot_time, now))
    return readings


def counter_readings(counters: Mapping[str, int], boot_time: int, now: datetime) -> list[Reading]:
    """Readings of chains already named (``read_service_counters()``'s answer)."""
    return [Reading(chain, int(counters[chain]), boot_time, now) for chain in sorted(counters)]


def boot_time(procfs: str | Path = "/proc") -> int:
    """The boot time (unix seconds) from the ``btime`` line of ``<procfs>/stat``."""
    path = Path(procfs) / "stat"
    with open(path, encoding="ascii", errors="replace") as f:
        for line in f:
            key, _, rest = line.partition(" ")
            if key == "btime":
                return int(rest.strip())
    raise OSError(f"{path} has no btime line")
