"""initial schema: every seed table

Revision ID: 0001
Revises:
Create Date: 2026-11-23 07:59:03.740547
"""

import sqlalchemy as sa
from alembic import op

import core.models.base

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=32), server_default="viewer", nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", core.models.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", core.models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("username", name=op.f("uq_accounts_username")),
    )
    op.create_table(
        "audit_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("timestamp", core.models.base.UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("resource", sa.String(length=255), nullable=False),
        sa.Column("result", sa.String(length=32), server_default="success", nullable=False),
        sa.Column("ip_address", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("details", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_logs")),
    )
    with op.batch_alter_table("audit_logs", schema=None) as batch_op:
        batch_op.create_index("ix_audit_logs_actor_timestamp", ["actor", "timestamp"], unique=False)
        batch_op.create_index(
            "ix_audit_logs_resource_timestamp", ["resource", "timestamp"], unique=False
        )
        batch_op.create_index("ix_audit_logs_timestamp", ["timestamp"], unique=False)

    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=255), nullable=False),
        sa.Column("type", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("certificate", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_certificates_fingerprint")),
    )
    op.create_table(
        "config",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_config")),
        sa.UniqueConstraint("key", name=op.f("uq_config_key")),
    )
    op.create_table(
        "containers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("architecture", sa.Integer(), nullable=False),
        sa.Column("type", sa.Integer(), server_default="0", nullable=False),
        sa.Column("power_state", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ephemeral", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_containers")),
        sa.UniqueConstraint("name", name=op.f("uq_containers_name")),
    )
    op.create_table(
        "daily_aggregates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("date", sa.String(length=10), nullable=False),
        sa.Column("sample_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("avg_cpu_percent", sa.Float(), nullable=True),
        sa.Column("max_cpu_percent", sa.Float(), nullable=True),
        sa.Column("avg_memory_percent", sa.Float(), nullable=True),
        sa.Column("max_memory_percent", sa.Float(), nullable=True),
        sa.Column("total_bytes_sent", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("total_bytes_recv", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("total_events", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("warning_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("failed_login_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("banned_ip_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("unique_ips", sa.Integer(), server_default="0", nullable=False),
        sa.Column("unique_users", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_daily_aggregates")),
        sa.UniqueConstraint("date", name=op.f("uq_daily_aggregates_date")),
    )
    op.create_table(
        "hourly_aggregates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hour_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("sample_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("avg_cpu_percent", sa.Float(), nullable=True),
        sa.Column("max_cpu_percent", sa.Float(), nullable=True),
        sa.Column("avg_memory_percent", sa.Float(), nullable=True),
        sa.Column("max_memory_percent", sa.Float(), nullable=True),
        sa.Column("total_bytes_sent", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("total_bytes_recv", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("total_events", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("warning_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("failed_login_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("banned_ip_count", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hourly_aggregates")),
        sa.UniqueConstraint("hour_timestamp", name=op.f("uq_hourly_aggregates_hour_timestamp")),
    )
    op.create_table(
        "images",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cached", sa.Integer(), server_default="0", nullable=False),
        sa.Column("fingerprint", sa.String(length=255), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("public", sa.Integer(), server_default="0", nullable=False),
        sa.Column("architecture", sa.Integer(), nullable=False),
        sa.Column("creation_date", core.models.base.UTCDateTime(), nullable=True),
        sa.Column("expiry_date", core.models.base.UTCDateTime(), nullable=True),
        sa.Column("upload_date", core.models.base.UTCDateTime(), nullable=False),
        sa.Column("last_use_date", core.models.base.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_images")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_images_fingerprint")),
    )
    op.create_table(
        "ip_reputation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ip_address", sa.String(length=64), nullable=False),
        sa.Column("first_seen", sa.BigInteger(), nullable=False),
        sa.Column("last_seen", sa.BigInteger(), nullable=False),
        sa.Column("threat_score", sa.Float(), server_default="0", nullable=False),
        sa.Column("total_events", sa.Integer(), server_default="0", nullable=False),
        sa.Column("failed_login_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("banned_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("metadata", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ip_reputation")),
        sa.UniqueConstraint("ip_address", name=op.f("uq_ip_reputation_ip_address")),
    )
    with op.batch_alter_table("ip_reputation", schema=None) as batch_op:
        batch_op.create_index("ix_ip_reputation_threat_score", ["threat_score"], unique=False)

    op.create_table(
        "iscsi_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("iqn", sa.String(length=255), nullable=False),
        sa.Column("initiators", sa.Text(), nullable=True),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iscsi_targets")),
        sa.UniqueConstraint("iqn", name=op.f("uq_iscsi_targets_iqn")),
    )
    op.create_table(
        "log_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("ip_address", sa.String(length=64), nullable=True),
        sa.Column("user", sa.String(length=255), nullable=True),
        sa.Column("service", sa.String(length=255), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=True),
        sa.Column("metadata", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_events")),
    )
    with op.batch_alter_table("log_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_log_events_ip_address_timestamp", ["ip_address", "timestamp"], unique=False
        )
        batch_op.create_index("ix_log_events_level", ["level"], unique=False)
        batch_op.create_index(
            "ix_log_events_source_timestamp", ["source", "timestamp"], unique=False
        )
        batch_op.create_index("ix_log_events_timestamp", ["timestamp"], unique=False)

    op.create_table(
        "metadata",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_metadata")),
    )
    op.create_table(
        "network_metrics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("interface", sa.String(length=64), server_default="", nullable=False),
        sa.Column("bytes_sent", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("bytes_recv", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("packets_sent", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("packets_recv", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("errors_in", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("errors_out", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("drops_in", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("drops_out", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("connections_established", sa.Integer(), nullable=True),
        sa.Column("connections_listen", sa.Integer(), nullable=True),
        sa.Column("connections_time_wait", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_metrics")),
    )
    with op.batch_alter_table("network_metrics", schema=None) as batch_op:
        batch_op.create_index(
            "ix_network_metrics_interface_timestamp", ["interface", "timestamp"], unique=False
        )
        batch_op.create_index("ix_network_metrics_timestamp", ["timestamp"], unique=False)

    op.create_table(
        "nfs_exports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=1024), nullable=False),
        sa.Column("dataset", sa.Text(), nullable=True),
        sa.Column("clients", sa.Text(), nullable=True),
        sa.Column("read_only", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("root_squash", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nfs_exports")),
        sa.UniqueConstraint("path", name=op.f("uq_nfs_exports_path")),
    )
    op.create_table(
        "profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profiles")),
        sa.UniqueConstraint("name", name=op.f("uq_profiles_name")),
    )
    op.create_table(
        "schema",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", core.models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schema")),
        sa.UniqueConstraint("version", name=op.f("uq_schema_version")),
    )
    op.create_table(
        "services",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("version", sa.Integer(), server_default="0", nullable=False),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("service", sa.String(length=255), nullable=True),
        sa.Column("user", sa.String(length=255), nullable=True),
        sa.Column("permissions", sa.Text(), nullable=True),
        sa.Column("state", sa.Integer(), server_default="0", nullable=False),
        sa.Column("status", sa.Integer(), server_default="0", nullable=False),
        sa.Column("start_at", core.models.base.UTCDateTime(), nullable=True),
        sa.Column("ttl", sa.Integer(), nullable=True),
        sa.Column("alert_rules", sa.Text(), nullable=True),
        sa.Column("ul_limit", sa.BigInteger(), nullable=True),
        sa.Column("dl_limit", sa.BigInteger(), nullable=True),
        sa.Column("storage_limit", sa.BigInteger(), nullable=True),
        sa.Column("state_limit", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services")),
    )
    op.create_table(
        "smb_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("dataset", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("read_only", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("guest_ok", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("valid_users", sa.Text(), nullable=True),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smb_shares")),
        sa.UniqueConstraint("name", name=op.f("uq_smb_shares_name")),
    )
    op.create_table(
        "snapshot_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset", sa.String(length=1024), nullable=False),
        sa.Column("frequent", sa.Integer(), server_default="0", nullable=False),
        sa.Column("hourly", sa.Integer(), server_default="0", nullable=False),
        sa.Column("daily", sa.Integer(), server_default="0", nullable=False),
        sa.Column("weekly", sa.Integer(), server_default="0", nullable=False),
        sa.Column("monthly", sa.Integer(), server_default="0", nullable=False),
        sa.Column("yearly", sa.Integer(), server_default="0", nullable=False),
        sa.Column("autosnap", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("autoprune", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_snapshot_policies")),
        sa.UniqueConstraint("dataset", name=op.f("uq_snapshot_policies_dataset")),
    )
    op.create_table(
        "system_metrics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("cpu_percent", sa.Float(), nullable=True),
        sa.Column("cpu_count", sa.Integer(), nullable=True),
        sa.Column("memory_total", sa.BigInteger(), nullable=True),
        sa.Column("memory_available", sa.BigInteger(), nullable=True),
        sa.Column("memory_percent", sa.Float(), nullable=True),
        sa.Column("disk_total", sa.BigInteger(), nullable=True),
        sa.Column("disk_used", sa.BigInteger(), nullable=True),
        sa.Column("disk_percent", sa.Float(), nullable=True),
        sa.Column("disk_read_bytes", sa.BigInteger(), nullable=True),
        sa.Column("disk_write_bytes", sa.BigInteger(), nullable=True),
        sa.Column("load_1min", sa.Float(), nullable=True),
        sa.Column("load_5min", sa.Float(), nullable=True),
        sa.Column("load_15min", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_system_metrics")),
    )
    with op.batch_alter_table("system_metrics", schema=None) as batch_op:
        batch_op.create_index("ix_system_metrics_timestamp", ["timestamp"], unique=False)

    op.create_table(
        "trace_patterns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pattern_type", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=255), nullable=False),
        sa.Column("first_seen", sa.BigInteger(), nullable=False),
        sa.Column("last_seen", sa.BigInteger(), nullable=False),
        sa.Column("occurrence_count", sa.Integer(), server_default="1", nullable=False),
        sa.Column("metadata", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trace_patterns")),
        sa.UniqueConstraint("signature", name=op.f("uq_trace_patterns_signature")),
    )
    with op.batch_alter_table("trace_patterns", schema=None) as batch_op:
        batch_op.create_index("ix_trace_patterns_last_seen", ["last_seen"], unique=False)

    op.create_table(
        "trafficmonitor",
        sa.Column("chain", sa.String(length=255), nullable=False),
        sa.Column("time", core.models.base.UTCDateTime(), nullable=True),
        sa.Column("value", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("chain", name=op.f("pk_trafficmonitor")),
    )
    op.create_table(
        "containers_config",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("container_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["container_id"],
            ["containers.id"],
            name=op.f("fk_containers_config_container_id_containers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_containers_config")),
        sa.UniqueConstraint(
            "container_id", "key", name=op.f("uq_containers_config_container_id_key")
        ),
    )
    with op.batch_alter_table("containers_config", schema=None) as batch_op:
        batch_op.create_index("ix_containers_config_key_value", ["key", "value"], unique=False)

    op.create_table(
        "containers_devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("container_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("type", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["container_id"],
            ["containers.id"],
            name=op.f("fk_containers_devices_container_id_containers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_containers_devices")),
        sa.UniqueConstraint(
            "container_id", "name", name=op.f("uq_containers_devices_container_id_name")
        ),
    )
    op.create_table(
        "containers_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("container_id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("apply_order", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["container_id"],
            ["containers.id"],
            name=op.f("fk_containers_profiles_container_id_containers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name=op.f("fk_containers_profiles_profile_id_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_containers_profiles")),
        sa.UniqueConstraint(
            "container_id",
            "profile_id",
            name=op.f("uq_containers_profiles_container_id_profile_id"),
        ),
    )
    with op.batch_alter_table("containers_profiles", schema=None) as batch_op:
        batch_op.create_index("ix_containers_profiles_profile_id", ["profile_id"], unique=False)

    op.create_table(
        "event_traces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=True),
        sa.Column("causality_chain", sa.Text(), nullable=True),
        sa.Column("related_services", sa.Text(), nullable=True),
        sa.Column("severity_score", sa.Float(), nullable=True),
        sa.Column("root_cause", sa.Text(), nullable=True),
        sa.Column("trace_metadata", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["log_events.id"],
            name=op.f("fk_event_traces_event_id_log_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_traces")),
    )
    with op.batch_alter_table("event_traces", schema=None) as batch_op:
        batch_op.create_index("ix_event_traces_event_id", ["event_id"], unique=False)
        batch_op.create_index("ix_event_traces_severity_score", ["severity_score"], unique=False)
        batch_op.create_index("ix_event_traces_timestamp", ["timestamp"], unique=False)

    op.create_table(
        "images_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("image_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["image_id"],
            ["images.id"],
            name=op.f("fk_images_aliases_image_id_images"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_images_aliases")),
        sa.UniqueConstraint("name", name=op.f("uq_images_aliases_name")),
    )
    with op.batch_alter_table("images_aliases", schema=None) as batch_op:
        batch_op.create_index("ix_images_aliases_image_id", ["image_id"], unique=False)

    op.create_table(
        "images_properties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("image_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.Integer(), server_default="0", nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["image_id"],
            ["images.id"],
            name=op.f("fk_images_properties_image_id_images"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_images_properties")),
        sa.UniqueConstraint("image_id", "key", name=op.f("uq_images_properties_image_id_key")),
    )
    op.create_table(
        "iscsi_luns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("lun", sa.Integer(), nullable=False),
        sa.Column("zvol", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("backend", sa.String(length=32), server_default="zvol", nullable=False),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["iscsi_targets.id"],
            name=op.f("fk_iscsi_luns_target_id_iscsi_targets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iscsi_luns")),
        sa.UniqueConstraint("target_id", "lun", name=op.f("uq_iscsi_luns_target_id_lun")),
    )
    op.create_table(
        "profiles_config",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name=op.f("fk_profiles_config_profile_id_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profiles_config")),
        sa.UniqueConstraint("profile_id", "key", name=op.f("uq_profiles_config_profile_id_key")),
    )
    with op.batch_alter_table("profiles_config", schema=None) as batch_op:
        batch_op.create_index("ix_profiles_config_key_value", ["key", "value"], unique=False)

    op.create_table(
        "profiles_devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("type", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name=op.f("fk_profiles_devices_profile_id_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profiles_devices")),
        sa.UniqueConstraint("profile_id", "name", name=op.f("uq_profiles_devices_profile_id_name")),
    )
    op.create_table(
        "users",
        sa.Column("users", sa.String(length=1024), nullable=False),
        sa.Column("service_id", sa.String(length=255), nullable=False),
        sa.Column("storage_folder", sa.Text(), nullable=True),
        sa.Column("state_checksum", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_users_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("users", "service_id", name=op.f("pk_users")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index("ix_users_service_id", ["service_id"], unique=False)

    op.create_table(
        "containers_devices_config",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("container_device_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["container_device_id"],
            ["containers_devices.id"],
            name=op.f("fk_containers_devices_config_container_device_id_containers_devices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_containers_devices_config")),
        sa.UniqueConstraint(
            "container_device_id",
            "key",
            name=op.f("uq_containers_devices_config_container_device_id_key"),
        ),
    )
    with op.batch_alter_table("containers_devices_config", schema=None) as batch_op:
        batch_op.create_index(
            "ix_containers_devices_config_key_value", ["key", "value"], unique=False
        )

    op.create_table(
        "error_traces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trace_id", sa.Integer(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("error_type", sa.String(length=64), nullable=True),
        sa.Column("error_category", sa.String(length=64), nullable=True),
        sa.Column("exception_type", sa.String(length=255), nullable=True),
        sa.Column("severity", sa.String(length=16), nullable=True),
        sa.Column("file_path", sa.Text(), nullable=True),
        sa.Column("line_number", sa.Integer(), nullable=True),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("has_stacktrace", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("root_cause_hints", sa.Text(), nullable=True),
        sa.Column("recovery_suggestions", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["trace_id"],
            ["event_traces.id"],
            name=op.f("fk_error_traces_trace_id_event_traces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_error_traces")),
    )
    with op.batch_alter_table("error_traces", schema=None) as batch_op:
        batch_op.create_index("ix_error_traces_error_type", ["error_type"], unique=False)
        batch_op.create_index("ix_error_traces_trace_id", ["trace_id"], unique=False)

    op.create_table(
        "network_traces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trace_id", sa.Integer(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("local_ip", sa.String(length=64), nullable=True),
        sa.Column("local_port", sa.Integer(), nullable=True),
        sa.Column("remote_ip", sa.String(length=64), nullable=True),
        sa.Column("remote_port", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=32), nullable=True),
        sa.Column("protocol", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["trace_id"],
            ["event_traces.id"],
            name=op.f("fk_network_traces_trace_id_event_traces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_traces")),
    )
    with op.batch_alter_table("network_traces", schema=None) as batch_op:
        batch_op.create_index("ix_network_traces_trace_id", ["trace_id"], unique=False)

    op.create_table(
        "process_traces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trace_id", sa.Integer(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("cmdline", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=32), nullable=True),
        sa.Column("parent_pid", sa.Integer(), nullable=True),
        sa.Column("memory_rss", sa.BigInteger(), nullable=True),
        sa.Column("memory_vms", sa.BigInteger(), nullable=True),
        sa.Column("cpu_user", sa.Float(), nullable=True),
        sa.Column("cpu_system", sa.Float(), nullable=True),
        sa.Column("num_threads", sa.Integer(), nullable=True),
        sa.Column("io_read_bytes", sa.BigInteger(), nullable=True),
        sa.Column("io_write_bytes", sa.BigInteger(), nullable=True),
        sa.Column("io_read_count", sa.BigInteger(), nullable=True),
        sa.Column("io_write_count", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["trace_id"],
            ["event_traces.id"],
            name=op.f("fk_process_traces_trace_id_event_traces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_traces")),
    )
    with op.batch_alter_table("process_traces", schema=None) as batch_op:
        batch_op.create_index("ix_process_traces_trace_id", ["trace_id"], unique=False)

    op.create_table(
        "profiles_devices_config",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("profile_device_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["profile_device_id"],
            ["profiles_devices.id"],
            name=op.f("fk_profiles_devices_config_profile_device_id_profiles_devices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profiles_devices_config")),
        sa.UniqueConstraint(
            "profile_device_id",
            "key",
            name=op.f("uq_profiles_devices_config_profile_device_id_key"),
        ),
    )
    with op.batch_alter_table("profiles_devices_config", schema=None) as batch_op:
        batch_op.create_index(
            "ix_profiles_devices_config_key_value", ["key", "value"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("profiles_devices_config", schema=None) as batch_op:
        batch_op.drop_index("ix_profiles_devices_config_key_value")

    op.drop_table("profiles_devices_config")
    with op.batch_alter_table("process_traces", schema=None) as batch_op:
        batch_op.drop_index("ix_process_traces_trace_id")

    op.drop_table("process_traces")
    with op.batch_alter_table("network_traces", schema=None) as batch_op:
        batch_op.drop_index("ix_network_traces_trace_id")

    op.drop_table("network_traces")
    with op.batch_alter_table("error_traces", schema=None) as batch_op:
        batch_op.drop_index("ix_error_traces_trace_id")
        batch_op.drop_index("ix_error_traces_error_type")

    op.drop_table("error_traces")
    with op.batch_alter_table("containers_devices_config", schema=None) as batch_op:
        batch_op.drop_index("ix_containers_devices_config_key_value")

    op.drop_table("containers_devices_config")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("ix_users_service_id")

    op.drop_table("users")
    op.drop_table("profiles_devices")
    with op.batch_alter_table("profiles_config", schema=None) as batch_op:
        batch_op.drop_index("ix_profiles_config_key_value")

    op.drop_table("profiles_config")
    op.drop_table("iscsi_luns")
    op.drop_table("images_properties")
    with op.batch_alter_table("images_aliases", schema=None) as batch_op:
        batch_op.drop_index("ix_images_aliases_image_id")

    op.drop_table("images_aliases")
    with op.batch_alter_table("event_traces", schema=None) as batch_op:
        batch_op.drop_index("ix_event_traces_timestamp")
        batch_op.drop_index("ix_event_traces_severity_score")
        batch_op.drop_index("ix_event_traces_event_id")

    op.drop_table("event_traces")
    with op.batch_alter_table("containers_profiles", schema=None) as batch_op:
        batch_op.drop_index("ix_containers_profiles_profile_id")

    op.drop_table("containers_profiles")
    op.drop_table("containers_devices")
    with op.batch_alter_table("containers_config", schema=None) as batch_op:
        batch_op.drop_index("ix_containers_config_key_value")

    op.drop_table("containers_config")
    op.drop_table("trafficmonitor")
    with op.batch_alter_table("trace_patterns", schema=None) as batch_op:
        batch_op.drop_index("ix_trace_patterns_last_seen")

    op.drop_table("trace_patterns")
    with op.batch_alter_table("system_metrics", schema=None) as batch_op:
        batch_op.drop_index("ix_system_metrics_timestamp")

    op.drop_table("system_metrics")
    op.drop_table("snapshot_policies")
    op.drop_table("smb_shares")
    op.drop_table("services")
    op.drop_table("schema")
    op.drop_table("profiles")
    op.drop_table("nfs_exports")
    with op.batch_alter_table("network_metrics", schema=None) as batch_op:
        batch_op.drop_index("ix_network_metrics_timestamp")
        batch_op.drop_index("ix_network_metrics_interface_timestamp")

    op.drop_table("network_metrics")
    op.drop_table("metadata")
    with op.batch_alter_table("log_events", schema=None) as batch_op:
        batch_op.drop_index("ix_log_events_timestamp")
        batch_op.drop_index("ix_log_events_source_timestamp")
        batch_op.drop_index("ix_log_events_level")
        batch_op.drop_index("ix_log_events_ip_address_timestamp")

    op.drop_table("log_events")
    op.drop_table("iscsi_targets")
    with op.batch_alter_table("ip_reputation", schema=None) as batch_op:
        batch_op.drop_index("ix_ip_reputation_threat_score")

    op.drop_table("ip_reputation")
    op.drop_table("images")
    op.drop_table("hourly_aggregates")
    op.drop_table("daily_aggregates")
    op.drop_table("containers")
    op.drop_table("config")
    op.drop_table("certificates")
    with op.batch_alter_table("audit_logs", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_logs_timestamp")
        batch_op.drop_index("ix_audit_logs_resource_timestamp")
        batch_op.drop_index("ix_audit_logs_actor_timestamp")

    op.drop_table("audit_logs")
    op.drop_table("accounts")
