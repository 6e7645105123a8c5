"""Certificates: the clients, servers and metrics scrapers the node trusts, by fingerprint."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from ..text import short_id
from .base import Column, DeletePlan, Emphasis, Kind, Listing, Value, fields_table

if TYPE_CHECKING:  # the store: imported where used, so that the declarations load without it
    from ..store import CertificateInfo, Store

Certificates = Listing["CertificateInfo"]


def expiry(certificate: CertificateInfo) -> datetime | None:
    """When the certificate's validity ends (read from its PEM); None when it cannot be read."""
    from ..store.certificates import certificate_expiry

    return certificate_expiry(certificate.certificate)


class CertificatesKind(Kind["CertificateInfo"]):
    name = "certificate"
    plural = "certificates"
    title = "Certificates"
    tab = "Certs"  # seven tabs fit 80 columns only so
    order = 60  # the last section: the numbers of the six before it stay as they were
    apply_order = 10
    domain = "containers"
    names_help = "its name, fingerprint or unique fingerprint prefix"
    empty_hint = 'No certificates. Add one with `nodekeeper apply FILE` (kind = "certificate").'
    columns = (
        Column("name", "Name", lambda c, _: c.name, priority=1),
        Column("type", "Type", lambda c, _: c.type,
               tones={"client": "", "server": "good", "metrics": "muted"}),
        Column("expires", "Expires (UTC)", lambda c, _: expiry(c), format="date", priority=3),
        Column("fingerprint", "Fingerprint", lambda c, _: c.fingerprint, format="id"),
    )  # fmt: skip
    required = ("certificate",)
    removed_on_apply = "keys"

    @property
    def resource_types(self) -> tuple[type, ...]:
        from ..store import CertificateInfo

        return (CertificateInfo,)

    def key(self, item: CertificateInfo) -> str:
        return item.fingerprint  # names need not be unique

    def display(self, item: CertificateInfo) -> str:
        return item.name or short_id(item.fingerprint)

    def read(self, store: Store, **filters: Any) -> Certificates:
        return Listing({c.fingerprint: c for c in store.certificates.list()})

    def get(self, store: Store, name: str, scope: str | None = None) -> CertificateInfo:
        return store.certificates.get(name)

    def to_json(self, item: CertificateInfo, listing: Certificates | None = None) -> dict:
        expires = expiry(item)
        return {"name": item.name, "type": item.type, "fingerprint": item.fingerprint,
                "expires": expires.isoformat() if expires else None}  # fmt: skip

    def to_table(self, resource: CertificateInfo) -> dict[str, Any]:
        return fields_table(resource)

    def from_table(self, body: Mapping[str, Any]) -> CertificateInfo:
        from ..store import CertificateInfo
        from ..store.certificates import CertificateRepo

        return CertificateRepo.validated(
            CertificateInfo(
                fingerprint=body.get("fingerprint", ""),
                name=body.get("name", ""),
                type=body.get("type", "client"),
                certificate=body.get("certificate"),  # type: ignore[arg-type]
            )
        )

    def document_name(self, resource: CertificateInfo) -> str:
        return resource.fingerprint

    def save(self, store: Store, resource: CertificateInfo) -> str:
        return store.certificates.save(resource)

    def delete(self, store: Store, name: str, scope: str | None = None, force: bool = False):
        store.certificates.delete(name)

    def delete_plan(self, store: Store, listing: Certificates, key: str) -> DeletePlan:
        c = listing.items[key]
        return DeletePlan(
            f"Delete certificate {c.name!r}",
            ("Delete the ", Value(c.type), " certificate ", Emphasis(c.name or short_id(key)),
             f" ({short_id(key)})?\n\nWhatever presents it is no longer trusted."),
            partial(store.certificates.delete, c.fingerprint),
            f"Deleted certificate {c.name or short_id(key)!r}.",
        )  # fmt: skip


KIND = CertificatesKind()
