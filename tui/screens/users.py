"""Section 6: users, the claim sets bound to services, with storage folder and state checksum.

A row is one binding (a claim set on a service), as `nodekeeper list users` shows them; the
detail pane shows every service of the highlighted claim set.

``E`` edits the binding as the document ``nodekeeper export user CLAIMS --service ID`` writes
(``core.documents``' kind ``user``: claims, service_id, storage_folder, state_checksum); its
claims and service must stay, and it is applied in one transaction, with the same "changed
meanwhile" check as the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from textual.content import Content

from core import (
    AlreadyExists,
    NodekeeperError,
    NotFound,
    ServiceInfo,
    Store,
    UserEntry,
    ValidationError,
)
from core import documents as docs
from core.claims import canonical_claims, parse_claims
from core.store.services import checksum_from_hex

from .. import editor
from ..widgets.detail_pane import Detail
from ..widgets.form import Field, FormModal
from ..widgets.resource_table import Cell, Column
from ..widgets.safe import safe
from .fields import optional_text, split_list
from .resource import DeletePlan, ResourceSection, Rows

SEP = "\t"  # neither claims nor service ids may hold a tab


def row_key(entry: UserEntry) -> str:
    return f"{entry.key}{SEP}{entry.service_id}"


def split_key(key: str) -> tuple[list[str], str]:
    claims, _, service_id = key.partition(SEP)
    return parse_claims(claims), service_id


def claims_text(claims: list[str]) -> str:
    return ", ".join(claims)


def checksum_text(checksum: bytes | None, short: bool = False) -> str:
    if checksum is None:
        return ""
    return checksum.hex()[:12] if short else checksum.hex()


def parse_claims_text(text: str) -> list[str]:
    """A JSON list (``["user1", "subject 2"]``) or claims separated by commas or spaces."""
    stripped = text.strip()
    if stripped.startswith("["):
        return parse_claims(stripped, "users")
    return split_list(stripped)


def parse_checksum(text: str) -> bytes | None:
    return checksum_from_hex(text)


@dataclass(frozen=True)
class UsersData:
    entries: dict[str, UserEntry]  # by row key
    services: dict[str, ServiceInfo]
    current: str | None  # the canonical key of users.current


class UsersSection(ResourceSection[UsersData]):
    KIND = "claim set"
    TITLE = "Users"
    COLUMNS = (
        Column("claims", "Claims", priority=1),
        Column("service", "Service", priority=1),
        Column("state", "Service state"),
        Column("storage", "Storage folder", priority=3),
        Column("checksum", "Checksum", priority=4),
    )
    EMPTY_HINT = "No claim set is bound to a service. Press n to bind one."

    def fetch(self) -> UsersData:
        store = self.store
        with store.reading():
            entries = store.users.entries()
            services = store.services.list()
            try:
                current = store.users.current_key()
            except NodekeeperError:  # a malformed users.current must not hide the table
                current = None
        return UsersData({row_key(e): e for e in entries}, {s.id: s for s in services}, current)

    def label_of(self, key: str) -> str:
        claims, service_id = split_key(key)
        return f"claim set {claims_text(claims)!r} on service {service_id!r}"

    def rows(self, data: UsersData) -> Rows:
        rows: Rows = {}
        for key, e in data.entries.items():
            service = data.services.get(e.service_id)
            rows[key] = (
                Cell(claims_text(e.claims)),
                Cell(e.service_id),
                Cell(service.state if service else ""),
                Cell(e.storage_folder),
                Cell(checksum_text(e.state_checksum, short=True)),
            )
        return rows

    def detail(self, data: UsersData, key: str) -> Detail:
        e = data.entries[key]
        d = Detail(claims_text(e.claims))
        d.field("stored as", e.key, "the current claim set" if e.key == data.current else "")
        d.field("service", e.service_id)
        d.field("storage folder", e.storage_folder)
        d.field("state checksum", checksum_text(e.state_checksum))
        same = [x for x in data.entries.values() if x.key == e.key]
        d.heading("Services of this claim set", len(same))
        for x in same:
            service = data.services.get(x.service_id)
            d.field(x.service_id, service.state if service else "", x.storage_folder or "")
            if x.state_checksum is not None:
                d.field("", checksum_text(x.state_checksum), "checksum")
        return d

    def form(self, data: UsersData, key: str | None) -> FormModal[str]:
        current = data.entries[key] if key is not None else None
        store = self.store
        services = sorted(data.services)
        fields = [
            Field("claims", "Claims", claims_text(current.claims) if current else "",
                  check=parse_claims_text, disabled=current is not None,
                  placeholder='user1, subject2  (or a JSON list ["a b", "c"])',
                  errors=("users", "claim")),
            Field("service", "Service", current.service_id if current else "", kind="select",
                  options=services, disabled=current is not None, errors=("service",)),
            Field("storage_folder", "Storage folder",
                  (current.storage_folder or "") if current else "", check=optional_text),
            Field("state_checksum", "State checksum",
                  checksum_text(current.state_checksum) if current else "",
                  check=parse_checksum, placeholder="hex sha256, or empty"),
        ]  # fmt: skip

        def validate(values: dict[str, Any]) -> None:
            claims_key = canonical_claims(values["claims"])
            service_id = values["service"]
            if not service_id:
                raise ValidationError("service", "", "is required: pick a service")
            if service_id not in data.services:
                raise NotFound("service", service_id)
            if current is None and f"{claims_key}{SEP}{service_id}" in data.entries:
                raise AlreadyExists(f"claim set {claims_key} on service", service_id)

        def submit(values: dict[str, Any]) -> str:
            if current is None:
                entry = store.users.bind(
                    values["claims"], values["service"],
                    storage_folder=values["storage_folder"],
                    state_checksum=values["state_checksum"],
                )  # fmt: skip
                return row_key(entry)
            with store.transaction():
                store.users.set_storage_folder(
                    current.claims, current.service_id, values["storage_folder"]
                )
                store.users.set_state_checksum(
                    current.claims, current.service_id, values["state_checksum"]
                )
            return row_key(current)

        title = (
            f"Edit {claims_text(current.claims)!r} on {current.service_id!r}"
            if current
            else "Bind a claim set to a service"
        )
        return FormModal(title, fields, submit, validate=validate)

    def delete_plan(self, data: UsersData, key: str) -> DeletePlan:
        e = data.entries[key]
        message = Content.assemble(
            "Unbind the claim set ", safe(claims_text(e.claims), "bold"), " from service ",
            safe(e.service_id, "bold"), "?\n\nWhat goes with it: the binding's storage folder (",
            safe(e.storage_folder or "none"), ") and state checksum. The service stays.",
        )  # fmt: skip
        return DeletePlan(
            "Unbind claim set",
            message,
            partial(self.store.users.unbind, e.claims, e.service_id),
            f"Unbound {claims_text(e.claims)!r} from {e.service_id!r}.",
        )

    def document(self, key: str) -> editor.Document:
        claims, service_id = split_key(key)
        return binding_document(self.store, claims, service_id)


# -- the binding as a TOML document (core's kind "user")


def binding_document(store: Store, claims: list[str], service_id: str) -> editor.Document:
    title = f"claim set {claims_text(claims)!r} on service {service_id!r}"

    def export() -> str:
        return docs.dump(store.users.get(claims, service_id))

    def apply(original: str, text: str) -> str:
        wanted = docs.parse_user(text, claims, service_id, title)
        with store.transaction():
            current = docs.dump(store.users.get(claims, service_id))
            if current != original:
                raise editor.ChangedMeanwhile(current)
            return store.users.save(wanted)

    return editor.Document(title, export, apply)
