"""What one collector reading holds, as the store keeps it (seed 002): a system sample and
one network sample per interface. The collectors (core.collect.system) make them and the
store (core.store.telemetry, core.store.dashboard) writes and reads them."""

from __future__ import annotations

from typing import NamedTuple


class SystemSample(NamedTuple):
    """One reading; a tuple in ``system_metrics`` column order, so rows go to the database's
    executemany as they are."""

    timestamp: int
    cpu_percent: float | None = None
    cpu_count: int | None = None
    memory_total: int | None = None
    memory_available: int | None = None
    memory_percent: float | None = None
    disk_total: int | None = None
    disk_used: int | None = None
    disk_percent: float | None = None
    disk_read_bytes: int | None = None  # over the interval
    disk_write_bytes: int | None = None
    load_1min: float | None = None
    load_5min: float | None = None
    load_15min: float | None = None


class NetworkSample(NamedTuple):
    """Deltas over the interval for one interface; ``interface == ""`` is the total over every
    interface but loopback, and carries the connection counts."""

    timestamp: int
    interface: str
    bytes_sent: int = 0
    bytes_recv: int = 0
    packets_sent: int = 0
    packets_recv: int = 0
    errors_in: int = 0
    errors_out: int = 0
    drops_in: int = 0
    drops_out: int = 0
    connections_established: int | None = None
    connections_listen: int | None = None
    connections_time_wait: int | None = None
