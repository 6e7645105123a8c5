"""Certificates (seed 003, LXD's model): trusted PEM certificates, keyed by the sha256 of
their DER bytes."""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, insert, or_, select, update

from .. import validate
from ..errors import ABSENT, AlreadyExists, NotFound, ValidationError
from .lxd_common import T, check_text
from .repo import Repo

MIN_PREFIX = 8  # hexadecimal digits of a fingerprint prefix, at least
CERTIFICATE_TYPES = {0: "client", 1: "server", 2: "metrics"}


@dataclass
class CertificateInfo:
    fingerprint: str
    name: str
    type: str
    certificate: str


def parse_certificate(pem: str) -> tuple[str, str | None]:
    """The sha256 fingerprint of the certificate's DER bytes and its subject CN (if any)."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    if not isinstance(pem, str) or "-----BEGIN CERTIFICATE-----" not in pem:
        raise ValidationError(
            "certificate", _short(pem), "is not a PEM certificate (BEGIN CERTIFICATE)"
        )
    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
    except ValueError as exc:
        raise ValidationError("certificate", _short(pem), f"cannot be parsed: {exc}") from None
    fingerprint = hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()
    names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    cn = str(names[0].value) if names else None
    return fingerprint, cn


def certificate_expiry(pem: str) -> datetime | None:
    """When the certificate stops being valid (its notAfter, UTC); None if it cannot be read
    (a row written by another tool): a listing shows it blank rather than fail.

    Read by walking the DER (RFC 5280: Certificate > TBSCertificate > Validity > notAfter)
    rather than with cryptography's x509: loading OpenSSL's bindings into the console only to
    show a date cost it 8 MiB of memory (its target is 100 MiB)."""
    try:
        body = "".join(
            line for line in pem.strip().splitlines() if line and not line.startswith("-----")
        )
        der = base64.b64decode(body, validate=True)
        _, start, _ = _tlv(der, 0, 0x30)  # Certificate
        _, start, _ = _tlv(der, start, 0x30)  # TBSCertificate
        if der[start] == 0xA0:  # [0] version, present from v2 on
            start = _tlv(der, start, 0xA0)[2]
        for tag in (0x02, 0x30, 0x30):  # serialNumber, signature, issuer
            start = _tlv(der, start, tag)[2]
        _, start, _ = _tlv(der, start, 0x30)  # Validity
        start = _tlv(der, start, der[start])[2]  # notBefore
        tag, value, end = _tlv(der, start, der[start])  # notAfter
        text = der[value:end].decode("ascii")
        if tag == 0x17:  # UTCTime, YYMMDDHHMMSSZ: 50-99 are 19YY (RFC 5280 4.1.2.5.1)
            when = datetime.strptime(text, "%y%m%d%H%M%SZ")
            if when.year >= 2050:
                when = when.replace(year=when.year - 100)
        elif tag == 0x18:  # GeneralizedTime, YYYYMMDDHHMMSSZ
            when = datetime.strptime(text, "%Y%m%d%H%M%SZ")
        else:
            return None
        return when.replace(tzinfo=UTC)
    except (ValueError, IndexError, TypeError, binascii.Error):
        return None


def _tlv(der: bytes, at: int, tag: int) -> tuple[int, int, int]:
    """The DER element at ``at``, which must have ``tag``: (tag, start of its value, end)."""
    if der[at] != tag:
        raise ValueError(f"DER tag {der[at]:#x} at {at}, expected {tag:#x}")
    length, start = der[at + 1], at + 2
    if length & 0x80:  # long form: the next (length & 0x7f) bytes hold it
        count = length & 0x7F
        length, start = int.from_bytes(der[start : start + count], "big"), start + count
    if start + length > len(der):
        raise ValueError("DER element longer than the certificate")
    return tag, start, start + length


def _short(value: object) -> object:
    return value[:40] + "..." if isinstance(value, str) and len(value) > 40 else value


class CertificateRepo(Repo):
    kind = "certificate"

    def list(self) -> list[CertificateInfo]:
        c = T["certificates"]
        with self._store.reading() as conn:
            rows = conn.execute(
                select(c).where(c.c.node_id == self._node_id).order_by(c.c.name, c.c.fingerprint)
            )
            return [self._info(r) for r in rows]

    def get(self, ref: str) -> CertificateInfo:
        """By fingerprint, unique fingerprint prefix (of MIN_PREFIX digits at least: `delete
        certificate 98` must not remove whichever one happens to start so) or name."""
        c = T["certificates"]
        condition = c.c.name == ref
        hexadecimal = ref and all(ch in "0123456789abcdef" for ch in ref.lower())
        if hexadecimal and len(ref) >= MIN_PREFIX:  # a fingerprint prefix
            condition = or_(condition, c.c.fingerprint.startswith(ref.lower(), autoescape=True))
        with self._store.reading() as conn:
            query = select(c).where(c.c.node_id == self._node_id, condition).limit(2)
            rows = list(conn.execute(query)) if ref else []
        if len(rows) > 1:
            raise ValidationError(
                "certificate", ref, "matches several certificates: give the fingerprint"
            )
        if not rows and hexadecimal and len(ref) < MIN_PREFIX:
            raise NotFound(
                self.kind, ref, f"a fingerprint prefix needs {MIN_PREFIX} digits at least"
            )
        if not rows:
            raise NotFound(self.kind, ref)
        return self._info(rows[0])

    def add(self, pem: str, *, name: str | None = None, type: str = "client") -> CertificateInfo:
        fingerprint, cn = parse_certificate(pem)
        name = name if name is not None else cn
        if not name:
            raise ValidationError("name", name, "is required: the certificate has no subject CN")
        check_text(name, "name")
        ctype = validate.choice(type, CERTIFICATE_TYPES, "type")
        c = T["certificates"]
        node = self._node_id
        with self._store.transaction() as conn:
            taken = select(c.c.id).where(c.c.node_id == node, c.c.fingerprint == fingerprint)
            if conn.scalar(taken) is not None:
                raise AlreadyExists(self.kind, fingerprint)
            conn.execute(
                insert(c).values(
                    fingerprint=fingerprint,
                    name=name,
                    type=ctype,
                    certificate=pem.strip() + "\n",
                    node_id=node,
                )
            )
        return self.get(fingerprint)

    def save(self, info: CertificateInfo) -> str:
        """Add the certificate or update its name and type; "created", "updated" or "unchanged"."""
        fingerprint, _ = parse_certificate(info.certificate)
        if info.fingerprint and info.fingerprint.lower() != fingerprint:
            raise ValidationError(
                "fingerprint",
                info.fingerprint,
                f"does not match the certificate (sha256 is {fingerprint})",
            )
        c = T["certificates"]
        with self._store.transaction() as conn:
            row = conn.execute(
                select(c).where(c.c.node_id == self._node_id, c.c.fingerprint == fingerprint)
            ).first()
            if row is None:
                self.add(info.certificate, name=info.name or None, type=info.type)
                return "created"
            ctype = validate.choice(info.type, CERTIFICATE_TYPES, "type")
            name = info.name or row.name
            if (row.name, row.type) == (name, ctype):
                return "unchanged"
            conn.execute(update(c).where(c.c.id == row.id).values(name=name, type=ctype))
            return "updated"

    def delete(self, ref: str) -> None:
        c = T["certificates"]
        with self._store.transaction() as conn:
            fingerprint = self.get(ref).fingerprint
            conn.execute(
                delete(c).where(c.c.node_id == self._node_id, c.c.fingerprint == fingerprint)
            )

    @staticmethod
    def validated(info: CertificateInfo) -> CertificateInfo:
        """A CertificateInfo with every field checked, as ContainerRepo.validated does: its
        fingerprint is the certificate's (a given one must match), its name the given one or
        else the certificate's subject CN."""
        try:
            fingerprint, cn = parse_certificate(info.certificate)
        except ValidationError as exc:
            broken: ValidationError | None = exc
            fingerprint, cn = "", None
        else:
            broken = None

        def certificate() -> str:
            if broken is not None:
                raise broken
            return info.certificate

        def matching_fingerprint() -> str:
            given = info.fingerprint
            if given and broken is None and str(given).lower() != fingerprint:
                raise ValidationError(
                    "fingerprint",
                    given,
                    f"does not match the certificate (its sha256 is {fingerprint})",
                )
            return fingerprint

        def name() -> str:
            name = info.name or cn or ""
            if name:
                check_text(name, "name")
            elif broken is None:
                raise ValidationError("name", ABSENT, "required: the certificate has no subject CN")
            return name

        return CertificateInfo(
            **validate.each_field({
                "certificate": certificate,
                "fingerprint": matching_fingerprint,
                "name": name,
                "type": lambda: CERTIFICATE_TYPES[
                    validate.choice(info.type, CERTIFICATE_TYPES, "type")
                ],
            })
        )  # fmt: skip

    @staticmethod
    def _info(row) -> CertificateInfo:
        return CertificateInfo(
            fingerprint=row.fingerprint,
            name=row.name,
            type=CERTIFICATE_TYPES.get(row.type, str(row.type)),
            certificate=row.certificate,
        )
