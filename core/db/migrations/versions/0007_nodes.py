"""Nodes: a ``nodes`` table, and ``node_id`` on every table that describes one machine.

A fleet points every node at one PostgreSQL database; without a node on each row, two hosts
would mix their containers, services and samples, and a name such as ``web1`` could exist on one
host only. Each such table gets ``node_id`` (``nodes.id``, deleting a node deletes its rows), and
what was unique in the database is now unique within a node: a name, a fingerprint, a traffic
chain, an hour of rollups. Child tables (a container's config, devices, profile links) keep their
node through their parent, except ``images_aliases`` (its name is unique per node) and
``containers_networks`` (the fleet-wide usage query reads it alone).

An existing database gets one node, named after this host, and every row is given to it. The
statements are written out here rather than taken from the models: a migration stays what it was
when shipped, whatever the models become.

SQLite rebuilds each table (Alembic's batch mode), which drops its revision triggers (migration
0005): they are created again here.

Revision ID: 0007
Revises: 0006
"""

import socket
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _unique(*columns: str) -> tuple[str, str, tuple[str, ...]]:
    return ("unique", "", columns)


def _index(name: str, *columns: str) -> tuple[str, str, tuple[str, ...]]:
    return ("index", name, columns)


# table: (what is dropped: (kind, name)), (what is made in its place)
TABLES: dict[str, tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str, tuple], ...]]] = {
    "certificates": (
        (("unique", "uq_certificates_fingerprint"),),
        (_unique("node_id", "fingerprint"),),
    ),
    "config": ((("unique", "uq_config_key"),), (_unique("node_id", "key"),)),
    "containers": ((("unique", "uq_containers_name"),), (_unique("node_id", "name"),)),
    "containers_networks": (
        (("index", "ix_containers_networks_network"),),
        (_index("ix_containers_networks_network", "network", "node_id", "name", "container_id"),),
    ),
    "images": ((("unique", "uq_images_fingerprint"),), (_unique("node_id", "fingerprint"),)),
    "images_aliases": ((("unique", "uq_images_aliases_name"),), (_unique("node_id", "name"),)),
    "profiles": ((("unique", "uq_profiles_name"),), (_unique("node_id", "name"),)),
    "services": ((("primary", "pk_services"),), (("primary", "pk_services", ("node_id", "id")),)),
    "users": (
        (("primary", "pk_users"), ("index", "ix_users_service_id")),
        (
            ("primary", "pk_users", ("node_id", "users", "service_id")),
            ("foreign", "fk_users_node_id_services", ("node_id", "service_id")),
            _index("ix_users_node_id_service_id", "node_id", "service_id"),
        ),
    ),
    "trafficmonitor": (
        (("primary", "pk_trafficmonitor"),),
        (("primary", "pk_trafficmonitor", ("node_id", "chain")),),
    ),
    "traffic_history": (
        (("unique", "uq_traffic_history_chain_period_start"),),
        (_unique("node_id", "chain", "period_start"),),
    ),
    "system_metrics": (
        (("index", "ix_system_metrics_timestamp"),),
        (_index("ix_system_metrics_node_id_timestamp", "node_id", "timestamp"),),
    ),
    "network_metrics": (
        (
            ("index", "ix_network_metrics_timestamp"),
            ("index", "ix_network_metrics_interface_timestamp"),
        ),
        (
            _index("ix_network_metrics_node_id_timestamp", "node_id", "timestamp"),
            _index(
                "ix_network_metrics_node_id_interface_timestamp",
                "node_id",
                "interface",
                "timestamp",
            ),
        ),
    ),
    "log_events": (
        (
            ("index", "ix_log_events_timestamp"),
            ("index", "ix_log_events_source_timestamp"),
            ("index", "ix_log_events_ip_address_timestamp"),
        ),
        (
            _index("ix_log_events_node_id_timestamp", "node_id", "timestamp"),
            _index("ix_log_events_node_id_source_timestamp", "node_id", "source", "timestamp"),
            _index(
                "ix_log_events_node_id_ip_address_timestamp", "node_id", "ip_address", "timestamp"
            ),
        ),
    ),
    "hourly_aggregates": (
        (("unique", "uq_hourly_aggregates_hour_timestamp"),),
        (_unique("node_id", "hour_timestamp"),),
    ),
    "daily_aggregates": (
        (("unique", "uq_daily_aggregates_date"),),
        (_unique("node_id", "date"),),
    ),
    "event_traces": (
        (("index", "ix_event_traces_timestamp"),),
        (_index("ix_event_traces_node_id_timestamp", "node_id", "timestamp"),),
    ),
    "ip_reputation": (
        (("unique", "uq_ip_reputation_ip_address"),),
        (_unique("node_id", "ip_address"),),
    ),
    "trace_patterns": (
        (("unique", "uq_trace_patterns_signature"),),
        (_unique("node_id", "signature"),),
    ),
    "metadata": ((("primary", "pk_metadata"),), (("primary", "pk_metadata", ("node_id", "key")),)),
    "audit_logs": ((), ()),
    "smb_shares": ((("unique", "uq_smb_shares_name"),), (_unique("node_id", "name"),)),
    "nfs_exports": ((("unique", "uq_nfs_exports_path"),), (_unique("node_id", "path"),)),
    "iscsi_targets": ((("unique", "uq_iscsi_targets_iqn"),), (_unique("node_id", "iqn"),)),
    "snapshot_policies": (
        (("unique", "uq_snapshot_policies_dataset"),),
        (_unique("node_id", "dataset"),),
    ),
}

# Migration 0005's revision triggers, on the tables rebuilt here (SQLite drops them with the
# table it rebuilds; PostgreSQL alters tables in place and keeps them).
REVISION_TABLES = ("certificates", "config", "containers", "images", "images_aliases", "profiles")


def _has_rows() -> bool:
    bind = op.get_bind()
    return any(
        bind.execute(sa.text(f"SELECT 1 FROM {name} LIMIT 1")).first() is not None
        for name in TABLES
    )


def _first_node() -> int:
    """The node an existing database's rows are given to: this host. 1 when there are no rows
    (the default below then fills nothing)."""
    if not _has_rows():
        return 1
    host = socket.gethostname() or "localhost"
    bind = op.get_bind()
    bind.execute(
        sa.text("INSERT INTO nodes (name, hostname, first_seen) VALUES (:name, :host, :now)"),
        {"name": host, "host": host, "now": datetime.now(UTC).replace(tzinfo=None)},
    )
    return bind.execute(sa.text("SELECT id FROM nodes WHERE name = :name"), {"name": host}).one()[0]


def upgrade() -> None:
    op.create_table(
        "nodes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_heartbeat", sa.DateTime(), nullable=True),
        sa.Column("heartbeat_interval", sa.Float(), nullable=True),
        sa.Column("version", sa.String(length=64), nullable=True),
        sa.Column("boot_time", sa.BigInteger(), nullable=True),
        sa.Column("cpu_count", sa.Integer(), nullable=True),
        sa.Column("memory_total", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nodes")),
        sa.UniqueConstraint("name", name=op.f("uq_nodes_name")),
    )
    node = _first_node()
    # users' key to services changes with services' primary key: PostgreSQL refuses to drop a
    # key that another table's foreign key uses.
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("fk_users_service_id_services", type_="foreignkey")
    for name, (dropped, made) in TABLES.items():
        with op.batch_alter_table(name) as batch:
            batch.add_column(
                sa.Column("node_id", sa.Integer(), nullable=False, server_default=str(node))
            )
            for kind, constraint in dropped:
                if kind == "index":
                    batch.drop_index(constraint)
                else:
                    batch.drop_constraint(constraint, type_=kind)
            batch.create_foreign_key(
                f"fk_{name}_node_id_nodes", "nodes", ["node_id"], ["id"], ondelete="CASCADE"
            )
            for kind, constraint, columns in made:
                if kind == "index":
                    batch.create_index(constraint, list(columns))
                elif kind == "unique":
                    batch.create_unique_constraint(f"uq_{name}_{'_'.join(columns)}", list(columns))
                elif kind == "primary":
                    batch.create_primary_key(constraint, list(columns))
                else:  # users -> services, within the node
                    batch.create_foreign_key(
                        constraint, "services", list(columns), ["node_id", "id"], ondelete="CASCADE"
                    )
    # No default from now on: a row written without its node is an error, not node 1's.
    for name in TABLES:
        with op.batch_alter_table(name) as batch:
            batch.alter_column("node_id", server_default=None, existing_type=sa.Integer())
    if op.get_bind().dialect.name == "sqlite":
        for name in REVISION_TABLES:
            for event in ("INSERT", "UPDATE", "DELETE"):
                op.execute(f"DROP TRIGGER IF EXISTS nk_revision_{name}_{event.lower()}")
                op.execute(
                    f"CREATE TRIGGER nk_revision_{name}_{event.lower()} AFTER {event} ON {name} "
                    "BEGIN UPDATE revisions SET revision = revision + 1 "
                    "WHERE domain = 'containers'; END"
                )


def downgrade() -> None:
    raise NotImplementedError("schema versions are append-only (see core.db.migrate)")
