"""Containers: LXD's instances, their config and devices, and the profiles they apply."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from ..text import counted, short_id
from .base import (
    Column,
    DeletePlan,
    Emphasis,
    Filter,
    Kind,
    Listing,
    Reference,
    Value,
    fields_table,
)
from .images import image_label

if TYPE_CHECKING:  # the store: imported where used, so that the declarations load without it
    from ..store import ContainerInfo, ImageInfo, ProfileInfo, Store

USING = Filter("using", "NETWORK", "only those using this network (bridge), through a profile too")


@dataclass(frozen=True)
class ContainersContext:
    profiles: dict[str, ProfileInfo]
    images: dict[str, ImageInfo]  # by fingerprint


def image_name(fingerprint: str | None, images: Mapping[str, ImageInfo]) -> str:
    """The image a container was made from, by its first alias (``image_label``); the first
    12 digits of its fingerprint when the image is gone from the store."""
    if not fingerprint:
        return ""
    image = images.get(fingerprint)
    return image_label(image) if image is not None else short_id(fingerprint)


def container_networks(container: ContainerInfo, profiles: Mapping[str, ProfileInfo]) -> list[str]:
    """Networks of the container's nics, its own and its profiles'. A profile missing from
    ``profiles`` (deleted between two reads) no longer applies."""
    from ..store.containers import expand
    from ..store.lxd_common import networks_of

    return networks_of(expand(container, profiles).devices)


Containers = Listing["ContainerInfo"]


class ContainersKind(Kind["ContainerInfo"]):
    name = "container"
    plural = "containers"
    title = "Containers"
    order = 10
    apply_order = 40  # after the profiles and images it names
    domain = "containers"
    names_help = "its name"
    empty_hint = (
        "No containers. Press n to create one, or import some with `nodekeeper import-lxc DIR` "
        "or `nodekeeper apply FILE`."
    )
    columns = (
        Column("name", "Name", lambda c, _: c.name, priority=1),
        Column("power_state", "State", lambda c, _: c.power_state, priority=1,
               tones={"running": "good", "stopped": "muted"}),
        Column("architecture", "Arch", lambda c, _: c.architecture, priority=4, width=7),
        Column("profiles", "Profiles", lambda c, _: list(c.profiles)),
        Column("networks", "Networks",
               lambda c, listing: container_networks(c, listing.context.profiles)),
        Column("image", "Image", lambda c, _: c.image, priority=3,
               text_of=lambda fingerprint, listing: image_name(fingerprint, listing.context.images)),
    )  # fmt: skip
    filters = (
        USING,
        Filter("profile", "NAME", "only those applying this profile"),
        Filter("image", "REF", "only those made from this image (fingerprint, prefix or alias)"),
    )
    required = ("name",)
    references = (Reference("profiles", "profile", "name"),)
    force_means = "a running one"

    @property
    def resource_types(self) -> tuple[type, ...]:
        from ..store import ContainerInfo

        return (ContainerInfo,)

    def read(self, store: Store, **filters: Any) -> Containers:
        with store.reading():  # one snapshot: the three lists agree
            items = store.containers.list(
                network=filters.get("using"), profile=filters.get("profile"),
                image=filters.get("image"),
            )  # fmt: skip
            context = ContainersContext(
                profiles={p.name: p for p in store.profiles.list()},
                images={i.fingerprint: i for i in store.images.list()},
            )
        return Listing({c.name: c for c in items}, context)

    def get(self, store: Store, name: str, scope: str | None = None) -> ContainerInfo:
        return store.containers.get(name)

    def index(self, store: Store) -> list[tuple[str, str]]:
        # Names only: the palette must not load thousands of containers with their config.
        return [(name, f"container {name}") for name in store.containers.names()]

    def to_json(self, item: ContainerInfo, listing: Containers | None = None) -> dict[str, Any]:
        return {
            "name": item.name, "architecture": item.architecture, "type": item.type,
            "power_state": item.power_state, "ephemeral": item.ephemeral,
            "profiles": item.profiles, "config": item.config, "devices": item.devices,
        }  # fmt: skip

    # -- documents

    def to_table(self, resource: ContainerInfo) -> dict[str, Any]:
        return fields_table(resource)

    def from_table(self, body: Mapping[str, Any]) -> ContainerInfo:
        from ..store.containers import ContainerRepo

        return ContainerRepo.validated(
            name=body.get("name"), arch=body.get("architecture", "x86_64"),
            ctype=body.get("type", "container"), power_state=body.get("power_state", "stopped"),
            ephemeral=body.get("ephemeral", False), profiles=body.get("profiles", []),
            config=body.get("config"), devices=body.get("devices"),
        )  # fmt: skip

    def save(self, store: Store, resource: ContainerInfo) -> str:
        return store.containers.save(resource)

    def names_in_store(self, store: Store) -> set[str]:
        return set(store.containers.names())

    # -- deleting

    def delete(self, store: Store, name: str, scope: str | None = None, force: bool = False):
        store.containers.delete(name, force=force)

    def delete_plan(self, store: Store, listing: Containers, key: str) -> DeletePlan:
        c = listing.items[key]
        goes = [counted(len(c.config), "config key"), counted(len(c.devices), "device")]
        if c.profiles:
            goes.append(f"its use of the profiles {', '.join(c.profiles)}")
        # Confirming a delete that names the running state forces it; core refuses the others
        # if the container started meanwhile.
        running = c.power_state == "running"
        return DeletePlan(
            f"Delete container {c.name!r}",
            ("Delete container ", Emphasis(c.name), "?", "\n" if running else "",
             Emphasis("It is running.") if running else "",
             "\n\nWhat goes with it: ", Value(", ".join(goes)), ".\nProfiles and images stay."),
            partial(store.containers.delete, c.name, force=running),
            f"Deleted container {c.name!r}.",
        )  # fmt: skip


KIND = ContainersKind()
