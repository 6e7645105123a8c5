"""Services: what runs on the node (a systemd unit), its limits, and its traffic this period."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from ..text import human_size
from .base import Column, DeletePlan, Emphasis, Kind, Listing, Value, fields_table

if TYPE_CHECKING:  # the store: imported where used, so that the declarations load without it
    from ..store import ServiceInfo, Store, UserEntry
    from ..store.traffic import ChainInfo

STATE_TONES = {"running": "good", "stopped": "muted", "failed": "bad", "unknown": "warn",
               "starting": "busy", "stopping": "busy"}  # fmt: skip
STATUS_TONES = {"error": "bad", "limit_exceeded": "alert"}


@dataclass(frozen=True)
class ServicesContext:
    users: dict[str, list[UserEntry]]  # service id -> claim sets bound to it
    traffic: dict[str, ChainInfo]  # chain name -> its current period

    def traffic_of(self, service_id: str, direction: str) -> ChainInfo | None:
        from ..store import services as rules

        inbound, outbound = rules.traffic_chains(service_id)
        return self.traffic.get(inbound if direction == "in" else outbound)

    def counted(self, service_id: str, direction: str) -> int | None:
        chain = self.traffic_of(service_id, direction)
        return None if chain is None else chain.value


@dataclass
class ServiceDoc:
    """A service read from a document. ``keep`` names the runtime fields the document left out:
    applying keeps the values the store has for them, so that a hand-written ``[[services]]``
    entry does not reset them."""

    service: ServiceInfo
    keep: frozenset[str] = frozenset()

    @property
    def name(self) -> str:
        return self.service.id


Services = Listing["ServiceInfo"]

SERVICE_NOTE = """\
# state, status, start_at and main_pid are kept up to date by systemd: left out, they keep
# their values.
"""


class ServicesKind(Kind["ServiceInfo"]):
    name = "service"
    plural = "services"
    title = "Services"
    order = 40
    apply_order = 60  # after the server config (users.current); users name services
    names_help = "its id"
    empty_hint = "No services. Press n to add one, or apply a document with [[services]]."
    # The long unit names last, so the numbers stay on screen at 80 columns. A service's state
    # and status ("limit_exceeded", "error") say more than its counts: they stay whole, the
    # numbers going first on a narrower terminal.
    columns = (
        Column("id", "ID", lambda s, _: s.id, priority=1),
        Column("state", "State", lambda s, _: s.state, priority=1, tones=STATE_TONES),
        Column("status", "Status", lambda s, _: s.status, priority=1, tones=STATUS_TONES),
        Column("traffic_in", "In", lambda s, listing: listing.context.counted(s.id, "in"),
               format="size", numeric=True),
        Column("traffic_out", "Out", lambda s, listing: listing.context.counted(s.id, "out"),
               format="size", numeric=True),
        Column("users", "Users", lambda s, listing: len(listing.context.users.get(s.id, [])),
               numeric=True, priority=3),
        Column("ttl", "TTL d", lambda s, _: s.ttl, numeric=True),
        Column("dl_limit", "DL limit", lambda s, _: s.dl_limit, format="size", numeric=True,
               priority=5),
        Column("ul_limit", "UL limit", lambda s, _: s.ul_limit, format="size", numeric=True,
               priority=5),
        Column("version", "Ver", lambda s, _: s.version, numeric=True, priority=4),
        Column("service", "Unit", lambda s, _: s.service, priority=4),
    )  # fmt: skip
    required = ("id",)
    removed_on_apply = "keys"

    @property
    def resource_types(self) -> tuple[type, ...]:
        from ..store import ServiceInfo

        return (ServiceInfo, ServiceDoc)

    @property
    def known_keys(self) -> tuple[str, ...]:  # type: ignore[override]
        return tuple(sorted(f.name for f in fields(self.resource_types[0])))

    def key(self, item: ServiceInfo) -> str:
        return item.id

    def read(self, store: Store, **filters: Any) -> Services:
        with store.reading():
            services = store.services.list()
            users: dict[str, list[UserEntry]] = {s.id: [] for s in services}
            for entry in store.users.entries():
                users.setdefault(entry.service_id, []).append(entry)
            traffic = {c.chain: c for c in store.traffic.chains() if c.chain.startswith("service:")}
        return Listing({s.id: s for s in services}, ServicesContext(users, traffic))

    def get(self, store: Store, name: str, scope: str | None = None) -> ServiceInfo:
        return store.services.get(name)

    def to_json(self, item: ServiceInfo, listing: Services | None = None) -> dict[str, Any]:
        """``name`` (its id) first, then every field, dates in ISO 8601."""
        data: dict[str, Any] = {"name": item.id}
        for f in fields(item):
            value = getattr(item, f.name)
            data[f.name] = value.isoformat() if isinstance(value, datetime) else value
        return data

    def to_table(self, resource: ServiceInfo | ServiceDoc) -> dict[str, Any]:
        if isinstance(resource, ServiceDoc):
            resource = resource.service
        return fields_table(resource)

    def from_table(self, body: Mapping[str, Any]) -> ServiceDoc:
        from ..store import ServiceInfo
        from ..store import services as rules

        return ServiceDoc(
            rules.validated(ServiceInfo(**{"id": None, **body})),
            keep=rules.RUNTIME_FIELDS - set(body),
        )

    def document_name(self, resource: ServiceInfo | ServiceDoc) -> str:
        return resource.name

    def header(self, resource: Any) -> str:
        return super().header(resource) + SERVICE_NOTE

    def save(self, store: Store, resource: ServiceInfo | ServiceDoc) -> str:
        if isinstance(resource, ServiceDoc):
            return store.services.save(resource.service, keep=resource.keep)
        return store.services.save(resource)

    def names_in_store(self, store: Store) -> set[str]:
        return set(store.services.ids())

    def delete(self, store: Store, name: str, scope: str | None = None, force: bool = False):
        store.services.delete(name)

    def delete_plan(self, store: Store, listing: Services, key: str) -> DeletePlan:
        from ..store import services as rules

        s = listing.items[key]
        users = listing.context.users.get(key, [])
        parts: list[str] = ["Delete service ", Emphasis(s.id), "?\n\n"]
        if users:
            parts += [f"What goes with it: {len(users)} claim set bindings:\n"]
            for entry in users:
                parts += ["  ", Value(entry.key), "\n"]
        else:
            parts += ["No claim set is bound to it.\n"]
        # core deletes both chains and their history with the service, counted or not
        chains = []
        for chain in rules.traffic_chains(s.id):
            counted = listing.context.traffic.get(chain)
            chains.append(
                f"{chain} ({human_size(counted.value)} this period)" if counted else chain
            )
        parts += ["Its traffic chains go too, with their history: ", Value(", ".join(chains)), "."]
        return DeletePlan(
            f"Delete service {s.id!r}",
            tuple(parts),
            partial(store.services.delete, s.id),
            f"Deleted service {s.id!r}.",
        )


KIND = ServicesKind()
