"""Section 4: images, and the containers created from them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from textual.content import Content

from core import AlreadyExists, ImageInfo
from core.store.images import ImageRepo
from core.store.lxd_common import ARCHITECTURES

from ..widgets.detail_pane import Detail
from ..widgets.form import Field, FormModal
from ..widgets.format import counted, human_size, short_id, utc_minutes, yes_no
from ..widgets.resource_table import Cell, Column
from ..widgets.safe import safe
from .fields import join_list, lines_to_map, map_to_lines, optional_int, split_list
from .resource import DeletePlan, ResourceSection, Rows


@dataclass(frozen=True)
class ImagesData:
    images: dict[str, ImageInfo]  # by fingerprint
    used_by: dict[str, list[str]]  # fingerprint -> containers created from it


def image_label(image: ImageInfo) -> str:
    return next(iter(image.aliases), short_id(image.fingerprint))


class ImagesSection(ResourceSection[ImagesData]):
    KIND = "image"
    DOMAIN = "containers"
    TITLE = "Images"
    COLUMNS = (
        Column("fingerprint", "Fingerprint", priority=1),
        Column("aliases", "Aliases"),
        Column("architecture", "Arch", priority=3),
        Column("size", "Size", numeric=True),
        Column("used_by", "Used by", numeric=True),
        Column("public", "Public", priority=3),
        Column("uploaded", "Uploaded (UTC)", priority=4),
    )
    EMPTY_HINT = "No images. Press n to register one, or import some with `nodekeeper apply FILE`."

    def fetch(self) -> ImagesData:
        store = self.store
        with store.reading():
            images = store.images.list()
            used_by: dict[str, list[str]] = {i.fingerprint: [] for i in images}
            for c in store.containers.list():
                if c.image:
                    used_by.setdefault(c.image, []).append(c.name)
        return ImagesData({i.fingerprint: i for i in images}, used_by)

    def label_of(self, key: str) -> str:
        image = self.data.images.get(key) if self.data else None
        return f"image {image_label(image) if image else short_id(key)!r}"

    def rows(self, data: ImagesData) -> Rows:
        return {
            i.fingerprint: (
                Cell(short_id(i.fingerprint), sort=i.fingerprint),
                Cell(list(i.aliases)),
                Cell(i.architecture),
                Cell(human_size(i.size), sort=i.size, justify="right"),
                Cell(len(data.used_by.get(i.fingerprint, [])), justify="right"),
                Cell(yes_no(i.public)),
                Cell(utc_minutes(i.upload_date), sort=i.upload_date),
            )
            for i in data.images.values()
        }

    def detail(self, data: ImagesData, key: str) -> Detail:
        i = data.images[key]
        users = data.used_by.get(key, [])
        d = Detail(image_label(i))
        d.field("fingerprint", i.fingerprint)
        d.field("filename", i.filename)
        d.field("size", human_size(i.size), f"{i.size} bytes")
        d.field("architecture", i.architecture)
        d.field("public", yes_no(i.public))
        d.field("cached", yes_no(i.cached))
        for label, when in (("created", i.creation_date), ("uploaded", i.upload_date),
                            ("expires", i.expiry_date), ("last used", i.last_use_date)):  # fmt: skip
            d.field(label, utc_minutes(when), "UTC" if when else "")
        d.heading("Used by", len(users)).items(users, "no container was created from it")
        d.heading("Aliases", len(i.aliases)).fields(i.aliases)
        d.heading("Properties", len(i.properties)).fields(i.properties)
        return d

    def form(self, data: ImagesData, key: str | None) -> FormModal[str]:
        current = data.images[key] if key is not None else None
        store = self.store
        editing = current is not None
        fields = [
            Field("fingerprint", "Fingerprint", current.fingerprint if current else "",
                  disabled=editing, placeholder="sha256 of the image file, 64 hex digits",
                  errors=("image",)),
            Field("filename", "File name", current.filename if current else "", disabled=editing,
                  placeholder="ubuntu-24.04.tar.xz"),
            Field("size", "Size (bytes)", str(current.size) if current else "", disabled=editing,
                  check=partial(optional_int, field="size")),
            Field("architecture", "Architecture", current.architecture if current else "x86_64",
                  kind="select", options=list(ARCHITECTURES.values()), disabled=editing),
            Field("public", "Public", current.public if current else False, kind="check"),
            Field("aliases", "Aliases", join_list(current.aliases) if current else "",
                  check=split_list, placeholder="ubuntu/24.04", errors=("alias",)),
            Field("properties", "Properties", map_to_lines(current.properties) if current else "",
                  kind="lines", check=partial(lines_to_map, field="properties"),
                  errors=("property",), help="key = value, one per line"),
        ]  # fmt: skip

        def candidate(values: dict[str, Any]) -> ImageInfo:
            kept = current.aliases if current else {}
            aliases = {alias: kept.get(alias, "") for alias in values["aliases"]}
            if current is not None:
                return replace(
                    current, public=values["public"], aliases=aliases,
                    properties=values["properties"],
                )  # fmt: skip
            return ImageInfo(
                fingerprint=values["fingerprint"], filename=values["filename"],
                size=values["size"], architecture=values["architecture"],
                public=values["public"], aliases=aliases, properties=values["properties"],
            )  # fmt: skip

        def validate(values: dict[str, Any]) -> None:
            info = ImageRepo.validated(candidate(values))
            if current is None and info.fingerprint in data.images:
                raise AlreadyExists("image", info.fingerprint)
            for alias in info.aliases:
                owner = next((i for i in data.images.values() if alias in i.aliases), None)
                if owner is not None and owner.fingerprint != info.fingerprint:
                    raise AlreadyExists("image alias", alias)

        def submit(values: dict[str, Any]) -> str:
            info = candidate(values)
            if current is None:
                return store.images.create(info).fingerprint
            return store.images.update(
                current.fingerprint, public=info.public, aliases=info.aliases,
                properties=info.properties,
            ).fingerprint  # fmt: skip

        title = f"Edit image {image_label(current)!r}" if current else "New image"
        return FormModal(title, fields, submit, validate=validate)

    def delete_plan(self, data: ImagesData, key: str) -> DeletePlan:
        i = data.images[key]
        users = data.used_by.get(key, [])
        parts: list[Content | str] = [
            "Delete image ", safe(image_label(i), "bold"), f" ({short_id(i.fingerprint)})?\n\n",
            "What goes with it: ",
            safe(f"{counted(len(i.aliases), 'alias', 'aliases')} ({join_list(i.aliases)})"
                 if i.aliases else "0 aliases"),
            f", {counted(len(i.properties), 'property', 'properties')}.",
        ]  # fmt: skip
        if users:
            one = len(users) == 1
            parts += [
                f"\n{counted(len(users), 'container')} {'was' if one else 'were'} created from it (",
                safe(join_list(users)),
                f"): {'it stays, and keeps' if one else 'they stay, and keep'} its fingerprint in "
                "volatile.base_image.",
            ]
        return DeletePlan(
            f"Delete image {image_label(i)!r}",
            Content.assemble(*parts),
            partial(self.store.images.delete, i.fingerprint),
            f"Deleted image {image_label(i)!r}.",
        )
