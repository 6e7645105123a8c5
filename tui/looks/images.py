"""The images' look: what was made from them, their aliases and properties; the form."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any

from core import AlreadyExists, ImageInfo
from core.kinds import Kind
from core.kinds.images import image_label
from core.store.images import ImageRepo
from core.store.lxd_common import ARCHITECTURES
from core.text import human_size, utc_minutes, yes_no

from ..widgets.detail_pane import Detail
from ..widgets.form import Field, FormModal
from .base import Look
from .fields import join_list, lines_to_map, map_to_lines, optional_int, split_list

if TYPE_CHECKING:
    from core import Store
    from core.kinds.images import Images


class ImagesLook(Look):
    def detail(self, kind: Kind[Any], data: Images, key: str) -> Detail:
        i = data.items[key]
        users = data.context.get(key, [])
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

    def form(self, store: Store, data: Images, key: str | None) -> FormModal[str]:
        current = data.items[key] if key is not None else None
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
            if current is None and info.fingerprint in data.items:
                raise AlreadyExists("image", info.fingerprint)
            for alias in info.aliases:
                owner = next((i for i in data.items.values() if alias in i.aliases), None)
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


LOOK = ImagesLook()
