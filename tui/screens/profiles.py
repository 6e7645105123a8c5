"""Section 3: profiles, and the containers that apply them."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from textual.content import Content

from core import AlreadyExists, InUse, ProfileInfo
from core.store.lxd_common import networks_of
from core.store.profiles import ProfileRepo

from ..widgets.detail_pane import Detail
from ..widgets.form import Field, FormModal
from ..widgets.format import counted
from ..widgets.resource_table import Cell, Column
from ..widgets.safe import safe
from .fields import lines_to_map, map_to_lines
from .resource import DeletePlan, ResourceSection, Rows


@dataclass(frozen=True)
class ProfilesData:
    profiles: dict[str, ProfileInfo]
    used_by: dict[str, list[str]]  # profile -> containers applying it, by name


class ProfilesSection(ResourceSection[ProfilesData]):
    KIND = "profile"
    DOMAIN = "containers"
    TITLE = "Profiles"
    COLUMNS = (  # the free-text description last, so it cannot push the rest off screen
        Column("name", "Name", priority=1),
        Column("used_by", "Used by", numeric=True),
        Column("config", "Config", numeric=True),
        Column("devices", "Devices"),
        Column("description", "Description", priority=3),
    )
    EMPTY_HINT = (
        "No profiles. Press n to create one, or import some with `nodekeeper import-lxc DIR` "
        "or `nodekeeper apply FILE`."
    )

    def fetch(self) -> ProfilesData:
        store = self.store
        with store.reading():
            profiles = store.profiles.list()
            used_by: dict[str, list[str]] = {p.name: [] for p in profiles}
            for c in store.containers.list():
                for name in c.profiles:
                    used_by.setdefault(name, []).append(c.name)
        return ProfilesData({p.name: p for p in profiles}, used_by)

    def rows(self, data: ProfilesData) -> Rows:
        return {
            p.name: (
                Cell(p.name),
                Cell(len(data.used_by.get(p.name, [])), justify="right"),
                Cell(len(p.config), justify="right"),
                Cell(list(p.devices)),
                Cell(p.description),
            )
            for p in data.profiles.values()
        }

    def detail(self, data: ProfilesData, key: str) -> Detail:
        p = data.profiles[key]
        users = data.used_by.get(key, [])
        d = Detail(p.name)
        d.field("description", p.description)
        d.field("networks", ", ".join(networks_of(p.devices)))
        d.heading("Used by", len(users)).items(users, "no container applies it")
        d.heading("Config", len(p.config)).fields(p.config)
        d.heading("Devices", len(p.devices)).devices(p.devices)
        return d

    def form(self, data: ProfilesData, key: str | None) -> FormModal[str]:
        current = data.profiles[key] if key is not None else None
        store = self.store
        fields = [
            Field("name", "Name", current.name if current else "", disabled=current is not None,
                  placeholder="web", errors=("profile",)),
            Field("description", "Description", current.description if current else ""),
            Field("config", "Config", map_to_lines(current.config) if current else "",
                  kind="lines", check=partial(lines_to_map, field="config"),
                  help="key = value, one per line; devices: edit with E ($EDITOR)"),
        ]  # fmt: skip

        def validate(values: dict[str, Any]) -> None:
            ProfileRepo.validated(values["name"], values["description"], values["config"], None)
            if current is None and values["name"] in data.profiles:
                raise AlreadyExists("profile", values["name"])

        def submit(values: dict[str, Any]) -> str:
            if current is None:
                return store.profiles.create(
                    values["name"], description=values["description"], config=values["config"]
                ).name
            return store.profiles.update(
                current.name, description=values["description"], config=values["config"]
            ).name

        title = f"Edit profile {current.name!r}" if current else "New profile"
        return FormModal(title, fields, submit, validate=validate)

    def delete_plan(self, data: ProfilesData, key: str) -> DeletePlan | str:
        p = data.profiles[key]
        users = data.used_by.get(key, [])
        if users:  # core refuses it; say so before asking
            return f"{InUse('profile', key, users)}: remove it from them first."
        message = Content.assemble(
            "Delete profile ", safe(p.name, "bold"), "?\n\nWhat goes with it: ",
            safe(f"{counted(len(p.config), 'config key')}, {counted(len(p.devices), 'device')}"),
            ".\nNo container applies it.",
        )  # fmt: skip
        return DeletePlan(
            f"Delete profile {p.name!r}",
            message,
            partial(self.store.profiles.delete, p.name),
            f"Deleted profile {p.name!r}.",
        )
