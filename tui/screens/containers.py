"""Section 2: containers, their own and their expanded config and devices."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from textual.content import Content

from core import AlreadyExists, ContainerInfo, ImageInfo, NotFound, ProfileInfo
from core.store.containers import POWER_STATES, ContainerRepo, expand
from core.store.lxd_common import ARCHITECTURES, networks_of

from ..widgets.detail_pane import Detail
from ..widgets.form import Field, FormModal
from ..widgets.format import counted
from ..widgets.resource_table import Cell, Column
from ..widgets.safe import safe
from .fields import join_list, lines_to_map, map_to_lines, split_list
from .resource import DeletePlan, ResourceSection, Rows

STATE_STYLE = {"running": "green", "stopped": "dim"}


@dataclass(frozen=True)
class ContainersData:
    containers: dict[str, ContainerInfo]
    profiles: dict[str, ProfileInfo]
    images: dict[str, ImageInfo]  # by fingerprint


def container_networks(container: ContainerInfo, profiles: dict[str, ProfileInfo]) -> list[str]:
    """Networks of the container's nics, its own and its profiles' (like `nodekeeper list`).

    A profile missing from ``profiles`` (deleted between two reads) no longer applies.
    """
    return networks_of(expand(container, profiles).devices)


def image_name(fingerprint: str | None, images: dict[str, ImageInfo]) -> str:
    """An image by its first alias, else the first 12 digits of its fingerprint."""
    if not fingerprint:
        return ""
    image = images.get(fingerprint)
    if image is not None and image.aliases:
        return next(iter(image.aliases))
    return fingerprint[:12]


def origin_text(origin: str) -> str:
    return "own" if origin == "local" else origin.replace("profile:", "from profile ")


class ContainersSection(ResourceSection[ContainersData]):
    KIND = "container"
    DOMAIN = "containers"
    TITLE = "Containers"
    COLUMNS = (
        Column("name", "Name", priority=1),
        Column("state", "State", priority=1),
        Column("architecture", "Arch", priority=4),
        Column("profiles", "Profiles"),
        Column("networks", "Networks"),
        Column("image", "Image", priority=3),
    )
    EMPTY_HINT = (
        "No containers. Press n to create one, or import some with `nodekeeper import-lxc DIR` "
        "or `nodekeeper apply FILE`."
    )

    def fetch(self) -> ContainersData:
        store = self.store
        with store.reading():  # one snapshot: the three lists agree
            return ContainersData(
                containers={c.name: c for c in store.containers.list()},
                profiles={p.name: p for p in store.profiles.list()},
                images={i.fingerprint: i for i in store.images.list()},
            )

    def rows(self, data: ContainersData) -> Rows:
        return {
            c.name: (
                Cell(c.name),
                Cell(c.power_state, style=STATE_STYLE.get(c.power_state, "")),
                Cell(c.architecture),
                Cell(c.profiles),
                Cell(container_networks(c, data.profiles)),
                Cell(image_name(c.image, data.images)),
            )
            for c in data.containers.values()
        }

    def detail(self, data: ContainersData, key: str) -> Detail:
        c = data.containers[key]
        view = expand(c, data.profiles)
        d = Detail(c.name)
        d.field("state", c.power_state, style=STATE_STYLE.get(c.power_state, ""))
        d.field("architecture", c.architecture)
        d.field("type", c.type)
        d.field("ephemeral", "yes" if c.ephemeral else "no")
        missing = [p for p in c.profiles if p not in data.profiles]
        d.field(
            "profiles",
            join_list(c.profiles),
            "in apply order, later ones win" if c.profiles else "",
        )
        if missing:
            d.field("", f"missing: {join_list(missing)}", style="red")
        if c.image:
            d.field("image", image_name(c.image, data.images), c.image[:12])
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

    def form(self, data: ContainersData, key: str | None) -> FormModal[str]:
        current = data.containers[key] if key is not None else None
        store = self.store
        fields = [
            Field("name", "Name", current.name if current else "", disabled=current is not None,
                  placeholder="web1", errors=("container",)),
            Field("architecture", "Architecture", current.architecture if current else "x86_64",
                  kind="select", options=list(ARCHITECTURES.values())),
            Field("power_state", "Power state", current.power_state if current else "stopped",
                  kind="select", options=list(POWER_STATES.values())),
            Field("ephemeral", "Ephemeral", current.ephemeral if current else False, kind="check"),
            Field("profiles", "Profiles", join_list(current.profiles) if current else "default"
                  if "default" in data.profiles else "", check=split_list,
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
            if current is None and values["name"] in data.containers:
                raise AlreadyExists("container", values["name"])
            for profile in values["profiles"]:
                if profile not in data.profiles:
                    raise NotFound("profile", profile)

        def submit(values: dict[str, Any]) -> str:
            args = {k: values[k] for k in ("architecture", "power_state", "ephemeral", "profiles",
                                           "config")}  # fmt: skip
            if current is None:
                return store.containers.create(values["name"], **args).name
            return store.containers.update(current.name, **args).name

        title = f"Edit container {current.name!r}" if current else "New container"
        return FormModal(title, fields, submit, validate=validate)

    # -- delete

    def delete_plan(self, data: ContainersData, key: str) -> DeletePlan:
        c = data.containers[key]
        goes = [counted(len(c.config), "config key"), counted(len(c.devices), "device")]
        if c.profiles:
            goes.append(f"its use of the profiles {join_list(c.profiles)}")
        # Confirming a delete that names the running state forces it; core refuses the others
        # if the container started meanwhile.
        running = c.power_state == "running"
        message = Content.assemble(
            "Delete container ", safe(c.name, "bold"), "?",
            ("\nIt is running.", "bold") if running else "",
            "\n\nWhat goes with it: ", safe(", ".join(goes)), ".\nProfiles and images stay.",
        )  # fmt: skip
        return DeletePlan(
            f"Delete container {c.name!r}",
            message,
            partial(self.store.containers.delete, c.name, force=running),
            f"Deleted container {c.name!r}.",
        )
