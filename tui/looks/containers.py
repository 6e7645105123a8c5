"""The containers' look: their own and their expanded config and devices; the form."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from core import AlreadyExists, NotFound
from core.kinds import Kind
from core.kinds.containers import image_name
from core.store.containers import POWER_STATES, ContainerRepo, expand
from core.store.lxd_common import ARCHITECTURES
from core.text import short_id, yes_no

from ..widgets.detail_pane import Detail
from ..widgets.form import Field, FormModal
from .base import Look, tone_style
from .fields import join_list, lines_to_map, map_to_lines, split_list

if TYPE_CHECKING:
    from core import Store
    from core.kinds.containers import Containers


def origin_text(origin: str) -> str:
    return "own" if origin == "local" else origin.replace("profile:", "from profile ")


class ContainersLook(Look):
    def detail(self, kind: Kind[Any], data: Containers, key: str) -> Detail:
        c = data.items[key]
        profiles, images = data.context.profiles, data.context.images
        view = expand(c, profiles)
        d = Detail(c.name)
        d.field("state", c.power_state, style=tone_style(kind, "power_state", c.power_state))
        d.field("architecture", c.architecture)
        d.field("type", c.type)
        d.field("ephemeral", yes_no(c.ephemeral))
        missing = [p for p in c.profiles if p not in profiles]
        d.field(
            "profiles",
            join_list(c.profiles),
            "in apply order, later ones win" if c.profiles else "",
        )
        if missing:
            d.field("", f"missing: {join_list(missing)}", style="red")
        if c.image:
            d.field("image", image_name(c.image, images), short_id(c.image))
        d.heading("Own config", len(c.config)).fields(c.config)
        d.heading("Own devices", len(c.devices)).devices(c.devices)
        d.heading("Expanded config", len(view.config)).fields(
            view.config, {k: origin_text(o) for k, o in view.config_origin.items()}
        )
        d.heading("Expanded devices", len(view.devices)).devices(
            view.devices, {k: origin_text(o) for k, o in view.device_origin.items()}
        )
        return d

    # -- create and edit

    def form(self, store: Store, data: Containers, key: str | None) -> FormModal[str]:
        current = data.items[key] if key is not None else None
        profiles = data.context.profiles
        fields = [
            Field("name", "Name", current.name if current else "", disabled=current is not None,
                  placeholder="web1", errors=("container",)),
            Field("architecture", "Architecture", current.architecture if current else "x86_64",
                  kind="select", options=list(ARCHITECTURES.values())),
            Field("power_state", "Power state", current.power_state if current else "stopped",
                  kind="select", options=list(POWER_STATES.values())),
            Field("ephemeral", "Ephemeral", current.ephemeral if current else False, kind="check"),
            Field("profiles", "Profiles", join_list(current.profiles) if current else "default"
                  if "default" in profiles else "", check=split_list,
                  placeholder="default, web (in apply order)", errors=("profile",)),
            Field("config", "Config", map_to_lines(current.config) if current else "",
                  kind="lines", check=partial(lines_to_map, field="config"),
                  help="key = value, one per line; devices: edit with E ($EDITOR)"),
        ]  # fmt: skip

        def validate(values: dict[str, Any]) -> None:
            ContainerRepo.validated(
                values["name"], values["architecture"], "container", values["power_state"],
                values["ephemeral"], values["profiles"], values["config"], None,
            )  # fmt: skip
            if current is None and values["name"] in data.items:
                raise AlreadyExists("container", values["name"])
            for profile in values["profiles"]:
                if profile not in profiles:
                    raise NotFound("profile", profile)

        def submit(values: dict[str, Any]) -> str:
            args = {k: values[k] for k in ("architecture", "power_state", "ephemeral", "profiles",
                                           "config")}  # fmt: skip
            if current is None:
                return store.containers.create(values["name"], **args).name
            return store.containers.update(current.name, **args).name

        title = f"Edit container {current.name!r}" if current else "New container"
        return FormModal(title, fields, submit, validate=validate)


LOOK = ContainersLook()
