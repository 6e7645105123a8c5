"""Seed 001 (storage appliance): accounts, audit log, shares, iSCSI and snapshot policies.

Seed 001 names the tables but not their columns; these follow what such an appliance keeps.
Its ``users`` table is ``accounts`` here, because seed 000 owns ``users``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)

from .base import UTCDateTime, node_column, table

Account = table(
    "accounts",
    Column("id", Integer, primary_key=True),
    Column("username", String(255), nullable=False, unique=True),
    Column("email", String(255)),
    Column("password_hash", Text, nullable=False),
    Column("role", String(32), nullable=False, default="viewer", server_default="viewer"),
    Column("active", Boolean, nullable=False, default=True, server_default=true()),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)


AuditLog = table(
    "audit_logs",
    Column("id", Integer, primary_key=True),
    Column("timestamp", UTCDateTime, nullable=False),
    Column("actor", String(255), nullable=False),
    Column("action", String(64), nullable=False),
    Column("resource", String(255), nullable=False),
    Column("result", String(32), nullable=False, default="success", server_default="success"),
    Column("ip_address", String(64)),
    Column("user_agent", Text),
    Column("details", Text),  # JSON
    node_column(),
    Index("ix_audit_logs_timestamp", "timestamp"),
    Index("ix_audit_logs_actor_timestamp", "actor", "timestamp"),
    Index("ix_audit_logs_resource_timestamp", "resource", "timestamp"),
)


SmbShare = table(
    "smb_shares",
    Column("id", Integer, primary_key=True),
    Column("name", String(255), nullable=False),
    Column("path", Text, nullable=False),
    Column("dataset", Text),
    Column("description", Text),
    Column("read_only", Boolean, nullable=False, default=False, server_default=false()),
    Column("guest_ok", Boolean, nullable=False, default=False, server_default=false()),
    Column("valid_users", Text),  # JSON list
    Column("enabled", Boolean, nullable=False, default=True, server_default=true()),
    node_column(),
    UniqueConstraint("node_id", "name"),
)


NfsExport = table(
    "nfs_exports",
    Column("id", Integer, primary_key=True),
    Column("path", String(1024), nullable=False),
    Column("dataset", Text),
    Column("clients", Text),  # JSON list
    Column("read_only", Boolean, nullable=False, default=False, server_default=false()),
    Column("root_squash", Boolean, nullable=False, default=True, server_default=true()),
    Column("enabled", Boolean, nullable=False, default=True, server_default=true()),
    node_column(),
    UniqueConstraint("node_id", "path"),
)


IscsiTarget = table(
    "iscsi_targets",
    Column("id", Integer, primary_key=True),
    Column("iqn", String(255), nullable=False),
    Column("initiators", Text),  # JSON list
    Column("enabled", Boolean, nullable=False, default=True, server_default=true()),
    node_column(),
    UniqueConstraint("node_id", "iqn"),
)


IscsiLun = table(
    "iscsi_luns",
    Column("id", Integer, primary_key=True),
    Column(
        "target_id", Integer, ForeignKey("iscsi_targets.id", ondelete="CASCADE"), nullable=False
    ),
    Column("lun", Integer, nullable=False),
    Column("zvol", Text, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("backend", String(32), nullable=False, default="zvol", server_default="zvol"),
    UniqueConstraint("target_id", "lun"),
)


SnapshotPolicy = table(
    "snapshot_policies",
    Column("id", Integer, primary_key=True),
    Column("dataset", String(1024), nullable=False),
    Column("frequent", Integer, nullable=False, default=0, server_default="0"),
    Column("hourly", Integer, nullable=False, default=0, server_default="0"),
    Column("daily", Integer, nullable=False, default=0, server_default="0"),
    Column("weekly", Integer, nullable=False, default=0, server_default="0"),
    Column("monthly", Integer, nullable=False, default=0, server_default="0"),
    Column("yearly", Integer, nullable=False, default=0, server_default="0"),
    Column("autosnap", Boolean, nullable=False, default=True, server_default=true()),
    Column("autoprune", Boolean, nullable=False, default=True, server_default=true()),
    node_column(),
    UniqueConstraint("node_id", "dataset"),
)
