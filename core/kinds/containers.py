"""Containers: LXD's instances, their config and devices, and the profiles they apply."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Any

from ..text import JsonText, ascii_json, counted, short_id
from .base import (
    PAGE_SIZE,
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
    from ..store.containers import ContainerSummary

    # A listing holds whole containers (``read``, ``pages``) or their summaries
    # (``read_columns``): the columns read only what both have.
    Containers = Listing[ContainerInfo | ContainerSummary]

USING = Filter("using", "NETWORK", "only those using this network (bridge), through a profile too")


@dataclass(frozen=True)
class ContainersContext:
    profiles: dict[str, ProfileInfo]
    images: dict[str, ImageInfo]  # by fingerprint
    # container name -> the networks of its nics, own and inherited (the Networks column),
    # answered in SQL for the containers of the listing (or of the page)
    networks: dict[str, list[str]]


def image_name(fingerprint: str | None, images: Mapping[str, ImageInfo]) -> str:
    """The image a container was made from, by its first alias (``image_label``); the first
    12 digits of its fingerprint when the image is gone from the store."""
    if not fingerprint:
        return ""
    image = images.get(fingerprint)
    return image_label(image) if image is not None else short_id(fingerprint)


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
        Column("networks", "Networks", lambda c, listing: listing.context.networks.get(c.name, [])),
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

    large = True  # thousands, each with its config and devices

    @property
    def resource_types(self) -> tuple[type, ...]:
        from ..store import ContainerInfo

        return (ContainerInfo,)

    def read(self, store: Store, **filters: Any) -> Containers:
        with store.reading():  # one snapshot: the lists agree
            items = store.containers.list(**self._store_filters(filters))
            return Listing({c.name: c for c in items}, self._context(store, filters))

    def read_columns(self, store: Store, **filters: Any) -> Containers:
        with store.reading():
            items = store.containers.summaries(**self._store_filters(filters))
            return Listing({c.name: c for c in items}, self._context(store, filters))

    def read_first(self, store: Store, count: int) -> tuple[Containers, int] | None:
        with store.reading():
            names, total = store.containers.first_names(count)
            context = self._context(store, {}, networks=False)
            if not names:
                return Listing({}, context), total
            # The names between the first and the last of them in the store's order: those
            # alone when every name is in lower case, as a hostname mostly is.
            bounds = {"since": min(names), "through": max(names)}
            items = {c.name: c for c in store.containers.summaries(**bounds)}
            networks = store.containers.networks(**bounds)
        if not items.keys() >= set(names):  # a collation that is not the code points' order
            return None
        listing = Listing(
            {name: items[name] for name in sorted(names)},  # the store's order, as read_columns
            replace(context, networks={n: networks[n] for n in names if n in networks}),
        )
        return listing, total

    def pages(self, store: Store, *, size: int = PAGE_SIZE, **filters: Any) -> Iterator[Containers]:
        return self._paged(store, store.containers.pages, size, filters)

    def column_pages(
        self, store: Store, *, size: int = PAGE_SIZE, **filters: Any
    ) -> Iterator[Containers]:
        return self._paged(store, store.containers.summary_pages, size, filters)

    def _paged(
        self,
        store: Store,
        pages: Callable[..., Iterator[list[ContainerInfo]] | Iterator[list[ContainerSummary]]],
        size: int,
        filters: Mapping[str, Any],
    ) -> Iterator[Containers]:
        """The listings of the store's ``pages`` (whole containers or summaries), each with
        the networks of its containers, all from one snapshot."""
        chosen = self._store_filters(filters)
        with store.reading():
            context = self._context(store, filters, networks=False)
            after = None
            for page in pages(size, **chosen):
                last = page[-1].name
                networks = store.containers.networks(**chosen, after=after, through=last)
                after = last
                yield Listing({c.name: c for c in page}, replace(context, networks=networks))

    @staticmethod
    def _store_filters(filters: Mapping[str, Any]) -> dict[str, Any]:
        """The store's names of the filters: ``--using`` is the network."""
        return {
            "network": filters.get("using"), "profile": filters.get("profile"),
            "image": filters.get("image"),
        }  # fmt: skip

    def _context(
        self, store: Store, filters: Mapping[str, Any], networks: bool = True
    ) -> ContainersContext:
        return ContainersContext(
            profiles={p.name: p for p in store.profiles.list()},
            images={i.fingerprint: i for i in store.images.list()},
            networks=store.containers.networks(**self._store_filters(filters)) if networks else {},
        )

    def get(self, store: Store, name: str, scope: str | None = None) -> ContainerInfo:
        return store.containers.get(name)

    def index(self, store: Store) -> list[tuple[str, str]]:
        # Names only: the palette must not load thousands of containers with their config.
        return [(name, f"container {name}") for name in store.containers.names()]

    def to_json(self, item: ContainerInfo, listing: Containers | None = None) -> dict[str, Any]:
        # ``list --format json`` has this form (and the columns after it) written by the store's
        # SQL (core/store/containers.py ``_json_template``): a key changed here changes there
        # too, or tests/core/test_container_reads.py tells.
        return {
            "name": item.name, "architecture": item.architecture, "type": item.type,
            "power_state": item.power_state, "ephemeral": item.ephemeral,
            "profiles": item.profiles, "config": item.config, "devices": item.devices,
        }  # fmt: skip

    def json_texts(self, store: Store, **filters: Any) -> Iterator[JsonText]:
        """``listed_json`` of each container as its JSON text, written whole by the store's SQL
        (``store.containers.json_pages``), a page at a time from one snapshot: Python neither
        groups rows nor encodes them. tests/core/test_container_reads.py holds the text to
        ``listed_json`` written by ``json.dumps(indent=2)``, escapes included, on every
        backend."""
        for page in store.containers.json_pages(PAGE_SIZE, **self._store_filters(filters)):
            for _name, text in page:
                yield JsonText(ascii_json(text))

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
        from ..store import ContainerInfo

        if not isinstance(c, ContainerInfo):  # a summary (read_columns): what goes with it
            c = store.containers.get(key)
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
