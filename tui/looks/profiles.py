"""The profiles' look: what applies them, their config and devices; the form."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from core import AlreadyExists
from core.kinds import Kind
from core.store.lxd_common import networks_of
from core.store.profiles import ProfileRepo

from ..widgets.detail_pane import Detail
from ..widgets.form import Field, FormModal
from .base import Look
from .fields import lines_to_map, map_to_lines

if TYPE_CHECKING:
    from core import Store
    from core.kinds.profiles import Profiles


class ProfilesLook(Look):
    def detail(self, kind: Kind[Any], data: Profiles, key: str) -> Detail:
        p = data.items[key]
        users = data.context.get(key, [])
        d = Detail(p.name)
        d.field("description", p.description)
        d.field("networks", ", ".join(networks_of(p.devices)))
        d.heading("Used by", len(users)).items(users, "no container applies it")
        d.heading("Config", len(p.config)).fields(p.config)
        d.heading("Devices", len(p.devices)).devices(p.devices)
        return d

    def form(self, store: Store, data: Profiles, key: str | None) -> FormModal[str]:
        current = data.items[key] if key is not None else None
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
            if current is None and values["name"] in data.items:
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


LOOK = ProfilesLook()
