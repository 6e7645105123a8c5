"""Seed 002 (log and metrics monitor): metrics, log events, traces, aggregates, IP reputation.

Times are Unix seconds (INTEGER) as in the seed: range scans and comparisons stay cheap.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    false,
)

from .base import node_column, table

CASCADE = {"ondelete": "CASCADE"}


SystemMetric = table(
    "system_metrics",
    Column("id", Integer, primary_key=True),
    Column("timestamp", BigInteger, nullable=False),
    Column("cpu_percent", Float),
    Column("cpu_count", Integer),
    Column("memory_total", BigInteger),
    Column("memory_available", BigInteger),
    Column("memory_percent", Float),
    Column("disk_total", BigInteger),
    Column("disk_used", BigInteger),
    Column("disk_percent", Float),
    Column("disk_read_bytes", BigInteger),
    Column("disk_write_bytes", BigInteger),
    Column("load_1min", Float),
    Column("load_5min", Float),
    Column("load_15min", Float),
    node_column(),
    Index("ix_system_metrics_node_id_timestamp", "node_id", "timestamp"),
)


# Per-interval deltas, per interface; ``interface`` is empty for the all-interface total.
NetworkMetric = table(
    "network_metrics",
    Column("id", Integer, primary_key=True),
    Column("timestamp", BigInteger, nullable=False),
    Column("interface", String(64), nullable=False, default="", server_default=""),
    Column("bytes_sent", BigInteger, nullable=False, default=0, server_default="0"),
    Column("bytes_recv", BigInteger, nullable=False, default=0, server_default="0"),
    Column("packets_sent", BigInteger, nullable=False, default=0, server_default="0"),
    Column("packets_recv", BigInteger, nullable=False, default=0, server_default="0"),
    Column("errors_in", BigInteger, nullable=False, default=0, server_default="0"),
    Column("errors_out", BigInteger, nullable=False, default=0, server_default="0"),
    Column("drops_in", BigInteger, nullable=False, default=0, server_default="0"),
    Column("drops_out", BigInteger, nullable=False, default=0, server_default="0"),
    Column("connections_established", Integer),
    Column("connections_listen", Integer),
    Column("connections_time_wait", Integer),
    node_column(),
    Index("ix_network_metrics_node_id_timestamp", "node_id", "timestamp"),
    Index("ix_network_metrics_node_id_interface_timestamp", "node_id", "interface", "timestamp"),
)


LogEvent = table(
    "log_events",
    Column("id", Integer, primary_key=True),
    Column("timestamp", BigInteger, nullable=False),
    Column("source", String(64), nullable=False),
    Column("level", String(16), nullable=False),
    Column("message", Text, nullable=False),
    Column("ip_address", String(64)),
    Column("user", String(255)),
    Column("service", String(255)),
    Column("action", String(64)),
    Column("metadata", Text),
    node_column(),
    # Added by migration 0008, for events read from log lines: the line's program and pid, the
    # host it names, and when it was read (``timestamp`` is the line's own time).
    Column("program", String(255)),
    Column("pid", Integer),
    Column("host", String(255)),
    Column("ingested", BigInteger),
    Index("ix_log_events_node_id_timestamp", "node_id", "timestamp"),
    Index("ix_log_events_node_id_source_timestamp", "node_id", "source", "timestamp"),
    Index("ix_log_events_node_id_ip_address_timestamp", "node_id", "ip_address", "timestamp"),
    Index("ix_log_events_node_id_action_timestamp", "node_id", "action", "timestamp"),
    Index("ix_log_events_level", "level"),
)


# Where reading each log file stopped (fail2ban's ``logs(path, firstlinemd5, lastfilepos)``):
# written in the transaction that stores the events read up to ``offset``, so a restart,
# a rotation or a crash neither loses nor repeats a line. The journal's row keeps its cursor.
LogFile = table(
    "log_files",
    Column("path", Text, nullable=False),
    Column("device", BigInteger, nullable=False, default=0, server_default="0"),
    Column("inode", BigInteger, nullable=False, default=0, server_default="0"),
    Column("offset", BigInteger, nullable=False, default=0, server_default="0"),
    Column("first_line_hash", String(64), nullable=False, default="", server_default=""),
    Column("cursor", Text),  # the systemd journal's, for the row of the journal
    Column("lines", BigInteger, nullable=False, default=0, server_default="0"),
    Column("updated", BigInteger, nullable=False),
    node_column(),
    PrimaryKeyConstraint("node_id", "path"),
)


def _rollup() -> list[Column]:
    """Columns every rollup keeps (netdata's tiers: counts and extremes stay exact); new ones
    for each table, as a Column belongs to one table."""
    return [
        Column("sample_count", Integer, nullable=False, default=0, server_default="0"),
        # Sums make averages of averages exact: a day's mean is sum / count over its hours.
        Column("sum_cpu_percent", Float, nullable=False, default=0.0, server_default="0"),
        Column("sum_memory_percent", Float, nullable=False, default=0.0, server_default="0"),
        Column("avg_cpu_percent", Float),
        Column("max_cpu_percent", Float),
        Column("avg_memory_percent", Float),
        Column("max_memory_percent", Float),
        Column("total_bytes_sent", BigInteger, nullable=False, default=0, server_default="0"),
        Column("total_bytes_recv", BigInteger, nullable=False, default=0, server_default="0"),
        Column("total_events", Integer, nullable=False, default=0, server_default="0"),
        Column("error_count", Integer, nullable=False, default=0, server_default="0"),
        Column("warning_count", Integer, nullable=False, default=0, server_default="0"),
        Column("failed_login_count", Integer, nullable=False, default=0, server_default="0"),
        Column("banned_ip_count", Integer, nullable=False, default=0, server_default="0"),
    ]


HourlyAggregate = table(
    "hourly_aggregates",
    Column("id", Integer, primary_key=True),
    Column("hour_timestamp", BigInteger, nullable=False),
    *_rollup(),
    node_column(),
    # Added by migration 0008, as the daily rollup has them: distinct IPs and users of the
    # hour's log events.
    Column("unique_ips", Integer, nullable=False, default=0, server_default="0"),
    Column("unique_users", Integer, nullable=False, default=0, server_default="0"),
    UniqueConstraint("node_id", "hour_timestamp"),
)


DailyAggregate = table(
    "daily_aggregates",
    Column("id", Integer, primary_key=True),
    Column("date", String(10), nullable=False),  # YYYY-MM-DD, UTC
    Column("unique_ips", Integer, nullable=False, default=0, server_default="0"),
    Column("unique_users", Integer, nullable=False, default=0, server_default="0"),
    *_rollup(),
    node_column(),
    UniqueConstraint("node_id", "date"),
)


EventTrace = table(
    "event_traces",
    Column("id", Integer, primary_key=True),
    Column("event_id", Integer, ForeignKey("log_events.id", **CASCADE), nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("source", String(64)),
    Column("causality_chain", Text),  # JSON
    Column("related_services", Text),  # JSON
    Column("severity_score", Float),
    Column("root_cause", Text),
    Column("trace_metadata", Text),  # JSON
    node_column(),
    Index("ix_event_traces_node_id_timestamp", "node_id", "timestamp"),
    Index("ix_event_traces_event_id", "event_id"),
    Index("ix_event_traces_severity_score", "severity_score"),
)


ProcessTrace = table(
    "process_traces",
    Column("id", Integer, primary_key=True),
    Column("trace_id", Integer, ForeignKey("event_traces.id", **CASCADE), nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("pid", Integer, nullable=False),
    Column("name", String(255)),
    Column("cmdline", Text),
    Column("state", String(32)),
    Column("parent_pid", Integer),
    Column("memory_rss", BigInteger),
    Column("memory_vms", BigInteger),
    Column("cpu_user", Float),
    Column("cpu_system", Float),
    Column("num_threads", Integer),
    Column("io_read_bytes", BigInteger),
    Column("io_write_bytes", BigInteger),
    Column("io_read_count", BigInteger),
    Column("io_write_count", BigInteger),
    Index("ix_process_traces_trace_id", "trace_id"),
)


NetworkTrace = table(
    "network_traces",
    Column("id", Integer, primary_key=True),
    Column("trace_id", Integer, ForeignKey("event_traces.id", **CASCADE), nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("local_ip", String(64)),
    Column("local_port", Integer),
    Column("remote_ip", String(64)),
    Column("remote_port", Integer),
    Column("state", String(32)),
    Column("protocol", String(16)),
    Index("ix_network_traces_trace_id", "trace_id"),
)


ErrorTrace = table(
    "error_traces",
    Column("id", Integer, primary_key=True),
    Column("trace_id", Integer, ForeignKey("event_traces.id", **CASCADE), nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("error_type", String(64)),
    Column("error_category", String(64)),
    Column("exception_type", String(255)),
    Column("severity", String(16)),
    Column("file_path", Text),
    Column("line_number", Integer),
    Column("error_code", String(64)),
    Column("has_stacktrace", Boolean, nullable=False, default=False, server_default=false()),
    Column("root_cause_hints", Text),  # JSON
    Column("recovery_suggestions", Text),  # JSON
    Index("ix_error_traces_trace_id", "trace_id"),
    Index("ix_error_traces_error_type", "error_type"),
)


IpReputation = table(
    "ip_reputation",
    Column("id", Integer, primary_key=True),
    Column("ip_address", String(64), nullable=False),
    Column("first_seen", BigInteger, nullable=False),
    Column("last_seen", BigInteger, nullable=False),
    Column("threat_score", Float, nullable=False, default=0.0, server_default="0"),
    Column("total_events", Integer, nullable=False, default=0, server_default="0"),
    Column("failed_login_count", Integer, nullable=False, default=0, server_default="0"),
    Column("banned_count", Integer, nullable=False, default=0, server_default="0"),
    Column("metadata", Text),  # JSON
    node_column(),
    # Added by migration 0008: the other counts the threat score weighs.
    Column("invalid_user_count", Integer, nullable=False, default=0, server_default="0"),
    Column("auth_failure_count", Integer, nullable=False, default=0, server_default="0"),
    Column("firewall_block_count", Integer, nullable=False, default=0, server_default="0"),
    Column("accepted_login_count", Integer, nullable=False, default=0, server_default="0"),
    UniqueConstraint("node_id", "ip_address"),
    Index("ix_ip_reputation_threat_score", "threat_score"),
)


TracePattern = table(
    "trace_patterns",
    Column("id", Integer, primary_key=True),
    Column("pattern_type", String(64), nullable=False),
    Column("signature", String(255), nullable=False),
    Column("first_seen", BigInteger, nullable=False),
    Column("last_seen", BigInteger, nullable=False),
    Column("occurrence_count", Integer, nullable=False, default=1, server_default="1"),
    Column("metadata", Text),  # JSON
    node_column(),
    UniqueConstraint("node_id", "signature"),
    Index("ix_trace_patterns_last_seen", "last_seen"),
)


# Key/value facts about the database (created timestamp, hostname...).
Metadata = table(
    "metadata",
    Column("key", String(255), nullable=False),
    Column("value", Text),
    node_column(),
    PrimaryKeyConstraint("node_id", "key"),
)
