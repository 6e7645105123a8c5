"""Containers (seed 003, LXD's model): a container's own config, devices and profile list,
and its effective config and devices through its profiles (``expand``).

Reads load in bulk (one query per table, never one per container); writes replace a container's
config, devices and profile list whole, inside one transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import Connection, bindparam, delete, insert, select, text, update

from .. import validate
from ..db import fast
from ..errors import AlreadyExists, FieldErrors, NotFound, Running, ValidationError
from .lxd_common import (
    ARCHITECTURES,
    NIC,
    ConfigOwner,
    Devices,
    T,
    architecture,
    devices_map,
    insert_named,
)
from .profiles import ProfileInfo
from .repo import NamedRepo, chunks

CONTAINER_TYPES = {0: "container", 1: "snapshot"}
POWER_STATES = {0: "stopped", 1: "running"}
# The config key LXD records a container's image fingerprint under.
BASE_IMAGE_KEY = "volatile.base_image"
BASE_IMAGE_WHERE = f"containers_config.key = '{BASE_IMAGE_KEY}'"


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
    _children = ConfigOwner("containers", "container_id")

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

    def by_profile(self) -> dict[str, list[str]]:
        """Profile name -> the containers applying it, by name, in one query (no container is
        loaded: the profiles' "used by" on a store of thousands)."""
        t, cp, p = T["containers"], T["containers_profiles"], T["profiles"]
        found: dict[str, list[str]] = {}
        with self._store.reading() as conn:
            rows = conn.execute(
                select(p.c.name, t.c.name)
                .join(cp, cp.c.profile_id == p.c.id)
                .join(t, t.c.id == cp.c.container_id)
                .order_by(t.c.name)
            )
            for profile, container in rows:
                found.setdefault(profile, []).append(container)
        return found

    def by_image(self) -> dict[str, list[str]]:
        """Image fingerprint -> the containers created from it, by name, in one query."""
        t, cc = T["containers"], T["containers_config"]
        found: dict[str, list[str]] = {}
        with self._store.reading() as conn:
            rows = conn.execute(
                select(cc.c.value, t.c.name)
                .join(t, t.c.id == cc.c.container_id)
                .where(text(BASE_IMAGE_WHERE))  # literal, so the partial index applies
                .order_by(t.c.name)
            )
            for fingerprint, container in rows:
                found.setdefault(fingerprint, []).append(container)
        return found

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
            cid = insert_named(conn, t, self._row(info), self.kind, name)
            self._write_children(conn, {cid: info})
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
        return self.save_many([info])[0]

    def save_many(self, infos: Iterable[ContainerInfo]) -> list[str]:
        """``save`` for many containers: each checked as ``save`` checks it, all of them written
        with a few statements per table rather than a dozen per container, in one transaction
        (all or none). Returns each one's outcome, in order. Thousands of containers (the demo)
        go in batches of a few hundred: memory stays flat and progress can be shown between."""
        batch = self._validated_batch(list(infos))
        t = T["containers"]
        with self._store.transaction() as conn:
            ids = self._ids_by_name(conn, [info.name for info in batch])
            stored = {c.name: c for c in self._load(names=sorted(ids))} if ids else {}
            outcomes: list[str] = []
            new: list[ContainerInfo] = []
            changed: list[ContainerInfo] = []
            for info in batch:
                if info.name not in ids:
                    outcomes.append("created")
                    new.append(info)
                elif stored[info.name] == info:
                    outcomes.append("unchanged")
                else:
                    outcomes.append("updated")
                    changed.append(info)
            if changed:
                conn.execute(
                    update(t).where(t.c.id == bindparam("cid")),
                    [{"cid": ids[info.name], **self._row(info)} for info in changed],
                )
            if new:
                conn.execute(insert(t), [self._row(info) for info in new])
                ids.update(self._ids_by_name(conn, [info.name for info in new]))
            self._write_children(conn, {ids[info.name]: info for info in changed + new})
        return outcomes

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

    def _validated_batch(self, infos: list[ContainerInfo]) -> list[ContainerInfo]:
        """Each container checked and normalised by ``validated``. In a batch of several, a
        broken one is named by its place, as a document names it (``containers[3].name``)."""
        checked: list[ContainerInfo] = []
        names: set[str] = set()
        for index, info in enumerate(infos):
            try:
                clean = self.validated(
                    info.name, info.architecture, info.type, info.power_state, info.ephemeral,
                    info.profiles, info.config, info.devices,
                )  # fmt: skip
                if clean.name in names:
                    raise ValidationError("name", clean.name, "appears more than once")
            except ValidationError as exc:
                if len(infos) == 1:
                    raise
                placed = [
                    ValidationError(f"containers[{index}].{error.field}", error.value, error.reason)
                    for error in (exc.errors if isinstance(exc, FieldErrors) else [exc])
                ]
                raise (placed[0] if len(placed) == 1 else FieldErrors(placed)) from exc
            names.add(clean.name)
            checked.append(clean)
        return checked

    @staticmethod
    def _ids_by_name(conn: Connection, names: list[str]) -> dict[str, int]:
        t = T["containers"]
        ids: dict[str, int] = {}
        for chunk in chunks(names):
            ids.update(conn.execute(select(t.c.name, t.c.id).where(t.c.name.in_(chunk))).all())
        return ids

    def _write_children(self, conn: Connection, written: Mapping[int, ContainerInfo]) -> None:
        """Replace the config, devices and profile list of each container id with its info's."""
        if not written:
            return
        cp, p = T["containers_profiles"], T["profiles"]
        profile_ids: dict[str, int] = {}
        for chunk in chunks(sorted({n for info in written.values() for n in info.profiles})):
            profile_ids.update(
                conn.execute(select(p.c.name, p.c.id).where(p.c.name.in_(chunk))).all()
            )
        for info in written.values():
            missing = [n for n in info.profiles if n not in profile_ids]
            if missing:
                raise NotFound("profile", missing[0])
        self._children.replace_many(
            conn, {cid: (info.config, info.devices) for cid, info in written.items()}
        )
        for chunk in chunks(list(written)):
            conn.execute(delete(cp).where(cp.c.container_id.in_(chunk)))
        rows = [
            {"container_id": cid, "profile_id": profile_ids[name], "apply_order": order}
            for cid, info in written.items()
            for order, name in enumerate(info.profiles)
        ]
        if rows:
            conn.execute(insert(cp), rows)
