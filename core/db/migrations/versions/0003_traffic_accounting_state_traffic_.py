"""traffic accounting state, traffic history, rollup sums, service main pid

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

import core.models.base

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "traffic_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain", sa.String(length=255), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("period_start", core.models.base.UTCDateTime(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_traffic_history")),
        sa.UniqueConstraint(
            "chain", "period_start", name=op.f("uq_traffic_history_chain_period_start")
        ),
    )
    with op.batch_alter_table("traffic_history", schema=None) as batch_op:
        batch_op.create_index("ix_traffic_history_period_start", ["period_start"], unique=False)

    with op.batch_alter_table("daily_aggregates", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sum_cpu_percent", sa.Float(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("sum_memory_percent", sa.Float(), server_default="0", nullable=False)
        )

    with op.batch_alter_table("hourly_aggregates", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sum_cpu_percent", sa.Float(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("sum_memory_percent", sa.Float(), server_default="0", nullable=False)
        )

    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.add_column(sa.Column("main_pid", sa.Integer(), nullable=True))

    with op.batch_alter_table("trafficmonitor", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_raw", core.models.base.UInt64(), nullable=True))
        batch_op.add_column(sa.Column("boot_time", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("period_start", core.models.base.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:

    with op.batch_alter_table("trafficmonitor", schema=None) as batch_op:
        batch_op.drop_column("period_start")
        batch_op.drop_column("boot_time")
        batch_op.drop_column("last_raw")

    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_column("main_pid")

    with op.batch_alter_table("hourly_aggregates", schema=None) as batch_op:
        batch_op.drop_column("sum_memory_percent")
        batch_op.drop_column("sum_cpu_percent")

    with op.batch_alter_table("daily_aggregates", schema=None) as batch_op:
        batch_op.drop_column("sum_memory_percent")
        batch_op.drop_column("sum_cpu_percent")

    with op.batch_alter_table("traffic_history", schema=None) as batch_op:
        batch_op.drop_index("ix_traffic_history_period_start")

    op.drop_table("traffic_history")
