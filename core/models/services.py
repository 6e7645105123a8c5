"""Seed 000 (edge service manager): services, the claim sets bound to them, traffic accounting."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UInt64, UTCDateTime


class Service(Base):
    __tablename__ = "services"
    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    path: Mapped[str | None] = mapped_column(Text)
    service: Mapped[str | None] = mapped_column(String(255))  # the systemd unit
    user: Mapped[str | None] = mapped_column(String(255))
    permissions: Mapped[str | None] = mapped_column(Text)
    state: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    status: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    start_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    main_pid: Mapped[int | None] = mapped_column(Integer)  # from systemd, when it runs
    ttl: Mapped[int | None] = mapped_column(Integer)  # days
    alert_rules: Mapped[str | None] = mapped_column(Text)
    ul_limit: Mapped[int | None] = mapped_column(BigInteger)
    dl_limit: Mapped[int | None] = mapped_column(BigInteger)
    storage_limit: Mapped[int | None] = mapped_column(BigInteger)
    state_limit: Mapped[int | None] = mapped_column(BigInteger)


class User(Base):
    """A claim set (``users``, stored canonically) bound to a service."""

    __tablename__ = "users"
    __table_args__ = (Index("ix_users_service_id", "service_id"),)
    users: Mapped[str] = mapped_column(String(1024), primary_key=True)
    service_id: Mapped[str] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), primary_key=True
    )
    storage_folder: Mapped[str | None] = mapped_column(Text)
    state_checksum: Mapped[bytes | None] = mapped_column(LargeBinary)


class TrafficMonitor(Base):
    """Traffic of a chain in the current period (``value``), and what is needed to count the
    next reading exactly once: the last raw counter and the boot it belongs to (as vnstat)."""

    __tablename__ = "trafficmonitor"
    chain: Mapped[str] = mapped_column(String(255), primary_key=True)
    time: Mapped[datetime | None] = mapped_column(UTCDateTime)  # last update
    value: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    last_raw: Mapped[int | None] = mapped_column(UInt64)  # a 64-bit unsigned counter
    boot_time: Mapped[int | None] = mapped_column(BigInteger)  # /proc/stat btime of last_raw
    period_start: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TrafficHistory(Base):
    """The total of each finished period of a chain."""

    __tablename__ = "traffic_history"
    __table_args__ = (
        UniqueConstraint("chain", "period_start"),
        Index("ix_traffic_history_period_start", "period_start"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[str] = mapped_column(String(255))
    period: Mapped[str] = mapped_column(String(8))  # hour, day, month
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    value: Mapped[int] = mapped_column(BigInteger)
