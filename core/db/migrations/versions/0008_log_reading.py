"""What reading log files needs (issue 14): each event's program, pid, host and time of reading;
where reading each file stopped (``log_files``); an index to filter events by action; the IP
reputation's other counts; the hourly rollup's distinct IPs and users, as the daily one has.

Columns are added (``ADD COLUMN``), not tables rebuilt: SQLite keeps the tables' rows, indexes
and triggers as they are, and the new columns are empty (or 0) on the events already stored.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

REPUTATION_COUNTS = (
    "invalid_user_count",
    "auth_failure_count",
    "firewall_block_count",
    "accepted_login_count",
)


def upgrade() -> None:
    op.add_column("log_events", sa.Column("program", sa.String(length=255), nullable=True))
    op.add_column("log_events", sa.Column("pid", sa.Integer(), nullable=True))
    op.add_column("log_events", sa.Column("host", sa.String(length=255), nullable=True))
    op.add_column("log_events", sa.Column("ingested", sa.BigInteger(), nullable=True))
    op.create_index(
        "ix_log_events_node_id_action_timestamp", "log_events", ["node_id", "action", "timestamp"]
    )
    for name in REPUTATION_COUNTS:
        op.add_column(
            "ip_reputation",
            sa.Column(name, sa.Integer(), nullable=False, server_default="0"),
        )
    for name in ("unique_ips", "unique_users"):
        op.add_column(
            "hourly_aggregates",
            sa.Column(name, sa.Integer(), nullable=False, server_default="0"),
        )
    op.create_table(
        "log_files",
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("device", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("inode", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("offset", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("first_line_hash", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column("lines", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("updated", sa.BigInteger(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["node_id"], ["nodes.id"], name=op.f("fk_log_files_node_id_nodes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("node_id", "path", name=op.f("pk_log_files")),
    )


def downgrade() -> None:
    op.drop_table("log_files")
    with op.batch_alter_table("hourly_aggregates") as batch:
        for name in ("unique_users", "unique_ips"):
            batch.drop_column(name)
    with op.batch_alter_table("ip_reputation") as batch:
        for name in REPUTATION_COUNTS:
            batch.drop_column(name)
    op.drop_index("ix_log_events_node_id_action_timestamp", table_name="log_events")
    with op.batch_alter_table("log_events") as batch:
        for name in ("ingested", "host", "pid", "program"):
            batch.drop_column(name)
