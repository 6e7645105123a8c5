"""What the LXD-shaped repositories (seed 003) share: the tables, the stored numbers of
architectures and device types, devices maps and the networks their nics use, the checks of
names and texts kept in 255-character columns, and the config/devices rows that containers and
profiles both own (LXD's lxd/db/cluster keeps these in config.go and devices.go)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from sqlalchemy import Connection, Table, and_, bindparam, delete, insert, select, text
from sqlalchemy.exc import IntegrityError

from .. import validate
from ..db.prepared import Prepared
from ..errors import ABSENT, AlreadyExists, ValidationError
from ..models import containers as m
from .repo import chunks

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
DEVICE_TYPES = {
    0: "none", 1: "nic", 2: "disk", 3: "unix-char", 4: "unix-block", 5: "usb",
    6: "gpu", 7: "infiniband", 8: "proxy", 9: "unix-hotplug", 10: "tpm", 11: "pci",
}  # fmt: skip
NIC = 1
# Device keys that name the network a nic is attached to.
NETWORK_KEYS = ("network", "parent")

T = {
    "containers": m.Container.__table__,
    "containers_config": m.ContainerConfig.__table__,
    "containers_devices": m.ContainerDevice.__table__,
    "containers_devices_config": m.ContainerDeviceConfig.__table__,
    "containers_profiles": m.ContainerProfile.__table__,
    "containers_networks": m.ContainerNetwork.__table__,
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


def insert_named(conn: Connection, table: Table, row: dict, kind: str, name: str) -> int:
    """Insert a row with a unique name; a concurrent writer that took the name first makes
    this AlreadyExists rather than a driver error."""
    try:
        with conn.begin_nested():
            return conn.execute(insert(table).values(row)).inserted_primary_key[0]
    except IntegrityError:
        raise AlreadyExists(kind, name) from None


def check_text(value: object, field_name: str, *, empty_ok: bool = False) -> None:
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


# The networks the nics of the container :cid are effectively on, as ``expand`` gives them: its
# own nics' network keys, and its profiles' nics not replaced by a same-named device of its own
# or of a profile applied later (LXD replaces a device whole by name, whatever its type), each
# with the container's name and node (the fleet's usage query reads one node's range of the
# network's index, or all of them). UNION: a network named by two nics is one row. CROSS JOIN makes
# SQLite start from the container (PostgreSQL reads it as a plain join): left to choose, it
# starts from the partial index of every nic's network and reads them all (0.9 ms a container).
_EFFECTIVE_NETWORKS = Prepared(
    text(
        """
        INSERT INTO containers_networks (container_id, name, node_id, network)
        SELECT c.id, c.name, c.node_id, dc.value
          FROM containers c CROSS JOIN containers_devices d
               CROSS JOIN containers_devices_config dc
         WHERE c.id = :cid AND d.container_id = c.id AND d.type = :nic
           AND dc.container_device_id = d.id
           AND dc.key IN ('network', 'parent') AND dc.value IS NOT NULL
        UNION
        SELECT c.id, c.name, c.node_id, pdc.value
          FROM containers c CROSS JOIN containers_profiles cp CROSS JOIN profiles_devices pd
               CROSS JOIN profiles_devices_config pdc
         WHERE c.id = :cid AND cp.container_id = c.id
           AND pd.profile_id = cp.profile_id AND pd.type = :nic
           AND pdc.profile_device_id = pd.id
           AND pdc.key IN ('network', 'parent') AND pdc.value IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM containers_devices ld
                            WHERE ld.container_id = cp.container_id AND ld.name = pd.name)
           AND NOT EXISTS (SELECT 1 FROM containers_profiles cp2
                             JOIN profiles_devices pd2 ON pd2.profile_id = cp2.profile_id
                            WHERE cp2.container_id = cp.container_id
                              AND cp2.apply_order > cp.apply_order AND pd2.name = pd.name)
        """
    ).bindparams(bindparam("nic", NIC)),
    ("cid",),
)
_FORGET_NETWORKS = Prepared(
    delete(T["containers_networks"]).where(
        T["containers_networks"].c.container_id == bindparam("cid")
    ),
    ("cid",),
)


def refresh_networks(conn: Connection, container_ids: Iterable[int]) -> None:
    """Work out again the ``containers_networks`` rows of these containers from their names,
    devices, profiles and those profiles' devices, in the caller's transaction. The one keeper
    of that table: every write that can change a container's nics (its devices, its profile
    list, a profile's devices) or its name calls it for the containers concerned, after
    writing. Two statements compiled once, run for each container (executemany): a create
    pays for two statements, not for building and compiling them."""
    rows = [(cid,) for cid in sorted(set(container_ids))]
    _FORGET_NETWORKS.executemany(conn, rows)
    _EFFECTIVE_NETWORKS.executemany(conn, rows)


class ConfigOwner:
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
        self.replace_many(conn, {oid: (config, devices)})

    def replace_many(
        self,
        conn: Connection,
        owners: Mapping[int, tuple[dict[str, str] | None, Devices | None]],
    ) -> None:
        """Replace the config and devices of each owner id (a part given as None stays as it
        is), with a statement per table for them all rather than one per owner and device."""
        with_config = [oid for oid, (config, _) in owners.items() if config is not None]
        with_devices = [oid for oid, (_, devices) in owners.items() if devices is not None]
        for chunk in chunks(with_config):
            conn.execute(delete(self.config).where(self.config.c[self.owner_col].in_(chunk)))
        rows = [
            {self.owner_col: oid, "key": key, "value": value}
            for oid, (config, _) in owners.items()
            for key, value in (config or {}).items()
        ]
        if rows:
            conn.execute(insert(self.config), rows)

        # devices_config rows go with their device (ON DELETE CASCADE).
        dev_owner = self.devices.c[self.owner_col]
        for chunk in chunks(with_devices):
            conn.execute(delete(self.devices).where(dev_owner.in_(chunk)))
        rows = [
            {self.owner_col: oid, "name": name,
             "type": validate.choice(conf["type"], DEVICE_TYPES, "device type")}
            for oid, (_, devices) in owners.items()
            for name, conf in (devices or {}).items()
        ]  # fmt: skip
        if not rows:
            return
        conn.execute(insert(self.devices), rows)
        # The new devices' ids, by owner and name (unique together), for their config rows.
        device_ids: dict[tuple[int, str], int] = {}
        for chunk in chunks(sorted({row[self.owner_col] for row in rows})):
            query = select(self.devices.c.id, dev_owner, self.devices.c.name)
            for dev_id, oid, name in conn.execute(query.where(dev_owner.in_(chunk))):
                device_ids[oid, name] = dev_id
        rows = [
            {self.device_col: device_ids[oid, name], "key": key, "value": value}
            for oid, (_, devices) in owners.items()
            for name, conf in (devices or {}).items()
            for key, value in conf.items()
            if key != "type"
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
