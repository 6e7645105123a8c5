"""Image sizes as BIGINT; value lookups through partial indexes.

A 3 GB image does not fit PostgreSQL's 32-bit integer. A btree index on every config value
fails on PostgreSQL for a long value (cloud-init user-data, raw.lxc), and only two lookups need
one: nics by network, containers by base image. The indexes now cover just those keys.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

NETWORK_KEYS = "key IN ('network', 'parent')"
BASE_IMAGE = "key = 'volatile.base_image'"


def partial(condition: str) -> dict:
    return {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}


def upgrade() -> None:
    with op.batch_alter_table("images") as batch:
        batch.alter_column(
            "size", existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=False
        )
    with op.batch_alter_table("containers_config") as batch:
        batch.drop_index("ix_containers_config_key_value")
        batch.create_index("ix_containers_config_base_image", ["value"], **partial(BASE_IMAGE))
    with op.batch_alter_table("profiles_config") as batch:
        batch.drop_index("ix_profiles_config_key_value")
    with op.batch_alter_table("containers_devices_config") as batch:
        batch.drop_index("ix_containers_devices_config_lookup")
        batch.create_index(
            "ix_containers_devices_config_network",
            ["key", "value", "container_device_id"],
            **partial(NETWORK_KEYS),
        )
    with op.batch_alter_table("profiles_devices_config") as batch:
        batch.drop_index("ix_profiles_devices_config_lookup")
        batch.create_index(
            "ix_profiles_devices_config_network",
            ["key", "value", "profile_device_id"],
            **partial(NETWORK_KEYS),
        )


def downgrade() -> None:
    with op.batch_alter_table("profiles_devices_config") as batch:
        batch.drop_index("ix_profiles_devices_config_network")
        batch.create_index(
            "ix_profiles_devices_config_lookup", ["key", "value", "profile_device_id"]
        )
    with op.batch_alter_table("containers_devices_config") as batch:
        batch.drop_index("ix_containers_devices_config_network")
        batch.create_index(
            "ix_containers_devices_config_lookup", ["key", "value", "container_device_id"]
        )
    with op.batch_alter_table("profiles_config") as batch:
        batch.create_index("ix_profiles_config_key_value", ["key", "value"])
    with op.batch_alter_table("containers_config") as batch:
        batch.drop_index("ix_containers_config_base_image")
        batch.create_index("ix_containers_config_key_value", ["key", "value"])
    with op.batch_alter_table("images") as batch:
        batch.alter_column(
            "size", existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=False
        )
