"""Seed 003 (LXD): containers, profiles, images, certificates, server config and schema."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)

from .base import UTCDateTime, node_column, table

CASCADE = {"ondelete": "CASCADE"}
# The device keys naming a nic's network; the usage queries repeat this condition word for word,
# which is what lets SQLite and PostgreSQL use the partial indexes below.
NETWORK_KEYS = "key IN ('network', 'parent')"


def where(condition: str) -> dict:
    """A partial index condition. Given for SQLite here; ``with_postgresql_where`` gives
    PostgreSQL the same one when a PostgreSQL engine is made: naming a dialect's option loads
    that dialect, and PostgreSQL's would be loaded into every process (a fifth of SQLAlchemy's
    import time, with asyncpg's support) for nothing on SQLite."""
    return {"sqlite_where": text(condition)}


def with_postgresql_where(metadata: MetaData) -> None:
    """Give every partial index of ``metadata`` its condition on PostgreSQL too (for its DDL,
    and for ``db check`` comparing the database with the models). Called once a PostgreSQL
    engine exists, its dialect loaded; doing it again changes nothing."""
    for each in metadata.tables.values():
        for index in each.indexes:
            condition = index.dialect_options["sqlite"]["where"]
            if condition is not None:
                index.dialect_options["postgresql"]["where"] = condition


Certificate = table(
    "certificates",
    Column("id", Integer, primary_key=True),
    Column("fingerprint", String(255), nullable=False),
    Column("type", Integer, nullable=False),
    Column("name", String(255), nullable=False),
    Column("certificate", Text, nullable=False),
    node_column(),
    UniqueConstraint("node_id", "fingerprint"),
)


ServerConfig = table(
    "config",
    Column("id", Integer, primary_key=True),
    Column("key", String(255), nullable=False),
    Column("value", Text),
    node_column(),
    UniqueConstraint("node_id", "key"),
)


Container = table(
    "containers",
    Column("id", Integer, primary_key=True),
    Column("name", String(255), nullable=False),
    Column("architecture", Integer, nullable=False),
    Column("type", Integer, nullable=False, default=0, server_default="0"),
    Column("power_state", Integer, nullable=False, default=0, server_default="0"),
    Column("ephemeral", Integer, nullable=False, default=0, server_default="0"),
    node_column(),
    UniqueConstraint("node_id", "name"),
)


ContainerConfig = table(
    "containers_config",
    Column("id", Integer, primary_key=True),
    Column("container_id", Integer, ForeignKey("containers.id", **CASCADE), nullable=False),
    Column("key", String(255), nullable=False),
    Column("value", Text),
    UniqueConstraint("container_id", "key"),
    # "Which containers come from image X?" Partial: only that key is looked up by value, and
    # a btree cannot hold long values (cloud-init user-data, raw.lxc) on PostgreSQL.
    Index("ix_containers_config_base_image", "value", **where("key = 'volatile.base_image'")),
)


ContainerDevice = table(
    "containers_devices",
    Column("id", Integer, primary_key=True),
    Column("container_id", Integer, ForeignKey("containers.id", **CASCADE), nullable=False),
    Column("name", String(255), nullable=False),
    Column("type", Integer, nullable=False, default=0, server_default="0"),
    UniqueConstraint("container_id", "name"),
)


ContainerDeviceConfig = table(
    "containers_devices_config",
    Column("id", Integer, primary_key=True),
    Column(
        "container_device_id",
        Integer,
        ForeignKey("containers_devices.id", **CASCADE),
        nullable=False,
    ),
    Column("key", String(255), nullable=False),
    Column("value", Text),
    UniqueConstraint("container_device_id", "key"),
    # "Which devices point at br0?" starts from this index; it covers the device id too.
    Index(
        "ix_containers_devices_config_network",
        "key",
        "value",
        "container_device_id",
        **where(NETWORK_KEYS),
    ),  # fmt: skip
)


ContainerProfile = table(
    "containers_profiles",
    Column("id", Integer, primary_key=True),
    Column("container_id", Integer, ForeignKey("containers.id", **CASCADE), nullable=False),
    Column("profile_id", Integer, ForeignKey("profiles.id", **CASCADE), nullable=False),
    Column("apply_order", Integer, nullable=False, default=0, server_default="0"),
    UniqueConstraint("container_id", "profile_id"),
    # Covering indexes for the usage queries: profile -> containers, and a container's
    # profiles in apply order.
    Index("ix_containers_profiles_by_profile", "profile_id", "container_id", "apply_order"),
    Index("ix_containers_profiles_by_order", "container_id", "apply_order", "profile_id"),
)


# The networks each container's nics are effectively on (``expand``'s rules: its own nics, and
# its profiles' not replaced by a same-named device), one row per (container, network). Kept by
# every write to devices, profile lists and profiles (core.store.lxd_common.refresh_networks),
# so that "which containers use br0?" is one range of an index instead of the overlay worked
# out on every call. The container's name is kept beside its id so that the range gives the
# names already in order: looking each one up and sorting them cost more than the range itself.
ContainerNetwork = table(
    "containers_networks",
    Column(
        "container_id",
        Integer,
        ForeignKey("containers.id", **CASCADE),
        primary_key=True,
        autoincrement=False,
    ),
    Column("network", Text, primary_key=True),
    Column("name", String(255), nullable=False),  # containers.name, kept by refresh_networks
    node_column(),  # containers.node_id: one node's range, or the fleet's, of the same index
    Index("ix_containers_networks_network", "network", "node_id", "name", "container_id"),
)


Image = table(
    "images",
    Column("id", Integer, primary_key=True),
    Column("cached", Integer, nullable=False, default=0, server_default="0"),
    Column("fingerprint", String(255), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("public", Integer, nullable=False, default=0, server_default="0"),
    Column("architecture", Integer, nullable=False),
    Column("creation_date", UTCDateTime),
    Column("expiry_date", UTCDateTime),
    Column("upload_date", UTCDateTime, nullable=False),
    Column("last_use_date", UTCDateTime),
    node_column(),
    UniqueConstraint("node_id", "fingerprint"),
)


ImageProperty = table(
    "images_properties",
    Column("id", Integer, primary_key=True),
    Column("image_id", Integer, ForeignKey("images.id", **CASCADE), nullable=False),
    Column("type", Integer, nullable=False, default=0, server_default="0"),
    Column("key", String(255), nullable=False),
    Column("value", Text),
    UniqueConstraint("image_id", "key"),
)


ImageAlias = table(
    "images_aliases",
    Column("id", Integer, primary_key=True),
    Column("name", String(255), nullable=False),
    Column("image_id", Integer, ForeignKey("images.id", **CASCADE), nullable=False),
    Column("description", String(255)),
    node_column(),  # images.node_id: an alias names an image of its node
    UniqueConstraint("node_id", "name"),
    Index("ix_images_aliases_image_id", "image_id"),
)


Profile = table(
    "profiles",
    Column("id", Integer, primary_key=True),
    Column("name", String(255), nullable=False),
    Column("description", Text),
    node_column(),
    UniqueConstraint("node_id", "name"),
)


ProfileConfig = table(
    "profiles_config",
    Column("id", Integer, primary_key=True),
    Column("profile_id", Integer, ForeignKey("profiles.id", **CASCADE), nullable=False),
    Column("key", String(255), nullable=False),
    Column("value", Text),
    UniqueConstraint("profile_id", "key"),
)


ProfileDevice = table(
    "profiles_devices",
    Column("id", Integer, primary_key=True),
    Column("profile_id", Integer, ForeignKey("profiles.id", **CASCADE), nullable=False),
    Column("name", String(255), nullable=False),
    Column("type", Integer, nullable=False, default=0, server_default="0"),
    UniqueConstraint("profile_id", "name"),
)


ProfileDeviceConfig = table(
    "profiles_devices_config",
    Column("id", Integer, primary_key=True),
    Column(
        "profile_device_id", Integer, ForeignKey("profiles_devices.id", **CASCADE), nullable=False
    ),
    Column("key", String(255), nullable=False),
    Column("value", Text),
    UniqueConstraint("profile_device_id", "key"),
    Index(
        "ix_profiles_devices_config_network",
        "key",
        "value",
        "profile_device_id",
        **where(NETWORK_KEYS),
    ),  # fmt: skip
)


# One row per applied schema version (seed 003's ``schema`` table).
SchemaVersion = table(
    "schema",
    Column("id", Integer, primary_key=True),
    Column("version", Integer, nullable=False, unique=True),
    Column("updated_at", UTCDateTime, nullable=False),
)


# A counter per domain, bumped by triggers on every change to the domain's tables (migration
# 0005): readers compare it to know whether to read the domain again.
Revision = table(
    "revisions",
    Column("domain", String(32), primary_key=True),
    Column("revision", BigInteger, nullable=False, server_default=text("0")),
)
