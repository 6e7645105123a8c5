"""Seed 000 (edge service manager): services, the claim sets bound to them, traffic accounting."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)

from .base import UInt64, UTCDateTime, node_column, table

Service = table(
    "services",
    Column("id", String(255), nullable=False),
    Column("version", Integer, nullable=False, default=0, server_default="0"),
    Column("path", Text),
    Column("service", String(255)),  # the systemd unit
    Column("user", String(255)),
    Column("permissions", Text),
    Column("state", Integer, nullable=False, default=0, server_default="0"),
    Column("status", Integer, nullable=False, default=0, server_default="0"),
    Column("start_at", UTCDateTime),
    Column("main_pid", Integer),  # from systemd, when it runs
    Column("ttl", Integer),  # days
    Column("alert_rules", Text),
    Column("ul_limit", BigInteger),
    Column("dl_limit", BigInteger),
    Column("storage_limit", BigInteger),
    Column("state_limit", BigInteger),
    node_column(),
    PrimaryKeyConstraint("node_id", "id"),
)


# A claim set (``users``, stored canonically) bound to a service.
User = table(
    "users",
    Column("users", String(1024), nullable=False),
    Column("service_id", String(255), nullable=False),
    Column("storage_folder", Text),
    Column("state_checksum", LargeBinary),
    node_column(),
    PrimaryKeyConstraint("node_id", "users", "service_id"),
    ForeignKeyConstraint(
        ["node_id", "service_id"], ["services.node_id", "services.id"], ondelete="CASCADE"
    ),
    Index("ix_users_node_id_service_id", "node_id", "service_id"),
)


# Traffic of a chain in the current period (``value``), and what is needed to count the
# next reading exactly once: the last raw counter and the boot it belongs to (as vnstat).
TrafficMonitor = table(
    "trafficmonitor",
    Column("chain", String(255), nullable=False),
    Column("time", UTCDateTime),  # last update
    Column("value", BigInteger, nullable=False, default=0, server_default="0"),
    Column("last_raw", UInt64),  # a 64-bit unsigned counter
    Column("boot_time", BigInteger),  # /proc/stat btime of last_raw
    Column("period_start", UTCDateTime),
    node_column(),
    PrimaryKeyConstraint("node_id", "chain"),
)


# The total of each finished period of a chain.
TrafficHistory = table(
    "traffic_history",
    Column("id", Integer, primary_key=True),
    Column("chain", String(255), nullable=False),
    Column("period", String(8), nullable=False),  # hour, day, month
    Column("period_start", UTCDateTime, nullable=False),
    Column("value", BigInteger, nullable=False),
    node_column(),
    UniqueConstraint("node_id", "chain", "period_start"),
    Index("ix_traffic_history_period_start", "period_start"),
)
