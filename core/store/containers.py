"""Containers, profiles, images, certificates and server config (seed 003, LXD's model).

Reads load in bulk (one query per table, never one per container); writes replace a resource's
config, devices and profile list whole, inside one transaction.
"""

from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import (
    Connection,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError

from .. import validate
from ..db import fast
from ..errors import ABSENT, AlreadyExists, InUse, NotFound, Running, ValidationError
from ..models import containers as m
from ..models.base import utcnow
from ..settings import checked_config, checked_config_map
from .repo import NamedRepo, Repo, chunks

if TYPE_CHECKING:
    pass

# Stored numbers of the enumerated columns (LXD's own numbering).
ARCHITECTURES = {
    1: "i686", 2: "x86_64", 3: "armv7l", 4: "aarch64", 5: "ppc", 6: "ppc64",
    7: "ppc64le", 8: "s390x", 9: "mips", 10: "mips64", 11: "riscv32", 12: "riscv64",
}  # fmt: skip
# Debian's and LXC's names (see LXC's lxc_config_parse_arch).
ARCHITECTURE_ALIASES = {
    "amd64": "x86_64", "linux64": "x86_64", "arm64": "aarch64", "armhf": "armv7l",
    "i386": "i686", "i486": "i686", "i586": "i686", "x86": "i686", "athlon": "i686", "linux32": "i686",
    "ppc64el": "ppc64le", "powerpc": "ppc", "powerpc64": "ppc64",
}  # fmt: skip
CONTAINER_TYPES = {0: "container", 1: "snapshot"}
POWER_STATES = {0: "stopped", 1: "running"}
DEVICE_TYPES = {
    0: "none", 1: "nic", 2: "disk", 3: "unix-char", 4: "unix-block", 5: "usb",
    6: "gpu", 7: "infiniband", 8: "proxy", 9: "unix-hotplug", 10: "tpm", 11: "pci",
}  # fmt: skip
CERTIFICATE_TYPES = {0: "client", 1: "server", 2: "metrics"}
NIC = 1
# The config key LXD records a container's image fingerprint under.
BASE_IMAGE_KEY = "volatile.base_image"
BASE_IMAGE_WHERE = f"containers_config.key = '{BASE_IMAGE_KEY}'"
# Device keys that name the network a nic is attached to.
NETWORK_KEYS = ("network", "parent")

T = {
    "containers": m.Container.__table__,
    "containers_config": m.ContainerConfig.__table__,
    "containers_devices": m.ContainerDevice.__table__,
    "containers_devices_config": m.ContainerDeviceConfig.__table__,
    "containers_profiles": m.ContainerProfile.__table__,
    "profiles": m.Profile.__table__,
    "profiles_config": m.ProfileConfig.__table__,
    "profiles_devices": m.ProfileDevice.__table__,
    "profiles_devices_config": m.ProfileDeviceConfig.__table__,
    "images": m.Image.__table__,
    "images_properties": m.ImageProperty.__table__,
    "images_aliases": m.ImageAlias.__table__,
    "certificates": m.Certificate.__table__,
    "config": m.ServerConfig.__table__,
}

Devices = dict[str, dict[str, str]]


def architecture(value: object, field_name: str = "architecture") -> int:
    if isinstance(value, str):
        value = ARCHITECTURE_ALIASES.get(value, value)
    return validate.choice(value, ARCHITECTURES, field_name)


def devices_map(
    devices: Mapping[str, Mapping[str, object]] | None, field: str = "devices"
) -> Devices:
    """A validated copy of a devices mapping: {name: {"type": "nic", key: value, ...}}; a
    broken one names its place from ``field`` (``devices.eth0.type``)."""
    if devices is None:
        return {}
    if not isinstance(devices, Mapping):
        raise ValidationError(field, devices, "must be a table of devices")
    out: Devices = {}
    for name, conf in devices.items():
        validate.device_name(name, field)
        where = f"{field}.{name}"
        if not isinstance(conf, Mapping):
            raise ValidationError(where, conf, "must be a table of key = value")
        if "type" not in conf:
            raise ValidationError(f"{where}.type", ABSENT, "required (nic, disk, ...)")
        validate.choice(conf["type"], DEVICE_TYPES, f"{where}.type")
        clean = {"type": str(conf["type"])}
        for key, value in conf.items():
            if key == "type":
                continue
            validate.device_key(key, where)
            if value is not None:
                clean[key] = validate.config_value(value, f"{where}.{key}")
        out[name] = clean
    return out


@dataclass
class ContainerInfo:
    name: str
    architecture: str
    type: str = "container"
    power_state: str = "stopped"
    ephemeral: bool = False
    profiles: list[str] = field(default_factory=list)
    config: dict[str, str] = field(default_factory=dict)
    devices: Devices = field(default_factory=dict)

    @property
    def image(self) -> str | None:
        return self.config.get(BASE_IMAGE_KEY)


@dataclass
class ExpandedContainer:
    """A container's effective config and devices; ``*_origin`` say where each came from:
    ``"local"`` or ``"profile:<name>"``."""

    name: str
    profiles: list[str]
    config: dict[str, str]
    config_origin: dict[str, str]
    devices: Devices
    device_origin: dict[str, str]


@dataclass
class ProfileInfo:
    name: str
    description: str = ""
    config: dict[str, str] = field(default_factory=dict)
    devices: Devices = field(default_factory=dict)


@dataclass
class ImageInfo:
    fingerprint: str
    filename: str
    size: int
    architecture: str
    public: bool = False
    cached: bool = False
    creation_date: datetime | None = None
    expiry_date: datetime | None = None
    upload_date: datetime | None = None
    last_use_date: datetime | None = None
    properties: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)  # alias name -> description


@dataclass
class CertificateInfo:
    fingerprint: str
    name: str
    type: str
    certificate: str


def expand(container: ContainerInfo, profiles: Mapping[str, ProfileInfo]) -> ExpandedContainer:
    """The effective config and devices of a container, given its profiles by name."""
    config: dict[str, str] = {}
    config_origin: dict[str, str] = {}
    devices: Devices = {}
    device_origin: dict[str, str] = {}
    layers = [
        (f"profile:{n}", profiles[n].config, profiles[n].devices)
        for n in container.profiles
        if n in profiles  # deleted since the container was read: it no longer applies
    ]
    layers.append(("local", container.config, container.devices))
    for origin, layer_config, layer_devices in layers:
        for key, value in layer_config.items():
            config[key], config_origin[key] = value, origin
        for dev_name, dev in layer_devices.items():
            devices[dev_name], device_origin[dev_name] = dict(dev), origin
    return ExpandedContainer(
        name=container.name,
        profiles=list(container.profiles),
        config=dict(sorted(config.items())),
        config_origin=config_origin,
        devices=dict(sorted(devices.items())),
        device_origin=device_origin,
    )


def _insert_named(conn: Connection, table: Table, row: dict, kind: str, name: str) -> int:
    """Insert a row with a unique name; a concurrent writer that took the name first makes
    this AlreadyExists rather than a driver error."""
    try:
        with conn.begin_nested():
            return conn.execute(insert(table).values(row)).inserted_primary_key[0]
    except IntegrityError:
        raise AlreadyExists(kind, name) from None


def _property_key(key: object) -> None:
    if not isinstance(key, str) or not key:
        raise ValidationError("properties", key, "must be a non-empty name")
    _check_text(key, "properties")


def _check_text(value: object, field_name: str, *, empty_ok: bool = False) -> None:
    """Names and descriptions kept in 255-character columns: printable, within the limit."""
    if not isinstance(value, str) or (not value and not empty_ok):
        raise ValidationError(field_name, value, "must be a non-empty string")
    if len(value) > 255:
        raise ValidationError(field_name, value, "is longer than 255 characters")
    if any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in value):
        raise ValidationError(field_name, value, "must not contain control characters")


def networks_of(devices: Devices) -> list[str]:
    """The networks (``network`` or ``parent``) the nic devices are attached to."""
    nets = {d.get(key) for d in devices.values() if d["type"] == "nic" for key in NETWORK_KEYS}
    return sorted(n for n in nets if n)


# ---------------------------------------------------------------------------------------------
# config/devices children shared by containers and profiles


class _ConfigOwner:
    """Load and replace the *_config, *_devices and *_devices_config rows of an owner table."""

    def __init__(self, prefix: str, owner_col: str):
        self.config = T[f"{prefix}_config"]
        self.devices = T[f"{prefix}_devices"]
        self.devices_config = T[f"{prefix}_devices_config"]
        self.owner_col = owner_col  # container_id / profile_id
        self.device_col = f"{prefix[:-1]}_device_id"  # container_device_id / profile_device_id

    def load(self, conn: Connection, ids: list[int]) -> tuple[dict, dict]:
        configs: dict[int, dict[str, str]] = defaultdict(dict)
        devices: dict[int, Devices] = defaultdict(dict)
        if not ids:
            return configs, devices
        owner = self.config.c[self.owner_col]
        for chunk in chunks(ids):
            rows = conn.execute(
                select(owner, self.config.c.key, self.config.c.value).where(owner.in_(chunk))
            )
            for oid, key, value in rows:
                if value is not None:
                    configs[oid][key] = value
            dev_owner = self.devices.c[self.owner_col]
            dc = self.devices_config
            rows = conn.execute(
                select(dev_owner, self.devices.c.name, self.devices.c.type, dc.c.key, dc.c.value)
                .select_from(self.devices.outerjoin(dc, dc.c[self.device_col] == self.devices.c.id))
                .where(dev_owner.in_(chunk))
            )
            for oid, name, dtype, key, value in rows:
                dev = devices[oid].setdefault(name, {"type": DEVICE_TYPES.get(dtype, "none")})
                if key is not None and value is not None:
                    dev[key] = value
        return configs, devices

    def replace(
        self, conn: Connection, oid: int, config: dict[str, str] | None, devices: Devices | None
    ):
        if config is not None:
            conn.execute(delete(self.config).where(self.config.c[self.owner_col] == oid))
            if config:
                conn.execute(
                    insert(self.config),
                    [{self.owner_col: oid, "key": k, "value": v} for k, v in config.items()],
                )
        if devices is not None:
            # devices_config rows go with their device (ON DELETE CASCADE).
            conn.execute(delete(self.devices).where(self.devices.c[self.owner_col] == oid))
            for name, conf in devices.items():
                dtype = validate.choice(conf["type"], DEVICE_TYPES, "device type")
                dev_id = conn.execute(
                    insert(self.devices).values({self.owner_col: oid, "name": name, "type": dtype})
                ).inserted_primary_key[0]
                rows = [
                    {self.device_col: dev_id, "key": k, "value": v}
                    for k, v in conf.items()
                    if k != "type"
                ]
                if rows:
                    conn.execute(insert(self.devices_config), rows)

    def set_key(self, conn: Connection, oid: int, key: str, value: str | None) -> None:
        conn.execute(
            delete(self.config).where(
                and_(self.config.c[self.owner_col] == oid, self.config.c.key == key)
            )
        )
        if value is not None:
            conn.execute(
                insert(self.config).values({self.owner_col: oid, "key": key, "value": value})
            )


# ---------------------------------------------------------------------------------------------
# containers

# The profile half returns container ids without joining containers, so that the planner keeps
# starting from the (key, value) index whatever statistics ANALYZE gathered; names are looked up
# once at the end. Covering indexes (migration 0002) keep every probe inside an index.
_USING_NETWORK_SQL = text(
    """
    SELECT c.name FROM containers c WHERE c.id IN (
        SELECT d.container_id FROM containers_devices_config dc
          JOIN containers_devices d ON d.id = dc.container_device_id AND d.type = :nic
         WHERE dc.key IN ('network', 'parent') AND dc.value = :net
        UNION ALL
        SELECT cp.container_id FROM profiles_devices_config pdc
          JOIN profiles_devices pd ON pd.id = pdc.profile_device_id AND pd.type = :nic
          JOIN containers_profiles cp ON cp.profile_id = pd.profile_id
         WHERE pdc.key IN ('network', 'parent') AND pdc.value = :net
           -- a local device of the same name replaces the inherited one
           AND NOT EXISTS (SELECT 1 FROM containers_devices ld
                            WHERE ld.container_id = cp.container_id AND ld.name = pd.name)
           -- so does a same-named device of a profile applied later
           AND NOT EXISTS (SELECT 1 FROM containers_profiles cp2
                             JOIN profiles_devices pd2 ON pd2.profile_id = cp2.profile_id
                            WHERE cp2.container_id = cp.container_id
                              AND cp2.apply_order > cp.apply_order AND pd2.name = pd.name)
    )
    ORDER BY c.name
    """
).bindparams(bindparam("nic", NIC))


class ContainerRepo(NamedRepo):
    kind = "container"
    table = T["containers"]
    _children = _ConfigOwner("containers", "container_id")

    # -- reads

    def exists(self, name: str) -> bool:
        t = T["containers"]
        with self._store.reading() as conn:
            return conn.scalar(select(t.c.id).where(t.c.name == name)) is not None

    def get(self, name: str) -> ContainerInfo:
        found = self._load(name=name)
        if not found:
            raise NotFound(self.kind, name)
        return found[0]

    def list(
        self, *, network: str | None = None, profile: str | None = None, image: str | None = None
    ) -> list[ContainerInfo]:
        """Every container, or those using a network, a profile and/or an image."""
        names: set[str] | None = None
        for wanted, finder in ((network, self.using_network), (profile, self.using_profile),
                               (image, self.using_image)):  # fmt: skip
            if wanted is not None:
                found = set(finder(wanted))
                names = found if names is None else names & found
        if names is not None and not names:
            return []
        return self._load(names=sorted(names) if names is not None else None)

    def _load(self, name: str | None = None, names: list[str] | None = None) -> list[ContainerInfo]:
        cp, p = T["containers_profiles"], T["profiles"]
        with self._store.reading() as conn:
            rows = self._rows(conn, [name] if name is not None else names)
            ids = [r.id for r in rows]
            configs, devices = self._children.load(conn, ids)
            profiles: dict[int, list[str]] = defaultdict(list)
            for chunk in chunks(ids):
                for cid, pname in conn.execute(
                    select(cp.c.container_id, p.c.name)
                    .join(p, p.c.id == cp.c.profile_id)
                    .where(cp.c.container_id.in_(chunk))
                    .order_by(cp.c.container_id, cp.c.apply_order)
                ):
                    profiles[cid].append(pname)
        return [
            ContainerInfo(
                name=r.name,
                architecture=ARCHITECTURES.get(r.architecture, str(r.architecture)),
                type=CONTAINER_TYPES.get(r.type, str(r.type)),
                power_state=POWER_STATES.get(r.power_state, str(r.power_state)),
                ephemeral=bool(r.ephemeral),
                profiles=profiles.get(r.id, []),
                config=configs.get(r.id, {}),
                devices=devices.get(r.id, {}),
            )
            for r in rows
        ]

    def expanded(self, name: str) -> ExpandedContainer:
        """Profiles in apply order, later ones overriding earlier, the container's own on top.
        Devices overlay per name: a later device replaces an earlier one whole."""
        with self._store.reading():
            container = self.get(name)
            profiles = {p.name: p for p in self._store.profiles._load(names=container.profiles)}
        return expand(container, profiles)

    def using_network(self, network: str) -> list[str]:
        """Containers with a nic on ``network`` (its ``network`` or ``parent`` key), their own or
        inherited from a profile and not replaced by a same-named device. Answered in SQL."""
        with self._store.reading() as conn:
            return fast.column(conn, _USING_NETWORK_SQL, {"net": network})

    def using_profile(self, profile: str) -> list[str]:
        t, cp, p = T["containers"], T["containers_profiles"], T["profiles"]
        with self._store.reading() as conn:
            return list(
                conn.scalars(
                    select(t.c.name)
                    .join(cp, cp.c.container_id == t.c.id)
                    .join(p, p.c.id == cp.c.profile_id)
                    .where(p.c.name == profile)
                    .order_by(t.c.name)
                )
            )

    def using_image(self, image: str) -> list[str]:
        """Containers created from an image, given by fingerprint (or its prefix) or alias."""
        t, cc = T["containers"], T["containers_config"]
        with self._store.reading() as conn:
            try:
                fingerprint = self._store.images._resolve(conn, image)
            except NotFound:
                fingerprint = image  # an image deleted since can still be asked about
            return list(
                conn.scalars(
                    select(t.c.name)
                    .join(cc, cc.c.container_id == t.c.id)
                    # literal, so the partial index on this key applies
                    .where(text(BASE_IMAGE_WHERE), cc.c.value == fingerprint)
                    .order_by(t.c.name)
                )
            )

    # -- writes

    def create(
        self,
        name: str,
        *,
        architecture: str | int = "x86_64",
        type: str = "container",
        power_state: str = "stopped",
        ephemeral: bool = False,
        profiles: Iterable[str] = (),
        config: Mapping[str, object] | None = None,
        devices: Mapping[str, Mapping[str, object]] | None = None,
    ) -> ContainerInfo:
        info = self.validated(
            name, architecture, type, power_state, ephemeral, profiles, config, devices
        )
        with self._store.transaction() as conn:
            t = T["containers"]
            if conn.scalar(select(t.c.id).where(t.c.name == name)) is not None:
                raise AlreadyExists(self.kind, name)
            cid = _insert_named(conn, t, self._row(info), self.kind, name)
            self._write_children(conn, cid, info, set_profiles=True)
        return self.get(name)

    def update(
        self,
        name: str,
        *,
        architecture: str | int | None = None,
        power_state: str | None = None,
        ephemeral: bool | None = None,
        profiles: Iterable[str] | None = None,
        config: Mapping[str, object] | None = None,
        devices: Mapping[str, Mapping[str, object]] | None = None,
    ) -> ContainerInfo:
        """Replace the given parts (config, devices, profiles replace whole); others stay."""
        with self._store.transaction():
            current = self.get(name)
            info = self.validated(
                name,
                current.architecture if architecture is None else architecture,
                current.type,
                current.power_state if power_state is None else power_state,
                current.ephemeral if ephemeral is None else ephemeral,
                current.profiles if profiles is None else profiles,
                current.config if config is None else config,
                current.devices if devices is None else devices,
            )
            self.save(info)
        return self.get(name)

    def save(self, info: ContainerInfo) -> str:
        """Create the container or replace it whole; returns "created", "updated" or "unchanged"."""
        info = self.validated(
            info.name, info.architecture, info.type, info.power_state, info.ephemeral,
            info.profiles, info.config, info.devices,
        )  # fmt: skip
        with self._store.transaction() as conn:
            t = T["containers"]
            cid = conn.scalar(select(t.c.id).where(t.c.name == info.name))
            if cid is None:
                cid = conn.execute(insert(t).values(self._row(info))).inserted_primary_key[0]
                self._write_children(conn, cid, info, set_profiles=True)
                return "created"
            if self.get(info.name) == info:
                return "unchanged"
            conn.execute(update(t).where(t.c.id == cid).values(self._row(info)))
            self._write_children(conn, cid, info, set_profiles=True)
            return "updated"

    def set_config(self, name: str, key: str, value: object | None) -> None:
        """Set one config key (``None`` unsets it)."""
        validate.config_key(key)
        stored = None if value is None else validate.config_value(value, f"config.{key}")
        with self._store.transaction() as conn:
            cid = self._id(conn, T["containers"], name)
            self._children.set_key(conn, cid, key, stored)

    def rename(self, name: str, new_name: str) -> None:
        validate.hostname(new_name)
        t = T["containers"]
        with self._store.transaction() as conn:
            cid = self._id(conn, t, name)
            if conn.scalar(select(t.c.id).where(t.c.name == new_name)) is not None:
                raise AlreadyExists(self.kind, new_name)
            conn.execute(update(t).where(t.c.id == cid).values(name=new_name))

    def delete(self, name: str, *, force: bool = False) -> None:
        """Delete the container; a running one only with ``force`` (Running otherwise), as
        ``lxc delete`` refuses to."""
        t = T["containers"]
        with self._store.transaction() as conn:  # the state is read where the delete happens
            row = conn.execute(select(t.c.id, t.c.power_state).where(t.c.name == name)).first()
            if row is None:
                raise NotFound(self.kind, name)
            if POWER_STATES.get(row.power_state) == "running" and not force:
                raise Running(self.kind, name)
            conn.execute(delete(t).where(t.c.id == row.id))

    # -- helpers

    @staticmethod
    def validated(
        name, arch, ctype, power_state, ephemeral, profiles, config, devices
    ) -> ContainerInfo:
        """A ContainerInfo with every field checked and normalised; a ValidationError names
        the broken field (FieldErrors each of them, when several are)."""

        def profile_list() -> list[str]:
            if isinstance(profiles, str | bytes) or not isinstance(profiles, Iterable):
                raise ValidationError("profiles", profiles, "must be a list of profile names")
            names = list(profiles)
            for profile in names:
                validate.hostname(profile, "profiles")
            if len(set(names)) != len(names):
                raise ValidationError("profiles", names, "lists a profile twice")
            return names

        return ContainerInfo(
            **validate.each_field({
                "name": lambda: validate.hostname(name),
                "architecture": lambda: ARCHITECTURES[architecture(arch)],
                "type": lambda: CONTAINER_TYPES[validate.choice(ctype, CONTAINER_TYPES, "type")],
                "power_state": lambda: POWER_STATES[
                    validate.choice(power_state, POWER_STATES, "power_state")
                ],
                "ephemeral": lambda: validate.boolean(ephemeral, "ephemeral"),
                "profiles": profile_list,
                "config": lambda: validate.config_map(config),
                "devices": lambda: devices_map(devices),
            })
        )  # fmt: skip

    @staticmethod
    def _row(info: ContainerInfo) -> dict:
        return {
            "name": info.name,
            "architecture": architecture(info.architecture),
            "type": validate.choice(info.type, CONTAINER_TYPES, "type"),
            "power_state": validate.choice(info.power_state, POWER_STATES, "power_state"),
            "ephemeral": int(info.ephemeral),
        }

    def _write_children(self, conn: Connection, cid: int, info: ContainerInfo, set_profiles: bool):
        self._children.replace(conn, cid, info.config, info.devices)
        if set_profiles:
            cp, p = T["containers_profiles"], T["profiles"]
            conn.execute(delete(cp).where(cp.c.container_id == cid))
            if info.profiles:
                ids = dict(
                    conn.execute(select(p.c.name, p.c.id).where(p.c.name.in_(info.profiles))).all()
                )
                missing = [n for n in info.profiles if n not in ids]
                if missing:
                    raise NotFound("profile", missing[0])
                conn.execute(
                    insert(cp),
                    [
                        {"container_id": cid, "profile_id": ids[n], "apply_order": order}
                        for order, n in enumerate(info.profiles)
                    ],
                )


# ---------------------------------------------------------------------------------------------
# profiles

_PROFILES_USING_NETWORK_SQL = text(
    """
    SELECT DISTINCT p.name FROM profiles p
      JOIN profiles_devices pd ON pd.profile_id = p.id AND pd.type = :nic
      JOIN profiles_devices_config pdc ON pdc.profile_device_id = pd.id
     WHERE pdc.key IN ('network', 'parent') AND pdc.value = :net
     ORDER BY p.name
    """
).bindparams(bindparam("nic", NIC))


class ProfileRepo(NamedRepo):
    kind = "profile"
    table = T["profiles"]
    _children = _ConfigOwner("profiles", "profile_id")

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
            return list(conn.scalars(_PROFILES_USING_NETWORK_SQL, {"net": network}))

    def usage_counts(self) -> dict[str, int]:
        """How many containers apply each profile (every profile, 0 included), in one query."""
        p, cp = T["profiles"], T["containers_profiles"]
        with self._store.reading() as conn:
            rows = conn.execute(
                select(p.c.name, func.count(cp.c.id))
                .select_from(p.outerjoin(cp, cp.c.profile_id == p.c.id))
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
            t = T["profiles"]
            if conn.scalar(select(t.c.id).where(t.c.name == name)) is not None:
                raise AlreadyExists(self.kind, name)
            pid = _insert_named(
                conn, t, {"name": name, "description": info.description}, self.kind, name
            )
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
            pid = conn.scalar(select(t.c.id).where(t.c.name == info.name))
            if pid is None:
                pid = conn.execute(
                    insert(t).values(name=info.name, description=info.description)
                ).inserted_primary_key[0]
                self._children.replace(conn, pid, info.config, info.devices)
                return "created"
            if self.get(info.name) == info:
                return "unchanged"
            conn.execute(update(t).where(t.c.id == pid).values(description=info.description))
            self._children.replace(conn, pid, info.config, info.devices)
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
            pid = conn.scalar(select(t.c.id).where(t.c.name == name).with_for_update())
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


# ---------------------------------------------------------------------------------------------
# images


def sha256_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


class ImageRepo(Repo):
    kind = "image"

    def _resolve(self, conn: Connection, ref: str) -> str:
        """An image by alias, full fingerprint or unique fingerprint prefix -> its fingerprint."""
        i, a = T["images"], T["images_aliases"]
        fp = conn.scalar(
            select(i.c.fingerprint).join(a, a.c.image_id == i.c.id).where(a.c.name == ref)
        )
        if fp is not None:
            return fp
        if ref and all(ch in "0123456789abcdef" for ch in ref.lower()):
            matches = list(
                conn.scalars(
                    select(i.c.fingerprint).where(i.c.fingerprint.startswith(ref.lower())).limit(2)
                )
            )
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                raise ValidationError(
                    "image", ref, "matches several fingerprints: give more digits"
                )
        raise NotFound(self.kind, ref)

    def fingerprints(self) -> list[str]:
        i = T["images"]
        with self._store.reading() as conn:
            return list(conn.scalars(select(i.c.fingerprint).order_by(i.c.fingerprint)))

    def get(self, ref: str) -> ImageInfo:
        with self._store.reading() as conn:
            return self._load(conn, [self._resolve(conn, ref)])[0]

    def list(self) -> list[ImageInfo]:
        with self._store.reading() as conn:
            return self._load(conn, None)

    def _load(self, conn: Connection, fingerprints: list[str] | None) -> list[ImageInfo]:
        i, props, aliases = T["images"], T["images_properties"], T["images_aliases"]
        query = select(i).order_by(i.c.fingerprint)
        if fingerprints is not None:
            query = query.where(i.c.fingerprint.in_(fingerprints))
        rows = list(conn.execute(query))
        ids = [r.id for r in rows]
        prop_map: dict[int, dict[str, str]] = defaultdict(dict)
        alias_map: dict[int, dict[str, str]] = defaultdict(dict)
        for chunk in chunks(ids):
            for iid, key, value in conn.execute(
                select(props.c.image_id, props.c.key, props.c.value).where(
                    props.c.image_id.in_(chunk)
                )
            ):
                if value is not None:
                    prop_map[iid][key] = value
            for iid, name, desc in conn.execute(
                select(aliases.c.image_id, aliases.c.name, aliases.c.description)
                .where(aliases.c.image_id.in_(chunk))
                .order_by(aliases.c.name)
            ):
                alias_map[iid][name] = desc or ""
        return [
            ImageInfo(
                fingerprint=r.fingerprint,
                filename=r.filename,
                size=r.size,
                architecture=ARCHITECTURES.get(r.architecture, str(r.architecture)),
                public=bool(r.public),
                cached=bool(r.cached),
                creation_date=r.creation_date,
                expiry_date=r.expiry_date,
                upload_date=r.upload_date,
                last_use_date=r.last_use_date,
                properties=dict(sorted(prop_map.get(r.id, {}).items())),
                aliases=alias_map.get(r.id, {}),
            )
            for r in rows
        ]

    def add_file(
        self,
        path: str | os.PathLike[str],
        *,
        architecture: str = "x86_64",
        public: bool = False,
        properties: Mapping[str, object] | None = None,
        aliases: Mapping[str, str] | Iterable[str] = (),
        creation_date: datetime | None = None,
        expiry_date: datetime | None = None,
    ) -> ImageInfo:
        """Register an image file: its fingerprint is the sha256 of its bytes."""
        file = Path(path)
        try:
            fingerprint, size = sha256_file(file)
        except OSError as exc:
            raise ValidationError("file", str(path), f"cannot be read: {exc.strerror}") from None
        return self.create(
            ImageInfo(
                fingerprint=fingerprint,
                filename=file.name,
                size=size,
                architecture=architecture,
                public=public,
                creation_date=creation_date,
                expiry_date=expiry_date,
                properties=dict(properties or {}),
                aliases=dict(aliases)
                if isinstance(aliases, Mapping)
                else dict.fromkeys(aliases, ""),
            )
        )

    def create(self, info: ImageInfo) -> ImageInfo:
        info = self.validated(info)
        with self._store.transaction() as conn:
            i = T["images"]
            if conn.scalar(select(i.c.id).where(i.c.fingerprint == info.fingerprint)) is not None:
                raise AlreadyExists(self.kind, info.fingerprint)
            self._write(conn, None, info)
        return self.get(info.fingerprint)

    def save(self, info: ImageInfo) -> str:
        """Create the image or replace its metadata whole; "created", "updated" or "unchanged"."""
        info = self.validated(info)
        i = T["images"]
        with self._store.transaction() as conn:
            iid = conn.scalar(select(i.c.id).where(i.c.fingerprint == info.fingerprint))
            if iid is None:
                self._write(conn, None, info)
                return "created"
            current = self._load(conn, [info.fingerprint])[0]
            if info.upload_date is None:
                info.upload_date = current.upload_date
            if current == info:
                return "unchanged"
            self._write(conn, iid, info)
            return "updated"

    def update(
        self,
        ref: str,
        *,
        public: bool | None = None,
        expiry_date: datetime | None = None,
        properties: Mapping[str, object] | None = None,
        aliases: Mapping[str, str] | None = None,
    ) -> ImageInfo:
        with self._store.transaction():
            info = self.get(ref)
            if public is not None:
                info.public = public
            if expiry_date is not None:
                info.expiry_date = expiry_date
            if properties is not None:
                info.properties = dict(properties)  # type: ignore[arg-type]
            if aliases is not None:
                info.aliases = dict(aliases)
            self.save(info)
            return self.get(info.fingerprint)

    def add_alias(self, name: str, ref: str, description: str = "") -> None:
        validate.device_name(name, "alias")
        i, a = T["images"], T["images_aliases"]
        with self._store.transaction() as conn:
            fp = self._resolve(conn, ref)
            if conn.scalar(select(a.c.id).where(a.c.name == name)) is not None:
                raise AlreadyExists("image alias", name)
            iid = conn.scalar(select(i.c.id).where(i.c.fingerprint == fp))
            conn.execute(insert(a).values(name=name, image_id=iid, description=description))

    def remove_alias(self, name: str) -> None:
        a = T["images_aliases"]
        with self._store.transaction() as conn:
            if conn.execute(delete(a).where(a.c.name == name)).rowcount == 0:
                raise NotFound("image alias", name)

    def used_by(self, ref: str) -> list[str]:
        return self._store.containers.using_image(self.get(ref).fingerprint)

    def delete(self, ref: str) -> None:
        i = T["images"]
        with self._store.transaction() as conn:
            fp = self._resolve(conn, ref)
            conn.execute(delete(i).where(i.c.fingerprint == fp))

    @staticmethod
    def validated(info: ImageInfo) -> ImageInfo:
        """An ImageInfo with every field checked, as ContainerRepo.validated does."""

        def filename() -> str:
            if not isinstance(info.filename, str) or not info.filename or "/" in info.filename:
                raise ValidationError("filename", info.filename, "must be a file name without '/'")
            _check_text(info.filename, "filename")
            return info.filename

        def size() -> int:
            if not isinstance(info.size, int) or isinstance(info.size, bool) or info.size < 0:
                raise ValidationError("size", info.size, "must be a whole number of bytes >= 0")
            return info.size

        def date(name: str) -> Callable[[], datetime | None]:
            def check() -> datetime | None:
                value = getattr(info, name)
                if value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
                    raise ValidationError(name, value, "must be a date and time with a zone")
                return value

            return check

        def table(name: str) -> Mapping:
            value = getattr(info, name)
            if value is not None and not isinstance(value, Mapping):
                raise ValidationError(name, value, "must be a table of name = value")
            return value or {}

        def properties() -> dict[str, str]:
            props = {}
            for key, value in table("properties").items():
                _property_key(key)
                props[key] = validate.config_value(value, f"properties.{key}")
            return dict(sorted(props.items()))

        def aliases() -> dict[str, str]:
            out = {}
            for alias, desc in table("aliases").items():
                validate.device_name(alias, "aliases")
                if desc is not None:
                    _check_text(desc, f"aliases.{alias}", empty_ok=True)
                out[alias] = "" if desc is None else str(desc)
            return dict(sorted(out.items()))

        dates = ("creation_date", "expiry_date", "upload_date", "last_use_date")
        return ImageInfo(
            **validate.each_field({
                "fingerprint": lambda: validate.fingerprint(info.fingerprint),
                "filename": filename,
                "size": size,
                "architecture": lambda: ARCHITECTURES[architecture(info.architecture)],
                "public": lambda: validate.boolean(info.public, "public"),
                "cached": lambda: validate.boolean(info.cached, "cached"),
                **{name: date(name) for name in dates},
                "properties": properties,
                "aliases": aliases,
            })
        )  # fmt: skip

    def _write(self, conn: Connection, iid: int | None, info: ImageInfo) -> None:
        i, props, a = T["images"], T["images_properties"], T["images_aliases"]
        row = {
            "fingerprint": info.fingerprint,
            "filename": info.filename,
            "size": info.size,
            "architecture": architecture(info.architecture),
            "public": int(info.public),
            "cached": int(info.cached),
            "creation_date": info.creation_date,
            "expiry_date": info.expiry_date,
            "upload_date": info.upload_date or utcnow(),
            "last_use_date": info.last_use_date,
        }
        if iid is None:
            iid = conn.execute(insert(i).values(row)).inserted_primary_key[0]
        else:
            conn.execute(update(i).where(i.c.id == iid).values(row))
            conn.execute(delete(props).where(props.c.image_id == iid))
            conn.execute(delete(a).where(a.c.image_id == iid))
        if info.properties:
            conn.execute(
                insert(props),
                [{"image_id": iid, "key": k, "value": v} for k, v in info.properties.items()],
            )
        for alias, desc in info.aliases.items():
            owner = conn.scalar(select(a.c.image_id).where(a.c.name == alias))
            if owner is not None:
                raise AlreadyExists("image alias", alias)
            conn.execute(insert(a).values(name=alias, image_id=iid, description=desc))


# ---------------------------------------------------------------------------------------------
# certificates


def parse_certificate(pem: str) -> tuple[str, str | None]:
    """The sha256 fingerprint of the certificate's DER bytes and its subject CN (if any)."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    if not isinstance(pem, str) or "-----BEGIN CERTIFICATE-----" not in pem:
        raise ValidationError(
            "certificate", _short(pem), "is not a PEM certificate (BEGIN CERTIFICATE)"
        )
    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
    except ValueError as exc:
        raise ValidationError("certificate", _short(pem), f"cannot be parsed: {exc}") from None
    fingerprint = hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()
    names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    cn = str(names[0].value) if names else None
    return fingerprint, cn


def _short(value: object) -> object:
    return value[:40] + "..." if isinstance(value, str) and len(value) > 40 else value


class CertificateRepo(Repo):
    kind = "certificate"

    def list(self) -> list[CertificateInfo]:
        c = T["certificates"]
        with self._store.reading() as conn:
            rows = conn.execute(select(c).order_by(c.c.name, c.c.fingerprint))
            return [self._info(r) for r in rows]

    def get(self, ref: str) -> CertificateInfo:
        """By fingerprint, unique fingerprint prefix or name."""
        c = T["certificates"]
        condition = c.c.name == ref
        if ref and all(ch in "0123456789abcdef" for ch in ref.lower()):  # a fingerprint prefix
            condition = or_(condition, c.c.fingerprint.startswith(ref.lower(), autoescape=True))
        with self._store.reading() as conn:
            rows = list(conn.execute(select(c).where(condition).limit(2))) if ref else []
        if len(rows) > 1:
            raise ValidationError(
                "certificate", ref, "matches several certificates: give the fingerprint"
            )
        if not rows:
            raise NotFound(self.kind, ref)
        return self._info(rows[0])

    def add(self, pem: str, *, name: str | None = None, type: str = "client") -> CertificateInfo:
        fingerprint, cn = parse_certificate(pem)
        name = name if name is not None else cn
        if not name:
            raise ValidationError("name", name, "is required: the certificate has no subject CN")
        _check_text(name, "name")
        ctype = validate.choice(type, CERTIFICATE_TYPES, "type")
        c = T["certificates"]
        with self._store.transaction() as conn:
            if conn.scalar(select(c.c.id).where(c.c.fingerprint == fingerprint)) is not None:
                raise AlreadyExists(self.kind, fingerprint)
            conn.execute(
                insert(c).values(
                    fingerprint=fingerprint, name=name, type=ctype, certificate=pem.strip() + "\n"
                )
            )
        return self.get(fingerprint)

    def save(self, info: CertificateInfo) -> str:
        """Add the certificate or update its name and type; "created", "updated" or "unchanged"."""
        fingerprint, _ = parse_certificate(info.certificate)
        if info.fingerprint and info.fingerprint.lower() != fingerprint:
            raise ValidationError(
                "fingerprint",
                info.fingerprint,
                f"does not match the certificate (sha256 is {fingerprint})",
            )
        c = T["certificates"]
        with self._store.transaction() as conn:
            row = conn.execute(select(c).where(c.c.fingerprint == fingerprint)).first()
            if row is None:
                self.add(info.certificate, name=info.name or None, type=info.type)
                return "created"
            ctype = validate.choice(info.type, CERTIFICATE_TYPES, "type")
            name = info.name or row.name
            if (row.name, row.type) == (name, ctype):
                return "unchanged"
            conn.execute(update(c).where(c.c.id == row.id).values(name=name, type=ctype))
            return "updated"

    def delete(self, ref: str) -> None:
        c = T["certificates"]
        with self._store.transaction() as conn:
            fingerprint = self.get(ref).fingerprint
            conn.execute(delete(c).where(c.c.fingerprint == fingerprint))

    @staticmethod
    def validated(info: CertificateInfo) -> CertificateInfo:
        """A CertificateInfo with every field checked, as ContainerRepo.validated does: its
        fingerprint is the certificate's (a given one must match), its name the given one or
        else the certificate's subject CN."""
        try:
            fingerprint, cn = parse_certificate(info.certificate)
        except ValidationError as exc:
            broken: ValidationError | None = exc
            fingerprint, cn = "", None
        else:
            broken = None

        def certificate() -> str:
            if broken is not None:
                raise broken
            return info.certificate

        def matching_fingerprint() -> str:
            given = info.fingerprint
            if given and broken is None and str(given).lower() != fingerprint:
                raise ValidationError(
                    "fingerprint",
                    given,
                    f"does not match the certificate (its sha256 is {fingerprint})",
                )
            return fingerprint

        def name() -> str:
            name = info.name or cn or ""
            if name:
                _check_text(name, "name")
            elif broken is None:
                raise ValidationError("name", ABSENT, "required: the certificate has no subject CN")
            return name

        return CertificateInfo(
            **validate.each_field({
                "certificate": certificate,
                "fingerprint": matching_fingerprint,
                "name": name,
                "type": lambda: CERTIFICATE_TYPES[
                    validate.choice(info.type, CERTIFICATE_TYPES, "type")
                ],
            })
        )  # fmt: skip

    @staticmethod
    def _info(row) -> CertificateInfo:
        return CertificateInfo(
            fingerprint=row.fingerprint,
            name=row.name,
            type=CERTIFICATE_TYPES.get(row.type, str(row.type)),
            certificate=row.certificate,
        )


# ---------------------------------------------------------------------------------------------
# server config


class ServerConfigRepo(Repo):
    kind = "config key"

    def all(self) -> dict[str, str]:
        c = T["config"]
        with self._store.reading() as conn:
            rows = conn.execute(
                select(c.c.key, c.c.value).where(c.c.value.is_not(None)).order_by(c.c.key)
            )
            return dict(rows.all())

    def get(self, key: str, default: str | None = None) -> str | None:
        c = T["config"]
        with self._store.reading() as conn:
            value = conn.scalar(select(c.c.value).where(c.c.key == key))
        return default if value is None else value

    def set(self, key: str, value: object | None) -> None:
        """Set a server config key; ``None`` unsets it. A key or value that breaks the rules of
        core.settings is a ValidationError naming the key and the rule."""
        if value is None:
            validate.config_key(key)
        stored = None if value is None else checked_config(key, value)
        c = T["config"]
        with self._store.transaction() as conn:
            conn.execute(delete(c).where(c.c.key == key))
            if stored is not None:
                conn.execute(insert(c).values(key=key, value=stored))

    def replace(self, config: Mapping[str, object]) -> str:
        """Replace the whole server config; "updated" or "unchanged". Each key is checked as
        ``set`` checks it; None values are left out."""
        clean = checked_config_map(config)
        c = T["config"]
        with self._store.transaction() as conn:
            if self.all() == clean:
                return "unchanged"
            conn.execute(delete(c))
            if clean:
                conn.execute(insert(c), [{"key": k, "value": v} for k, v in clean.items()])
            return "updated"

    def count(self) -> int:
        c = T["config"]
        with self._store.reading() as conn:
            return conn.scalar(select(func.count()).select_from(c)) or 0
