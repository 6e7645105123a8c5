"""Seed 003 (LXD): containers, profiles, images, certificates, server config and schema."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime

CASCADE = {"ondelete": "CASCADE"}
# The device keys naming a nic's network; the usage queries repeat this condition word for word,
# which is what lets SQLite and PostgreSQL use the partial indexes below.
NETWORK_KEYS = "key IN ('network', 'parent')"


def where(condition: str) -> dict:
    """A partial index condition, for both dialects."""
    return {"sqlite_where": text(condition), "postgresql_where": text(condition)}


class Certificate(Base):
    __tablename__ = "certificates"
    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    certificate: Mapped[str] = mapped_column(Text)


class ServerConfig(Base):
    __tablename__ = "config"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    value: Mapped[str | None] = mapped_column(Text)


class Container(Base):
    __tablename__ = "containers"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    architecture: Mapped[int] = mapped_column(Integer)
    type: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    power_state: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    ephemeral: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ContainerConfig(Base):
    __tablename__ = "containers_config"
    __table_args__ = (
        UniqueConstraint("container_id", "key"),
        # "Which containers come from image X?" Partial: only that key is looked up by value, and
        # a btree cannot hold long values (cloud-init user-data, raw.lxc) on PostgreSQL.
        Index("ix_containers_config_base_image", "value", **where("key = 'volatile.base_image'")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    container_id: Mapped[int] = mapped_column(ForeignKey("containers.id", **CASCADE))
    key: Mapped[str] = mapped_column(String(255))
    value: Mapped[str | None] = mapped_column(Text)


class ContainerDevice(Base):
    __tablename__ = "containers_devices"
    __table_args__ = (UniqueConstraint("container_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    container_id: Mapped[int] = mapped_column(ForeignKey("containers.id", **CASCADE))
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ContainerDeviceConfig(Base):
    __tablename__ = "containers_devices_config"
    __table_args__ = (
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
    id: Mapped[int] = mapped_column(primary_key=True)
    container_device_id: Mapped[int] = mapped_column(ForeignKey("containers_devices.id", **CASCADE))
    key: Mapped[str] = mapped_column(String(255))
    value: Mapped[str | None] = mapped_column(Text)


class ContainerProfile(Base):
    __tablename__ = "containers_profiles"
    __table_args__ = (
        UniqueConstraint("container_id", "profile_id"),
        # Covering indexes for the usage queries: profile -> containers, and a container's
        # profiles in apply order.
        Index("ix_containers_profiles_by_profile", "profile_id", "container_id", "apply_order"),
        Index("ix_containers_profiles_by_order", "container_id", "apply_order", "profile_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    container_id: Mapped[int] = mapped_column(ForeignKey("containers.id", **CASCADE))
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", **CASCADE))
    apply_order: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Image(Base):
    __tablename__ = "images"
    id: Mapped[int] = mapped_column(primary_key=True)
    cached: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    fingerprint: Mapped[str] = mapped_column(String(255), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    public: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    architecture: Mapped[int] = mapped_column(Integer)
    creation_date: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expiry_date: Mapped[datetime | None] = mapped_column(UTCDateTime)
    upload_date: Mapped[datetime] = mapped_column(UTCDateTime)
    last_use_date: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ImageProperty(Base):
    __tablename__ = "images_properties"
    __table_args__ = (UniqueConstraint("image_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    image_id: Mapped[int] = mapped_column(ForeignKey("images.id", **CASCADE))
    type: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    key: Mapped[str] = mapped_column(String(255))
    value: Mapped[str | None] = mapped_column(Text)


class ImageAlias(Base):
    __tablename__ = "images_aliases"
    __table_args__ = (Index("ix_images_aliases_image_id", "image_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    image_id: Mapped[int] = mapped_column(ForeignKey("images.id", **CASCADE))
    description: Mapped[str | None] = mapped_column(String(255))


class Profile(Base):
    __tablename__ = "profiles"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str | None] = mapped_column(Text)


class ProfileConfig(Base):
    __tablename__ = "profiles_config"
    __table_args__ = (UniqueConstraint("profile_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", **CASCADE))
    key: Mapped[str] = mapped_column(String(255))
    value: Mapped[str | None] = mapped_column(Text)


class ProfileDevice(Base):
    __tablename__ = "profiles_devices"
    __table_args__ = (UniqueConstraint("profile_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", **CASCADE))
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ProfileDeviceConfig(Base):
    __tablename__ = "profiles_devices_config"
    __table_args__ = (
        UniqueConstraint("profile_device_id", "key"),
        Index(
            "ix_profiles_devices_config_network",
            "key",
            "value",
            "profile_device_id",
            **where(NETWORK_KEYS),
        ),  # fmt: skip
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    profile_device_id: Mapped[int] = mapped_column(ForeignKey("profiles_devices.id", **CASCADE))
    key: Mapped[str] = mapped_column(String(255))
    value: Mapped[str | None] = mapped_column(Text)


class SchemaVersion(Base):
    """One row per applied schema version (seed 003's ``schema`` table)."""

    __tablename__ = "schema"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
