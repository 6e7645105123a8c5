"""The fleet's nodes: one row per machine whose state the database keeps (LXD's ``nodes``).

Every table that describes one machine carries ``node_id`` (``base.node_column``), so that two
hosts writing into one PostgreSQL keep their own containers, services and samples, and a name is
unique within its node only. One node on SQLite has one row here and nothing else changes.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, Integer, String

from .base import UTCDateTime, table

Node = table(
    "nodes",
    Column("id", Integer, primary_key=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("hostname", String(255), nullable=False),
    Column("first_seen", UTCDateTime, nullable=False),
    Column("last_heartbeat", UTCDateTime),  # the collector's last cycle; None: never collected
    Column("heartbeat_interval", Float),  # the collector's interval, seconds: "up" is 3 of them
    Column("version", String(64)),  # nodekeeper's, as the node last wrote it
    Column("boot_time", BigInteger),  # Unix seconds
    Column("cpu_count", Integer),
    Column("memory_total", BigInteger),
)
