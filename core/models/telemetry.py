"""Seed 002 (log and metrics monitor): metrics, log events, traces, aggregates, IP reputation.

Times are Unix seconds (INTEGER) as in the seed: range scans and comparisons stay cheap.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

CASCADE = {"ondelete": "CASCADE"}


class SystemMetric(Base):
    __tablename__ = "system_metrics"
    __table_args__ = (Index("ix_system_metrics_timestamp", "timestamp"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    timestamp: Mapped[int] = mapped_column(BigInteger)
    cpu_percent: Mapped[float | None] = mapped_column(Float)
    cpu_count: Mapped[int | None] = mapped_column(Integer)
    memory_total: Mapped[int | None] = mapped_column(BigInteger)
    memory_available: Mapped[int | None] = mapped_column(BigInteger)
    memory_percent: Mapped[float | None] = mapped_column(Float)
    disk_total: Mapped[int | None] = mapped_column(BigInteger)
    disk_used: Mapped[int | None] = mapped_column(BigInteger)
    disk_percent: Mapped[float | None] = mapped_column(Float)
    disk_read_bytes: Mapped[int | None] = mapped_column(BigInteger)
    disk_write_bytes: Mapped[int | None] = mapped_column(BigInteger)
    load_1min: Mapped[float | None] = mapped_column(Float)
    load_5min: Mapped[float | None] = mapped_column(Float)
    load_15min: Mapped[float | None] = mapped_column(Float)


class NetworkMetric(Base):
    """Per-interval deltas, per interface; ``interface`` is empty for the all-interface total."""

    __tablename__ = "network_metrics"
    __table_args__ = (
        Index("ix_network_metrics_timestamp", "timestamp"),
        Index("ix_network_metrics_interface_timestamp", "interface", "timestamp"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    timestamp: Mapped[int] = mapped_column(BigInteger)
    interface: Mapped[str] = mapped_column(String(64), default="", server_default="")
    bytes_sent: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    bytes_recv: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    packets_sent: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    packets_recv: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    errors_in: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    errors_out: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    drops_in: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    drops_out: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    connections_established: Mapped[int | None] = mapped_column(Integer)
    connections_listen: Mapped[int | None] = mapped_column(Integer)
    connections_time_wait: Mapped[int | None] = mapped_column(Integer)


class LogEvent(Base):
    __tablename__ = "log_events"
    __table_args__ = (
        Index("ix_log_events_timestamp", "timestamp"),
        Index("ix_log_events_source_timestamp", "source", "timestamp"),
        Index("ix_log_events_ip_address_timestamp", "ip_address", "timestamp"),
        Index("ix_log_events_level", "level"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    timestamp: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user: Mapped[str | None] = mapped_column(String(255))
    service: Mapped[str | None] = mapped_column(String(255))
    action: Mapped[str | None] = mapped_column(String(64))
    metadata_json: Mapped[str | None] = mapped_column("metadata", Text)


class _Rollup:
    """Columns every rollup keeps (netdata's tiers: counts and extremes stay exact)."""

    sample_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Sums make averages of averages exact: a day's mean is sum / count over its hours.
    sum_cpu_percent: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    sum_memory_percent: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    avg_cpu_percent: Mapped[float | None] = mapped_column(Float)
    max_cpu_percent: Mapped[float | None] = mapped_column(Float)
    avg_memory_percent: Mapped[float | None] = mapped_column(Float)
    max_memory_percent: Mapped[float | None] = mapped_column(Float)
    total_bytes_sent: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    total_bytes_recv: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    total_events: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    warning_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    failed_login_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    banned_ip_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class HourlyAggregate(_Rollup, Base):
    __tablename__ = "hourly_aggregates"
    id: Mapped[int] = mapped_column(primary_key=True)
    hour_timestamp: Mapped[int] = mapped_column(BigInteger, unique=True)


class DailyAggregate(_Rollup, Base):
    __tablename__ = "daily_aggregates"
    id: Mapped[int] = mapped_column(primary_key=True)
    date: Mapped[str] = mapped_column(String(10), unique=True)  # YYYY-MM-DD, UTC
    unique_ips: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    unique_users: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class EventTrace(Base):
    __tablename__ = "event_traces"
    __table_args__ = (
        Index("ix_event_traces_timestamp", "timestamp"),
        Index("ix_event_traces_event_id", "event_id"),
        Index("ix_event_traces_severity_score", "severity_score"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("log_events.id", **CASCADE))
    timestamp: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str | None] = mapped_column(String(64))
    causality_chain: Mapped[str | None] = mapped_column(Text)  # JSON
    related_services: Mapped[str | None] = mapped_column(Text)  # JSON
    severity_score: Mapped[float | None] = mapped_column(Float)
    root_cause: Mapped[str | None] = mapped_column(Text)
    trace_metadata: Mapped[str | None] = mapped_column(Text)  # JSON


class ProcessTrace(Base):
    __tablename__ = "process_traces"
    __table_args__ = (Index("ix_process_traces_trace_id", "trace_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    trace_id: Mapped[int] = mapped_column(ForeignKey("event_traces.id", **CASCADE))
    timestamp: Mapped[int] = mapped_column(BigInteger)
    pid: Mapped[int] = mapped_column(Integer)
    name: Mapped[str | None] = mapped_column(String(255))
    cmdline: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str | None] = mapped_column(String(32))
    parent_pid: Mapped[int | None] = mapped_column(Integer)
    memory_rss: Mapped[int | None] = mapped_column(BigInteger)
    memory_vms: Mapped[int | None] = mapped_column(BigInteger)
    cpu_user: Mapped[float | None] = mapped_column(Float)
    cpu_system: Mapped[float | None] = mapped_column(Float)
    num_threads: Mapped[int | None] = mapped_column(Integer)
    io_read_bytes: Mapped[int | None] = mapped_column(BigInteger)
    io_write_bytes: Mapped[int | None] = mapped_column(BigInteger)
    io_read_count: Mapped[int | None] = mapped_column(BigInteger)
    io_write_count: Mapped[int | None] = mapped_column(BigInteger)


class NetworkTrace(Base):
    __tablename__ = "network_traces"
    __table_args__ = (Index("ix_network_traces_trace_id", "trace_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    trace_id: Mapped[int] = mapped_column(ForeignKey("event_traces.id", **CASCADE))
    timestamp: Mapped[int] = mapped_column(BigInteger)
    local_ip: Mapped[str | None] = mapped_column(String(64))
    local_port: Mapped[int | None] = mapped_column(Integer)
    remote_ip: Mapped[str | None] = mapped_column(String(64))
    remote_port: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str | None] = mapped_column(String(32))
    protocol: Mapped[str | None] = mapped_column(String(16))


class ErrorTrace(Base):
    __tablename__ = "error_traces"
    __table_args__ = (
        Index("ix_error_traces_trace_id", "trace_id"),
        Index("ix_error_traces_error_type", "error_type"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    trace_id: Mapped[int] = mapped_column(ForeignKey("event_traces.id", **CASCADE))
    timestamp: Mapped[int] = mapped_column(BigInteger)
    error_type: Mapped[str | None] = mapped_column(String(64))
    error_category: Mapped[str | None] = mapped_column(String(64))
    exception_type: Mapped[str | None] = mapped_column(String(255))
    severity: Mapped[str | None] = mapped_column(String(16))
    file_path: Mapped[str | None] = mapped_column(Text)
    line_number: Mapped[int | None] = mapped_column(Integer)
    error_code: Mapped[str | None] = mapped_column(String(64))
    has_stacktrace: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    root_cause_hints: Mapped[str | None] = mapped_column(Text)  # JSON
    recovery_suggestions: Mapped[str | None] = mapped_column(Text)  # JSON


class IpReputation(Base):
    __tablename__ = "ip_reputation"
    __table_args__ = (Index("ix_ip_reputation_threat_score", "threat_score"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    ip_address: Mapped[str] = mapped_column(String(64), unique=True)
    first_seen: Mapped[int] = mapped_column(BigInteger)
    last_seen: Mapped[int] = mapped_column(BigInteger)
    threat_score: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    total_events: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    failed_login_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    banned_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reputation_metadata: Mapped[str | None] = mapped_column("metadata", Text)  # JSON


class TracePattern(Base):
    __tablename__ = "trace_patterns"
    __table_args__ = (Index("ix_trace_patterns_last_seen", "last_seen"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    pattern_type: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(255), unique=True)
    first_seen: Mapped[int] = mapped_column(BigInteger)
    last_seen: Mapped[int] = mapped_column(BigInteger)
    occurrence_count: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    pattern_metadata: Mapped[str | None] = mapped_column("metadata", Text)  # JSON


class Metadata(Base):
    """Key/value facts about the database (created timestamp, hostname...)."""

    __tablename__ = "metadata"
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str | None] = mapped_column(Text)
