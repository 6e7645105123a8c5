"""Profiles (seed 003, LXD's model): config and devices that containers apply in order.

A profile's config and devices are replaced whole, inside one transaction; a profile still
applied by containers cannot be deleted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import bindparam, delete, func, insert, select, text, update

from .. import validate
from ..errors import AlreadyExists, InUse, NotFound, ValidationError
from .lxd_common import NIC, ConfigOwner, Devices, T, devices_map, insert_named, refresh_networks
from .repo import NamedRepo


@dataclass
class ProfileInfo:
    name: str
    description: str = ""
    config: dict[str, str] = field(default_factory=dict)
    devices: Devices = field(default_factory=dict)


_PROFILES_USING_NETWORK_SQL = text(
    """
    SELECT DISTINCT p.name FROM profiles p
      JOIN profiles_devices pd ON pd.profile_id = p.id AND pd.type = :nic
      JOIN profiles_devices_config pdc ON pdc.profile_device_id = pd.id
     WHERE p.node_id = :node AND pdc.key IN ('network', 'parent') AND pdc.value = :net
     ORDER BY p.name
    """
).bindparams(bindparam("nic", NIC))


class ProfileRepo(NamedRepo):
    kind = "profile"
    table = T["profiles"]
    _children = ConfigOwner("profiles", "profile_id")

    def get(self, name: str) -> ProfileInfo:
        found = self._load(names=[name])
        if not found:
            raise NotFound(self.kind, name)
        return found[0]

    def list(self, *, network: str | None = None) -> list[ProfileInfo]:
        if network is not None:
            return self._load(names=self.using_network(network))
        return self._load()

    def _load(self, names: list[str] | None = None) -> list[ProfileInfo]:
        with self._store.reading() as conn:
            rows = self._rows(conn, names)
            configs, devices = self._children.load(conn, [r.id for r in rows])
        return [
            ProfileInfo(
                name=r.name,
                description=r.description or "",
                config=configs.get(r.id, {}),
                devices=devices.get(r.id, {}),
            )
            for r in rows
        ]

    def using_network(self, network: str) -> list[str]:
        """Profiles with a nic device on ``network``."""
        with self._store.reading() as conn:
            params = {"net": network, "node": self._node_id}
            return list(conn.scalars(_PROFILES_USING_NETWORK_SQL, params))

    def usage_counts(self) -> dict[str, int]:
        """How many containers apply each profile (every profile, 0 included), in one query."""
        p, cp = T["profiles"], T["containers_profiles"]
        with self._store.reading() as conn:
            rows = conn.execute(
                select(p.c.name, func.count(cp.c.id))
                .select_from(p.outerjoin(cp, cp.c.profile_id == p.c.id))
                .where(p.c.node_id == self._node_id)
                .group_by(p.c.name)
            )
            return dict(rows.all())

    def used_by(self, name: str) -> list[str]:
        """Containers that apply this profile."""
        with self._store.reading() as conn:
            self._id(conn, T["profiles"], name)
        return self._store.containers.using_profile(name)

    def create(
        self,
        name: str,
        *,
        description: str = "",
        config: Mapping[str, object] | None = None,
        devices: Mapping[str, Mapping[str, object]] | None = None,
    ) -> ProfileInfo:
        info = self.validated(name, description, config, devices)
        with self._store.transaction() as conn:
            t, node = T["profiles"], self._node_id
            if conn.scalar(select(t.c.id).where(t.c.name == name, t.c.node_id == node)) is not None:
                raise AlreadyExists(self.kind, name)
            row = {"name": name, "description": info.description, "node_id": node}
            pid = insert_named(conn, t, row, self.kind, name)
            self._children.replace(conn, pid, info.config, info.devices)
        return self.get(name)

    def update(
        self,
        name: str,
        *,
        description: str | None = None,
        config: Mapping[str, object] | None = None,
        devices: Mapping[str, Mapping[str, object]] | None = None,
    ) -> ProfileInfo:
        with self._store.transaction():
            current = self.get(name)
            self.save(
                self.validated(
                    name,
                    current.description if description is None else description,
                    current.config if config is None else config,
                    current.devices if devices is None else devices,
                )
            )
        return self.get(name)

    def save(self, info: ProfileInfo) -> str:
        """Create the profile or replace it whole; returns "created", "updated" or "unchanged"."""
        info = self.validated(info.name, info.description, info.config, info.devices)
        t = T["profiles"]
        with self._store.transaction() as conn:
            # FOR UPDATE (PostgreSQL): a container attaching this profile meanwhile (its foreign
            # key locks the row) waits for us, then works out its networks from our devices;
            # one that attached it first makes us wait, and then is among the users refreshed.
            # The revision counter's row (migration 0005) serialises these writers today as
            # well; this lock keeps containers_networks right without relying on it.
            node = self._node_id
            pid = conn.scalar(
                select(t.c.id).where(t.c.name == info.name, t.c.node_id == node).with_for_update()
            )
            if pid is None:
                pid = conn.execute(
                    insert(t).values(name=info.name, description=info.description, node_id=node)
                ).inserted_primary_key[0]
                self._children.replace(conn, pid, info.config, info.devices)
                return "created"
            current = self.get(info.name)
            if current == info:
                return "unchanged"
            conn.execute(update(t).where(t.c.id == pid).values(description=info.description))
            self._children.replace(conn, pid, info.config, info.devices)
            if current.devices != info.devices:  # the containers applying it have new nics
                cp = T["containers_profiles"]
                refresh_networks(
                    conn, conn.scalars(select(cp.c.container_id).where(cp.c.profile_id == pid))
                )
            return "updated"

    def set_config(self, name: str, key: str, value: object | None) -> None:
        validate.config_key(key)
        stored = None if value is None else validate.config_value(value, f"config.{key}")
        with self._store.transaction() as conn:
            self._children.set_key(conn, self._id(conn, T["profiles"], name), key, stored)

    def delete(self, name: str) -> None:
        """Delete a profile; refused while containers still use it (they are named)."""
        t = T["profiles"]
        with self._store.transaction() as conn:
            # FOR UPDATE (PostgreSQL): a container attaching the profile meanwhile waits for us
            # and then fails on the foreign key, instead of losing the profile silently.
            pid = conn.scalar(
                select(t.c.id)
                .where(t.c.name == name, t.c.node_id == self._node_id)
                .with_for_update()
            )
            if pid is None:
                raise NotFound(self.kind, name)
            users = self._store.containers.using_profile(name)
            if users:
                raise InUse(self.kind, name, users)
            conn.execute(delete(t).where(t.c.id == pid))

    @staticmethod
    def validated(name, description, config, devices) -> ProfileInfo:
        """A ProfileInfo with every field checked, as ContainerRepo.validated does."""

        def text() -> str:
            if not isinstance(description, str):
                raise ValidationError("description", description, "must be a string")
            return description

        return ProfileInfo(
            **validate.each_field({
                "name": lambda: validate.hostname(name),
                "description": text,
                "config": lambda: validate.config_map(config),
                "devices": lambda: devices_map(devices),
            })
        )  # fmt: skip
