"""Seed 000 (edge service manager): services, the claim sets bound to them, traffic accounting."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime


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
    __tablename__ = "trafficmonitor"
    chain: Mapped[str] = mapped_column(String(255), primary_key=True)
    time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    value: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
