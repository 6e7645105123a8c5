"""Users: claim sets bound to services (seed 000's ``users``), each with its storage folder and
state checksum. A user is named by its claim set (a JSON list, any order) and its service."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any

from .. import validate
from ..claims import canonical_claims, parse_claims
from ..errors import NodekeeperError
from .base import Column, DeletePlan, Emphasis, Filter, Kind, Listing, Reference, Scope, Value

if TYPE_CHECKING:  # the store: imported where used, so that the declarations load without it
    from ..store import ServiceInfo, Store, UserEntry

SEP = "\t"  # neither claims nor service ids may hold a tab
USER_KEYS = ("claims", "service_id", "storage_folder", "state_checksum")
USER_HEADER = """\
# nodekeeper claim set {claims} bound to service {service!r}
# Apply with: nodekeeper apply FILE
# Applying replaces the binding's storage_folder and state_checksum: a key left out is unset.
"""


def row_key(entry: UserEntry) -> str:
    return f"{entry.key}{SEP}{entry.service_id}"


def split_key(key: str) -> tuple[list[str], str]:
    claims, _, service_id = key.partition(SEP)
    return parse_claims(claims), service_id


def claims_text(claims: list[str]) -> str:
    """A claim set as every place shows it: as stored, the JSON list the CLI takes."""
    return canonical_claims(claims, "claims")


def user_name(claims: list[str], service_id: str) -> str:
    """How a binding is named in messages: ``["admin","ops"] on svc1``."""
    return f"{canonical_claims(claims, 'claims')} on {service_id}"


class UsersContext:
    def __init__(self, services: dict[str, ServiceInfo], current: str | None) -> None:
        self.services = services
        self.current = current  # the canonical key of users.current

    def state_of(self, service_id: str) -> str:
        service = self.services.get(service_id)
        return service.state if service else ""


Users = Listing["UserEntry"]


class UsersKind(Kind["UserEntry"]):
    name = "user"
    plural = "users"
    title = "Users"
    order = 50
    apply_order = 70  # last: a binding names its service
    names_help = 'its claim set as a JSON list, such as \'["admin","ops"]\', with --service'
    empty_hint = "No claim set is bound to a service. Press n to bind one."
    columns = (
        Column("name", "Claims", lambda e, _: e.key, priority=1),
        Column("service_id", "Service", lambda e, _: e.service_id, priority=1),
        Column("service_state", "Service state",
               lambda e, listing: listing.context.state_of(e.service_id)),
        Column("storage_folder", "Storage folder", lambda e, _: e.storage_folder, priority=3),
        Column("state_checksum", "Checksum", lambda e, _: checksum_hex(e.state_checksum), format="id",
               priority=4),
    )  # fmt: skip
    filters = (Filter("service", "ID", "only the claim sets bound to this service"),)
    scope = Scope("service", "ID", "the service a claim set is bound to",
                  'nodekeeper {command} user \'["admin","ops"]\' --service svc1')  # fmt: skip
    known_keys = USER_KEYS
    required = ("claims", "service_id")
    references = (Reference("service_id", "service", "id"),)

    @property
    def resource_types(self) -> tuple[type, ...]:
        from ..store import UserEntry

        return (UserEntry,)

    def key(self, item: UserEntry) -> str:
        return row_key(item)

    def display(self, item: UserEntry) -> str:
        return f"{claims_text(item.claims)} on {item.service_id}"

    def label(self, item: UserEntry) -> str:
        return _label(item.claims, item.service_id)

    def spoken(self, name: str, scope: str | None = None) -> str:
        return user_name(parse_claims(name, "claims"), scope or "")

    def label_of(self, listing: Listing[UserEntry] | None, key: str) -> str:
        return _label(*split_key(key))  # gone from the listing: named by its key

    def read(self, store: Store, **filters: Any) -> Users:
        with store.reading():
            entries = store.users.entries(filters.get("service"))
            services = store.services.list()
            try:
                current = store.users.current_key()
            except NodekeeperError:  # a malformed users.current must not hide the list
                current = None
        return Listing({row_key(e): e for e in entries},
                       UsersContext({s.id: s for s in services}, current))  # fmt: skip

    def get(self, store: Store, name: str, scope: str | None = None) -> UserEntry:
        return store.users.get(parse_claims(name, "claims"), scope or "")

    def to_json(self, item: UserEntry, listing: Users | None = None) -> dict[str, Any]:
        return {
            "name": item.key, "claims": item.claims, "service_id": item.service_id,
            "storage_folder": item.storage_folder, "state_checksum": checksum_hex(item.state_checksum),
        }  # fmt: skip

    # -- documents

    def to_table(self, resource: UserEntry) -> dict[str, Any]:
        table: dict[str, Any] = {"claims": list(resource.claims), "service_id": resource.service_id}
        if resource.storage_folder is not None:
            table["storage_folder"] = resource.storage_folder
        if resource.state_checksum is not None:
            table["state_checksum"] = checksum_hex(resource.state_checksum)
        return table

    def from_table(self, body: Mapping[str, Any]) -> UserEntry:
        # A document writes the checksum as hexadecimal text: read as a field of its own, so
        # that its problem is listed with those of the other fields.
        from ..store import UserEntry
        from ..store import services as rules

        checked = validate.each_field({
            "entry": lambda: rules.validated_entry(UserEntry(
                claims=body.get("claims"),  # type: ignore[arg-type]
                service_id=body.get("service_id"),  # type: ignore[arg-type]
                storage_folder=body.get("storage_folder"),
            )),
            "state_checksum": lambda: rules.checksum_from_hex(body.get("state_checksum")),
        })  # fmt: skip
        return replace(checked["entry"], state_checksum=checked["state_checksum"])

    def document_name(self, resource: UserEntry) -> str:
        return user_name(resource.claims, resource.service_id)

    def header(self, resource: UserEntry) -> str:
        return USER_HEADER.format(claims=resource.key, service=resource.service_id)

    def save(self, store: Store, resource: UserEntry) -> str:
        return store.users.save(resource)

    # -- deleting: the binding of a claim set to a service; the service stays

    def delete(self, store: Store, name: str, scope: str | None = None, force: bool = False):
        store.users.unbind(parse_claims(name, "claims"), scope or "")

    def delete_plan(self, store: Store, listing: Users, key: str) -> DeletePlan:
        e = listing.items[key]
        return DeletePlan(
            "Unbind claim set",
            ("Unbind the claim set ", Emphasis(claims_text(e.claims)), " from service ",
             Emphasis(e.service_id), "?\n\nWhat goes with it: the binding's storage folder (",
             Value(e.storage_folder or "none"), ") and state checksum. The service stays."),
            partial(store.users.unbind, e.claims, e.service_id),
            f"Unbound {claims_text(e.claims)!r} from {e.service_id!r}.",
        )  # fmt: skip


def _label(claims: list[str], service_id: str) -> str:
    return f"claim set {claims_text(claims)!r} on service {service_id!r}"


def checksum_hex(checksum: bytes | None) -> str | None:
    """A state checksum as hexadecimal text (JSON, documents, the console); None when unset."""
    return None if checksum is None else checksum.hex()


KIND = UsersKind()
