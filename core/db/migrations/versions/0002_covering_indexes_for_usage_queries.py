"""Covering indexes for "which containers use network X" and profile usage.

Measured with tests/perf/test_using_network.py: the (key, value) lookups now carry the device id,
and containers_profiles is indexed both ways, so every probe of the usage query stays in an index.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("containers_devices_config") as batch:
        batch.drop_index("ix_containers_devices_config_key_value")
        batch.create_index(
            "ix_containers_devices_config_lookup", ["key", "value", "container_device_id"]
        )
    with op.batch_alter_table("profiles_devices_config") as batch:
        batch.drop_index("ix_profiles_devices_config_key_value")
        batch.create_index(
            "ix_profiles_devices_config_lookup", ["key", "value", "profile_device_id"]
        )
    with op.batch_alter_table("containers_profiles") as batch:
        batch.drop_index("ix_containers_profiles_profile_id")
        batch.create_index(
            "ix_containers_profiles_by_profile", ["profile_id", "container_id", "apply_order"]
        )
        batch.create_index(
            "ix_containers_profiles_by_order", ["container_id", "apply_order", "profile_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("containers_profiles") as batch:
        batch.drop_index("ix_containers_profiles_by_order")
        batch.drop_index("ix_containers_profiles_by_profile")
        batch.create_index("ix_containers_profiles_profile_id", ["profile_id"])
    with op.batch_alter_table("profiles_devices_config") as batch:
        batch.drop_index("ix_profiles_devices_config_lookup")
        batch.create_index("ix_profiles_devices_config_key_value", ["key", "value"])
    with op.batch_alter_table("containers_devices_config") as batch:
        batch.drop_index("ix_containers_devices_config_lookup")
        batch.create_index("ix_containers_devices_config_key_value", ["key", "value"])
