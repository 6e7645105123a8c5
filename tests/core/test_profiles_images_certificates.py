"""Profiles, images, certificates and server config."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from core import AlreadyExists, ImageInfo, InUse, NotFound, ReadOnly, ValidationError, open_store
from tests.helpers import make_certificate, nic

FP = "ab" * 32


def image(fp: str = FP, **kw) -> ImageInfo:
    return ImageInfo(fingerprint=fp, filename="rootfs.tar.xz", size=10, architecture="x86_64", **kw)


# -- profiles


def test_profile_create_get_update(store):
    store.profiles.create("web", description="web tier", config={"limits.cpu": 2},
                          devices={"eth0": nic("br0")})  # fmt: skip
    p = store.profiles.get("web")
    assert (p.description, p.config, p.devices) == (
        "web tier", {"limits.cpu": "2"}, {"eth0": {"type": "nic", "network": "br0"}},
    )  # fmt: skip
    store.profiles.update("web", devices={})
    assert store.profiles.get("web").devices == {}
    assert store.profiles.get("web").config == {"limits.cpu": "2"}
    store.profiles.set_config("web", "limits.cpu", None)
    assert store.profiles.get("web").config == {}


def test_profile_duplicate_and_unknown(store):
    store.profiles.create("web")
    with pytest.raises(AlreadyExists, match="profile 'web'"):
        store.profiles.create("web")
    with pytest.raises(NotFound, match="profile 'nope'"):
        store.profiles.get("nope")
    with pytest.raises(NotFound, match="profile 'nope'"):
        store.profiles.delete("nope")


def test_deleting_a_used_profile_is_refused_naming_the_containers(store):
    store.profiles.create("web")
    store.containers.create("b1", profiles=["web"])
    store.containers.create("a1", profiles=["web"])
    with pytest.raises(InUse) as err:
        store.profiles.delete("web")
    assert err.value.users == ["a1", "b1"]
    assert "a1, b1" in str(err.value)
    assert store.profiles.names() == ["web"]
    store.containers.delete("a1")
    store.containers.delete("b1")
    store.profiles.delete("web")
    assert store.profiles.names() == []


def test_profile_names_follow_hostname_rules(store):
    with pytest.raises(ValidationError, match="must not start or end with '-'"):
        store.profiles.create("web-")


# -- images


def test_add_file_fingerprints_the_file_with_sha256(store, tmp_path):
    data = b"pretend this is a rootfs tarball" * 1000
    path = tmp_path / "ubuntu.tar.xz"
    path.write_bytes(data)
    info = store.images.add_file(path, architecture="aarch64", public=True,
                                 aliases={"ubuntu/24.04": "LTS"}, properties={"os": "ubuntu"})  # fmt: skip
    assert info.fingerprint == hashlib.sha256(data).hexdigest()
    assert (info.filename, info.size, info.architecture, info.public) == (
        "ubuntu.tar.xz", len(data), "aarch64", True,
    )  # fmt: skip
    assert info.aliases == {"ubuntu/24.04": "LTS"}
    assert info.properties == {"os": "ubuntu"}
    assert info.upload_date is not None and info.upload_date.tzinfo is not None


def test_add_file_that_cannot_be_read_names_it(store, tmp_path):
    with pytest.raises(ValidationError, match="missing.tar"):
        store.images.add_file(tmp_path / "missing.tar")


def test_images_resolve_by_alias_fingerprint_and_prefix(store):
    store.images.create(image(aliases={"alpine": ""}))
    store.images.create(image("ac" * 32))
    assert store.images.get("alpine").fingerprint == FP
    assert store.images.get(FP[:8]).fingerprint == FP
    with pytest.raises(ValidationError, match="several"):
        store.images.get("a")
    with pytest.raises(NotFound):
        store.images.get("ffff")


def test_image_duplicates_and_taken_aliases_are_refused(store):
    store.images.create(image(aliases={"alpine": ""}))
    with pytest.raises(AlreadyExists):
        store.images.create(image())
    with pytest.raises(AlreadyExists, match="alias 'alpine'"):
        store.images.create(image("cd" * 32, aliases={"alpine": ""}))
    assert store.images.fingerprints() == [FP]


def test_image_update_and_alias_management(store):
    expiry = datetime(2030, 1, 1, tzinfo=UTC)
    store.images.create(image(properties={"os": "alpine"}))
    store.images.update(FP, public=True, expiry_date=expiry, properties={"release": "3.20"})
    store.images.add_alias("alpine/edge", FP[:10], "rolling")
    info = store.images.get("alpine/edge")
    assert (info.public, info.expiry_date, info.properties) == (True, expiry, {"release": "3.20"})
    assert info.aliases == {"alpine/edge": "rolling"}
    store.images.remove_alias("alpine/edge")
    with pytest.raises(NotFound):
        store.images.remove_alias("alpine/edge")


def test_image_validation(store):
    with pytest.raises(ValidationError, match="fingerprint"):
        store.images.create(image("xyz"))
    with pytest.raises(ValidationError, match="size"):
        store.images.create(ImageInfo(fingerprint=FP, filename="a", size=-1, architecture="x86_64"))
    with pytest.raises(ValidationError, match="creation_date"):
        store.images.create(image(creation_date=datetime(2020, 1, 1)))


def test_deleting_an_image_removes_its_aliases_and_properties(store):
    store.images.create(image(aliases={"alpine": ""}, properties={"os": "alpine"}))
    store.images.delete("alpine")
    assert store.images.list() == []
    store.images.create(image("cd" * 32, aliases={"alpine": ""}))  # the alias is free again


# -- certificates


def test_certificate_fingerprint_is_sha256_of_der_and_name_defaults_to_cn(store):
    pem, der = make_certificate("ops-laptop")
    cert = store.certificates.add(pem)
    assert cert.fingerprint == hashlib.sha256(der).hexdigest()
    assert (cert.name, cert.type) == ("ops-laptop", "client")
    assert store.certificates.get("ops-laptop").fingerprint == cert.fingerprint
    assert store.certificates.get(cert.fingerprint[:10]).name == "ops-laptop"
    with pytest.raises(AlreadyExists):
        store.certificates.add(pem, name="again")
    store.certificates.delete("ops-laptop")
    assert store.certificates.list() == []


def test_certificate_without_cn_needs_a_name(store):
    pem, _ = make_certificate(cn=None)
    with pytest.raises(ValidationError, match="no subject CN"):
        store.certificates.add(pem)
    assert store.certificates.add(pem, name="backup-host").name == "backup-host"


@pytest.mark.parametrize(
    "pem", ["hello", "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----"]
)
def test_invalid_pem_is_refused(store, pem):
    with pytest.raises(ValidationError, match="certificate"):
        store.certificates.add(pem)


# -- server config


def test_server_config_set_get_unset(store):
    store.config.set("core.https_address", "[::]:8443")
    store.config.set("images.auto_update_interval", 6)
    assert store.config.all() == {
        "core.https_address": "[::]:8443",
        "images.auto_update_interval": "6",
    }
    store.config.set("core.https_address", None)
    assert store.config.get("core.https_address") is None
    assert store.config.get("missing.key", "default") == "default"
    with pytest.raises(ValidationError, match="config key"):
        store.config.set("nodots", "1")


# -- read-only


def test_read_only_store_refuses_every_write(tmp_path):
    path = tmp_path / "nk.db"
    open_store(path).close()
    with open_store(path, read_only=True) as store:
        for write in (
            lambda: store.containers.create("c1"),
            lambda: store.profiles.create("p1"),
            lambda: store.images.create(image()),
            lambda: store.config.set("user.b", "1"),
        ):
            with pytest.raises(ReadOnly, match="read-only"):
                write()
        assert store.containers.names() == []


def test_profile_usage_counts_in_one_query(store):
    store.profiles.create("a")
    store.profiles.create("b")
    store.containers.create("c1", profiles=["a", "b"])
    store.containers.create("c2", profiles=["a"])
    assert store.profiles.usage_counts() == {"a": 2, "b": 1}
    store.profiles.create("unused")
    assert store.profiles.usage_counts()["unused"] == 0


def test_a_short_fingerprint_prefix_names_no_certificate(store):
    """`delete certificate 98` must not remove whichever certificate starts with 98."""
    cert = store.certificates.add(make_certificate("ops-laptop")[0])
    with pytest.raises(NotFound, match="needs 8 digits at least"):
        store.certificates.delete(cert.fingerprint[:2])
    assert store.certificates.get(cert.fingerprint[:8]).name == "ops-laptop"
    store.certificates.delete(cert.fingerprint[:8])
    assert store.certificates.list() == []


@pytest.mark.parametrize("years", [1, 30, 40])  # UTCTime before 2050, GeneralizedTime after
def test_certificate_expiry_is_read_from_the_der_as_cryptography_reads_it(years):
    from datetime import timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding

    from core.store.certificates import certificate_expiry

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "long-lived")])
    now = datetime.now(UTC).replace(microsecond=0)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + timedelta(days=365 * years))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    pem = cert.public_bytes(Encoding.PEM).decode()
    assert certificate_expiry(pem) == cert.not_valid_after_utc
    assert certificate_expiry(pem.replace("MII", "MIJ", 1)) is None  # a broken one: no date
    assert certificate_expiry("not a certificate") is None
