"""Profiles: config and devices that containers apply, in order, under their own."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from ..errors import InUse
from ..text import counted
from .base import Column, DeletePlan, Emphasis, Kind, Listing, fields_table
from .containers import USING

if TYPE_CHECKING:  # the store: imported where used, so that the declarations load without it
    from ..store import ProfileInfo, Store

Profiles = Listing["ProfileInfo"]  # context: profile -> the containers applying it, by name


class ProfilesKind(Kind["ProfileInfo"]):
    name = "profile"
    plural = "profiles"
    title = "Profiles"
    order = 20
    apply_order = 20
    domain = "containers"
    names_help = "its name"
    empty_hint = (
        "No profiles. Press n to create one, or import some with `nodekeeper import-lxc DIR` "
        "or `nodekeeper apply FILE`."
    )
    columns = (  # the free-text description last, so it cannot push the rest off screen
        Column("name", "Name", lambda p, _: p.name, priority=1),
        Column("used_by", "Used by", lambda p, listing: len(listing.context.get(p.name, [])),
               numeric=True),
        Column("config", "Config", lambda p, _: p.config, format="count", numeric=True),
        Column("devices", "Devices", lambda p, _: p.devices),
        Column("description", "Description", lambda p, _: p.description, priority=3, width=16),
    )  # fmt: skip
    filters = (USING,)
    required = ("name",)

    @property
    def resource_types(self) -> tuple[type, ...]:
        from ..store import ProfileInfo

        return (ProfileInfo,)

    def read(self, store: Store, **filters: Any) -> Profiles:
        with store.reading():
            profiles = store.profiles.list(network=filters.get("using"))
            used_by = store.containers.by_profile()
        return Listing({p.name: p for p in profiles}, used_by)

    def get(self, store: Store, name: str, scope: str | None = None) -> ProfileInfo:
        return store.profiles.get(name)

    def to_json(self, item: ProfileInfo, listing: Profiles | None = None) -> dict[str, Any]:
        return {"name": item.name, "description": item.description, "config": item.config,
                "devices": item.devices}  # fmt: skip

    def to_table(self, resource: ProfileInfo) -> dict[str, Any]:
        return fields_table(resource)

    def from_table(self, body: Mapping[str, Any]) -> ProfileInfo:
        from ..store.profiles import ProfileRepo

        return ProfileRepo.validated(
            body.get("name"), body.get("description", ""), body.get("config"), body.get("devices")
        )

    def save(self, store: Store, resource: ProfileInfo) -> str:
        return store.profiles.save(resource)

    def names_in_store(self, store: Store) -> set[str]:
        return set(store.profiles.names())

    def delete(self, store: Store, name: str, scope: str | None = None, force: bool = False):
        store.profiles.delete(name)

    def delete_plan(self, store: Store, listing: Profiles, key: str) -> DeletePlan | str:
        p = listing.items[key]
        users = listing.context.get(key, [])
        if users:  # core refuses it; say so before asking
            return f"{InUse('profile', key, users)}: remove it from them first."
        return DeletePlan(
            f"Delete profile {p.name!r}",
            ("Delete profile ", Emphasis(p.name), "?\n\nWhat goes with it: ",
             f"{counted(len(p.config), 'config key')}, {counted(len(p.devices), 'device')}",
             ".\nNo container applies it."),
            partial(store.profiles.delete, p.name),
            f"Deleted profile {p.name!r}.",
        )  # fmt: skip


KIND = ProfilesKind()
