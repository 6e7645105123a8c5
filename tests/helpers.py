"""Small builders shared by tests (real objects, no mocks)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def make_certificate(cn: str | None = "admin-laptop") -> tuple[str, bytes]:
    """A self-signed PEM certificate and its DER bytes."""
    key = ec.generate_private_key(ec.SECP256R1())
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)] if cn else [
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "nodekeeper tests")
    ]  # fmt: skip
    name = x509.Name(attrs)
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode(), cert.public_bytes(
        serialization.Encoding.DER
    )


def nic(network: str, key: str = "network", **extra: str) -> dict[str, str]:
    return {"type": "nic", key: network, **extra}


def store_config_unchecked(store, key: str, value: str) -> None:
    """A server config row written without the rules of core.settings, as an older nodekeeper,
    a hand-made SQL statement or another program could have left it."""
    from sqlalchemy import delete, insert

    from core.models.containers import ServerConfig

    table = ServerConfig.__table__
    with store.transaction() as conn:
        node = store.node_id  # the store's node's config (issue 13: one per node)
        conn.execute(delete(table).where(table.c.node_id == node, table.c.key == key))
        conn.execute(insert(table).values(key=key, value=value, node_id=node))
