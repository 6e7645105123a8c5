"""Seed 001 (storage appliance): accounts, audit log, shares, iSCSI and snapshot policies.

Seed 001 names the tables but not their columns; these follow what such an appliance keeps.
Its ``users`` table is ``accounts`` here, because seed 000 owns ``users``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(255), unique=True)
    email: Mapped[str | None] = mapped_column(String(255))
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(32), default="viewer", server_default="viewer")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditLog(Base):
    __tablename__ = "audit_logs"
    __table_args__ = (
        Index("ix_audit_logs_timestamp", "timestamp"),
        Index("ix_audit_logs_actor_timestamp", "actor", "timestamp"),
        Index("ix_audit_logs_resource_timestamp", "resource", "timestamp"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    resource: Mapped[str] = mapped_column(String(255))
    result: Mapped[str] = mapped_column(String(32), default="success", server_default="success")
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(Text)
    details: Mapped[str | None] = mapped_column(Text)  # JSON


class SmbShare(Base):
    __tablename__ = "smb_shares"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    path: Mapped[str] = mapped_column(Text)
    dataset: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    read_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    guest_ok: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    valid_users: Mapped[str | None] = mapped_column(Text)  # JSON list
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class NfsExport(Base):
    __tablename__ = "nfs_exports"
    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(1024), unique=True)
    dataset: Mapped[str | None] = mapped_column(Text)
    clients: Mapped[str | None] = mapped_column(Text)  # JSON list
    read_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    root_squash: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class IscsiTarget(Base):
    __tablename__ = "iscsi_targets"
    id: Mapped[int] = mapped_column(primary_key=True)
    iqn: Mapped[str] = mapped_column(String(255), unique=True)
    initiators: Mapped[str | None] = mapped_column(Text)  # JSON list
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class IscsiLun(Base):
    __tablename__ = "iscsi_luns"
    __table_args__ = (UniqueConstraint("target_id", "lun"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("iscsi_targets.id", ondelete="CASCADE"))
    lun: Mapped[int] = mapped_column(Integer)
    zvol: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    backend: Mapped[str] = mapped_column(String(32), default="zvol", server_default="zvol")


class SnapshotPolicy(Base):
    __tablename__ = "snapshot_policies"
    id: Mapped[int] = mapped_column(primary_key=True)
    dataset: Mapped[str] = mapped_column(String(1024), unique=True)
    frequent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    hourly: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    daily: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    weekly: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    monthly: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    yearly: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    autosnap: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    autoprune: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
