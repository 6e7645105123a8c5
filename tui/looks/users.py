"""The users' look: a row is one binding (a claim set on a service), as `nodekeeper list users`
shows them; the detail pane shows every service of the highlighted claim set.

``E`` edits the binding as the document ``nodekeeper export user CLAIMS --service ID`` writes
(``core.documents``' kind ``user``: claims, service_id, storage_folder, state_checksum); its
claims and service must stay, and it is applied in one transaction, with the same "changed
meanwhile" check as the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core import AlreadyExists, NotFound, Store, ValidationError
from core import documents as docs
from core.claims import canonical_claims, parse_claims
from core.kinds import Kind
from core.kinds.users import SEP, checksum_hex, claims_text, row_key, split_key
from core.store.services import checksum_from_hex

from .. import editor
from ..widgets.detail_pane import Detail
from ..widgets.form import Field, FormModal
from .base import Look
from .fields import optional_text, split_list

if TYPE_CHECKING:
    from core.kinds.users import Users


def parse_claims_text(text: str) -> list[str]:
    """A JSON list (``["user1", "subject 2"]``) or claims separated by commas or spaces."""
    stripped = text.strip()
    if stripped.startswith("["):
        return parse_claims(stripped, "users")
    return split_list(stripped)


class UsersLook(Look):
    def detail(self, kind: Kind[Any], data: Users, key: str) -> Detail:
        e = data.items[key]
        d = Detail(claims_text(e.claims))
        current = data.context.current
        d.field("current", "yes" if e.key == current else "no", "the server config's users.current")
        d.field("service", e.service_id)
        d.field("storage folder", e.storage_folder)
        d.field("state checksum", checksum_hex(e.state_checksum))
        same = [x for x in data.items.values() if x.key == e.key]
        d.heading("Services of this claim set", len(same))
        for x in same:
            service = data.context.services.get(x.service_id)
            d.field(x.service_id, service.state if service else "", x.storage_folder or "")
            if x.state_checksum is not None:
                d.field("", checksum_hex(x.state_checksum), "checksum")
        return d

    def form(self, store: Store, data: Users, key: str | None) -> FormModal[str]:
        current = data.items[key] if key is not None else None
        services = sorted(data.context.services)
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
                  (checksum_hex(current.state_checksum) or "") if current else "",
                  check=checksum_from_hex, placeholder="hex sha256, or empty"),
        ]  # fmt: skip

        def validate(values: dict[str, Any]) -> None:
            claims_key = canonical_claims(values["claims"])
            service_id = values["service"]
            if not service_id:
                raise ValidationError("service", "", "is required: pick a service")
            if service_id not in data.context.services:
                raise NotFound("service", service_id)
            if current is None and f"{claims_key}{SEP}{service_id}" in data.items:
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

    def document(self, store: Store, kind: Kind[Any], key: str, label: str) -> editor.Document:
        claims, service_id = split_key(key)
        return binding_document(store, claims, service_id)


LOOK = UsersLook()


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
