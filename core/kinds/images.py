"""Images: the files containers are made from, their aliases and properties."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from ..text import counted, short_id
from .base import Column, DeletePlan, Emphasis, Kind, Listing, Value, fields_table

if TYPE_CHECKING:  # the store: imported where used, so that the declarations load without it
    from ..store import ImageInfo, Store

Images = Listing["ImageInfo"]  # context: fingerprint -> the containers created from it


def image_label(image: ImageInfo) -> str:
    """An image by its first alias, else the first 12 digits of its fingerprint."""
    return next(iter(image.aliases), short_id(image.fingerprint))


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


class ImagesKind(Kind["ImageInfo"]):
    name = "image"
    plural = "images"
    title = "Images"
    article = "an"
    order = 30
    apply_order = 30
    domain = "containers"
    names_help = "its alias, fingerprint or unique fingerprint prefix"
    empty_hint = "No images. Press n to register one, or import some with `nodekeeper apply FILE`."
    columns = (
        Column("fingerprint", "Fingerprint", lambda i, _: i.fingerprint, format="id", priority=1),
        Column("aliases", "Aliases", lambda i, _: i.aliases),
        Column("architecture", "Arch", lambda i, _: i.architecture, priority=3, width=7),
        Column("size", "Size", lambda i, _: i.size, format="size", numeric=True),
        Column("used_by", "Used by",
               lambda i, listing: len(listing.context.get(i.fingerprint, [])), numeric=True),
        Column("public", "Public", lambda i, _: i.public, format="yes_no", priority=3),
        Column("upload_date", "Uploaded (UTC)", lambda i, _: i.upload_date, format="date",
               priority=4),
    )  # fmt: skip
    required = ("fingerprint", "filename", "size")
    removed_on_apply = "aliases and properties"

    @property
    def resource_types(self) -> tuple[type, ...]:
        from ..store import ImageInfo

        return (ImageInfo,)

    def key(self, item: ImageInfo) -> str:
        return item.fingerprint

    def display(self, item: ImageInfo) -> str:
        return image_label(item)

    def read(self, store: Store, **filters: Any) -> Images:
        with store.reading():
            images = store.images.list()
            used_by = store.containers.by_image()
        return Listing({i.fingerprint: i for i in images}, used_by)

    def get(self, store: Store, name: str, scope: str | None = None) -> ImageInfo:
        return store.images.get(name)

    def to_json(self, item: ImageInfo, listing: Images | None = None) -> dict[str, Any]:
        return {
            "name": image_label(item),
            "fingerprint": item.fingerprint, "filename": item.filename, "size": item.size,
            "architecture": item.architecture, "public": item.public, "cached": item.cached,
            "aliases": item.aliases, "properties": item.properties,
            "creation_date": _iso(item.creation_date), "expiry_date": _iso(item.expiry_date),
            "upload_date": _iso(item.upload_date), "last_use_date": _iso(item.last_use_date),
        }  # fmt: skip

    def to_table(self, resource: ImageInfo) -> dict[str, Any]:
        return fields_table(resource)

    def from_table(self, body: Mapping[str, Any]) -> ImageInfo:
        from ..store import ImageInfo
        from ..store.images import ImageRepo

        blank = {"fingerprint": None, "filename": None, "size": None, "architecture": "x86_64"}
        return ImageRepo.validated(ImageInfo(**(blank | dict(body))))

    def document_name(self, resource: ImageInfo) -> str:
        return resource.fingerprint

    def save(self, store: Store, resource: ImageInfo) -> str:
        return store.images.save(resource)

    def delete(self, store: Store, name: str, scope: str | None = None, force: bool = False):
        store.images.delete(name)

    def delete_plan(self, store: Store, listing: Images, key: str) -> DeletePlan:
        i = listing.items[key]
        users = listing.context.get(key, [])
        aliases = (
            f"{counted(len(i.aliases), 'alias', 'aliases')} ({', '.join(i.aliases)})"
            if i.aliases
            else "0 aliases"
        )
        parts: list[str] = [
            "Delete image ", Emphasis(image_label(i)), f" ({short_id(i.fingerprint)})?\n\n",
            "What goes with it: ", Value(aliases),
            f", {counted(len(i.properties), 'property', 'properties')}.",
        ]  # fmt: skip
        if users:
            one = len(users) == 1
            parts += [
                f"\n{counted(len(users), 'container')} {'was' if one else 'were'} created from it (",
                Value(", ".join(users)),
                f"): {'it stays, and keeps' if one else 'they stay, and keep'} its fingerprint in "
                "volatile.base_image.",
            ]
        return DeletePlan(
            f"Delete image {image_label(i)!r}",
            tuple(parts),
            partial(store.images.delete, i.fingerprint),
            f"Deleted image {image_label(i)!r}.",
        )


KIND = ImagesKind()
