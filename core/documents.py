"""TOML documents of resources: export one, validate a whole file, apply it in one transaction.

A document holds one resource (a top-level ``kind``) or several (``[[profiles]]``,
``[[containers]]``, ``[[images]]``, ``[[certificates]]``, ``[[services]]``, ``[[users]]`` arrays
and a ``[config]`` table). Applying creates or replaces each resource whole (config, devices,
profile list); it validates everything first and writes everything in one transaction, or
nothing.

A service's runtime fields (state, status, start_at, main_pid: systemd and traffic accounting keep
them up to date) are exported like the others; left out of a document, they keep the values the
store has, so that a hand-written ``[[services]]`` entry does not reset them.

A user (kind ``user``, array ``[[users]]``) is a claim set bound to a service: ``claims`` (a list
of strings, any order), ``service_id``, and optionally ``storage_folder`` and ``state_checksum``
(hexadecimal digits). It is named by its claim set and its service (``["admin","ops"] on svc1``;
``nodekeeper export user '["admin","ops"]' --service svc1``). Applying creates the binding or
replaces its storage folder and state checksum: a key left out is unset. Its service must exist
in the store or in the same document.
"""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import tomli_w

from . import settings
from .errors import DocumentError, FieldErrors, NodekeeperError, NotFound, ValidationError
from .store import (
    CertificateInfo,
    ContainerInfo,
    ImageInfo,
    ProfileInfo,
    ServiceInfo,
    Store,
    UserEntry,
)
from .store import services as service_rules
from .store.containers import ContainerRepo, ImageRepo, ProfileRepo, parse_certificate

KINDS = ("container", "profile", "image", "certificate", "service", "user", "config")
# The kinds in the order they are applied: what others refer to first. Services refer to nothing
# of the container domain; they go after it and after the server config (which holds
# users.current); users (claim set bindings) refer to services, so they go last.
APPLY_ORDER = ("config", "certificate", "profile", "image", "container", "service", "user")
PLURAL = {
    "container": "containers",
    "profile": "profiles",
    "image": "images",
    "certificate": "certificates",
    "service": "services",
    "user": "users",
}
USER_KEYS = ("claims", "service_id", "storage_folder", "state_checksum")


@dataclass
class ServerConfigDoc:
    config: dict[str, str]
    name: str = "server"


@dataclass
class ServiceDoc:
    """A service read from a document. ``keep`` names the runtime fields the document left out:
    applying keeps the values the store has for them."""

    service: ServiceInfo
    keep: frozenset[str] = frozenset()

    @property
    def name(self) -> str:
        return self.service.id


Resource = (
    ContainerInfo
    | ProfileInfo
    | ImageInfo
    | CertificateInfo
    | ServiceInfo
    | ServiceDoc
    | UserEntry
    | ServerConfigDoc
)


def kind_of(resource: Resource) -> str:
    return {
        ContainerInfo: "container",
        ProfileInfo: "profile",
        ImageInfo: "image",
        CertificateInfo: "certificate",
        ServiceInfo: "service",
        ServiceDoc: "service",
        UserEntry: "user",
        ServerConfigDoc: "config",
    }[type(resource)]


def name_of(resource: Resource) -> str:
    if isinstance(resource, UserEntry):
        return user_name(resource.claims, resource.service_id)
    return (
        resource.fingerprint if isinstance(resource, ImageInfo | CertificateInfo) else resource.name
    )


def user_name(claims: list[str], service_id: str) -> str:
    """How a binding is named in messages: ``["admin","ops"] on svc1``."""
    return f"{service_rules.canonical_claims(claims, 'claims')} on {service_id}"


# ---------------------------------------------------------------------------------------------
# export


def to_table(resource: Resource) -> dict[str, Any]:
    """The TOML table of a resource, keys in a stable order, empty dates left out."""
    if isinstance(resource, ServiceDoc):
        resource = resource.service
    table: dict[str, Any] = {"kind": kind_of(resource)}
    if isinstance(resource, ServerConfigDoc):
        table["config"] = dict(resource.config)
        return table
    if isinstance(resource, UserEntry):
        table |= {"claims": list(resource.claims), "service_id": resource.service_id}
        if resource.storage_folder is not None:
            table["storage_folder"] = resource.storage_folder
        if resource.state_checksum is not None:
            table["state_checksum"] = resource.state_checksum.hex()
        return table
    for f in fields(resource):
        value = getattr(resource, f.name)
        if value is None:
            continue  # TOML has no null: an absent key is an unset one
        table[f.name] = value
    # Tables last, so the scalar keys stay at the top of the document.
    return {k: v for k, v in table.items() if not isinstance(v, dict)} | {
        k: v for k, v in table.items() if isinstance(v, dict)
    }


HEADER = """\
# nodekeeper {kind} {name!r}
# Apply with: nodekeeper apply FILE
# Applying replaces the {kind} whole: {removed} removed here are removed from the store.
"""
USER_HEADER = """\
# nodekeeper claim set {claims} bound to service {service!r}
# Apply with: nodekeeper apply FILE
# Applying replaces the binding's storage_folder and state_checksum: a key left out is unset.
"""
SERVICE_NOTE = """\
# state, status, start_at and main_pid are kept up to date by systemd: left out, they keep
# their values.
"""


def dump(resource: Resource, *, header: bool = True) -> str:
    """A resource as a TOML document, with a commented header."""
    table = to_table(resource)
    # Multi-line strings read best (a PEM certificate), but TOML turns a CR LF inside one into
    # LF: any carriage return and the whole document uses escaped one-line strings.
    body = tomli_w.dumps(table, multiline_strings="\\r" not in repr(table))  # repr shows CR as \\r
    if not header:
        return body
    kind = kind_of(resource)
    if isinstance(resource, UserEntry):
        return USER_HEADER.format(claims=resource.key, service=resource.service_id) + "\n" + body
    removed = "keys" if kind == "service" else "keys and devices"
    head = HEADER.format(kind=kind, name=name_of(resource), removed=removed)
    if kind == "service":
        head += SERVICE_NOTE
    return head + "\n" + body


def export(store: Store, kind: str, name: str | None = None, service: str | None = None) -> str:
    """``nodekeeper export KIND NAME``: one resource of the store as a TOML document. A user is
    named by its claim set as a JSON list (``'["admin","ops"]'``) and ``service``, its
    service's id."""
    return dump(fetch(store, kind, name, service))


def fetch(store: Store, kind: str, name: str | None, service: str | None = None) -> Resource:
    if kind == "config":
        return ServerConfigDoc(store.config.all())
    if kind not in KINDS:
        raise DocumentError([f"kind {kind!r} is not one of: {', '.join(KINDS)}"], "export")
    if kind == "user":
        return fetch_user(store, name, service)
    if not name:
        raise DocumentError([f"a {kind} name is required"], "export")
    getter: Callable[[str], Resource] = {
        "container": store.containers.get,
        "profile": store.profiles.get,
        "image": store.images.get,
        "certificate": store.certificates.get,
        "service": store.services.get,
    }[kind]
    return getter(name)


def fetch_user(store: Store, claims: str | None, service: str | None) -> UserEntry:
    """The binding of ``claims`` (a JSON list of strings, in any order) on service ``service``."""
    if not claims:
        raise DocumentError(
            ['a user is named by its claim set, a JSON list such as \'["admin","ops"]\', '
             "and its service"], "export",
        )  # fmt: skip
    if not service:
        raise DocumentError(
            [f"user {claims}: the service is required (a user is a claim set on a service)"],
            "export",
        )
    return store.users.get(service_rules.parse_claims(claims, "claims"), service)


# ---------------------------------------------------------------------------------------------
# parse and validate


# What a document may be: larger or deeper is refused before anything is read from it. No
# resource comes near: a container's whole document is a few KiB, a PEM certificate 2 KiB.
MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
MAX_VALUE_CHARS = 1024 * 1024  # each string, key or value
MAX_DEPTH = 32  # tables and arrays nested in one another


def read(file: str) -> tuple[str, str]:
    """The text of the document ``file`` (``-``: standard input) and its name for messages.
    At most MAX_DOCUMENT_BYTES are read: a larger document, or one that is not UTF-8, is a
    DocumentError; one that cannot be read a NodekeeperError naming it."""
    source = "<stdin>" if file == "-" else file
    try:
        if file == "-":
            data = sys.stdin.buffer.read(MAX_DOCUMENT_BYTES + 1)
        else:
            with open(file, "rb") as handle:
                data = handle.read(MAX_DOCUMENT_BYTES + 1)
    except OSError as exc:
        raise NodekeeperError(f"cannot read {source}: {exc.strerror or exc}") from None
    if len(data) > MAX_DOCUMENT_BYTES:
        raise DocumentError([_too_large()], source)
    try:
        return data.decode("utf-8"), source
    except UnicodeDecodeError as exc:
        raise DocumentError([f"not UTF-8 text (byte {exc.start})"], source) from None


def _too_large() -> str:
    return f"larger than the limit of {MAX_DOCUMENT_BYTES // 2**20} MiB"


def _too_long(what: str, text: str) -> str:
    return (
        f"a {what} of {len(text)} characters is longer than the limit of "
        f"{MAX_VALUE_CHARS // 2**20} MiB"
    )


def _place(path: tuple[str | int, ...]) -> str:
    """``("containers", 2, "config", "user.x")`` -> ``containers[2].config.user.x``."""
    return "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" if i else part
        for i, part in enumerate(path)
    )


def load(text: str, source: str = "document") -> dict[str, Any]:
    """The TOML data of a document within the limits above; a DocumentError otherwise."""
    if len(text) > MAX_DOCUMENT_BYTES or len(text.encode("utf-8")) > MAX_DOCUMENT_BYTES:
        raise DocumentError([_too_large()], source)
    too_deep = f"nested more than {MAX_DEPTH} levels deep"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DocumentError([f"not valid TOML: {exc}"], source) from None
    except RecursionError:  # tomllib recurses once per level: far deeper than MAX_DEPTH
        raise DocumentError([too_deep], source) from None
    problems = []
    # Walked without recursion, so any depth is read; a place is kept as the path of its keys
    # and spelled out only for a problem (a long key is not copied into every place below it).
    stack: list[tuple[tuple[str | int, ...], object]] = [((), data)]
    while stack:
        path, value = stack.pop()
        if len(path) > MAX_DEPTH:
            raise DocumentError([f"{_place(path)}: {too_deep}"], source)
        if isinstance(value, str) and len(value) > MAX_VALUE_CHARS:
            problems.append(f"{_place(path)}: {_too_long('string', value)}")
        elif isinstance(value, dict):
            for key, item in value.items():
                if len(key) > MAX_VALUE_CHARS:
                    problems.append(f"{_place(path) or 'document'}: {_too_long('key', key)}")
                else:
                    stack.append(((*path, key), item))
        elif isinstance(value, list):
            stack.extend(((*path, i), item) for i, item in enumerate(value))
    if problems:
        raise DocumentError(sorted(problems), source)
    return data


def parse(text: str, source: str = "document") -> list[Resource]:
    """Every resource of a TOML document, each validated; a DocumentError lists all problems."""
    placed, problems = _parse(load(text, source))
    if problems:
        raise DocumentError(problems, source)
    return [resource for _, resource in placed]


def check(store: Store, data: Mapping[str, Any], source: str = "document") -> list[Resource]:
    """The resources of a loaded document (``load``), with the references to other resources
    checked against the store: a DocumentError lists every problem, each with its place."""
    placed, problems = _parse(data)
    problems += _reference_problems(store, placed)
    if problems:
        raise DocumentError(problems, source)
    return [resource for _, resource in placed]


def _parse(data: Mapping[str, Any]) -> tuple[list[tuple[str, Resource]], list[str]]:
    """The resources that are valid, each with its place (``containers[2]``), and the problems
    of the others and of the whole (unknown sections, duplicates)."""
    problems: list[str] = []
    tables: list[tuple[str, str, Mapping[str, Any]]] = []  # (kind, where, table)
    if "kind" in data:
        kind = data["kind"]
        if kind not in KINDS:
            problems.append(f"kind: {kind!r} is not one of: {', '.join(KINDS)}")
        else:
            tables.append((kind, kind, data))
    else:
        for key, value in data.items():
            if key == "config":
                tables.append(("config", "config", {"config": value}))
                continue
            kind = next((k for k, plural in PLURAL.items() if plural == key), None)
            if kind is None:
                problems.append(
                    f"{key}: unknown section (expected 'kind', [config], or arrays "
                    f"{', '.join(f'[[{p}]]' for p in PLURAL.values())})"
                )
                continue
            if not isinstance(value, list):
                problems.append(f"{key}: must be an array of tables ([[{key}]])")
                continue
            for index, table in enumerate(value):
                tables.append((kind, f"{key}[{index}]", table))
        if not tables and not problems:
            problems.append("the document holds no resource")
    placed: list[tuple[str, Resource]] = []
    for kind, where, table in tables:
        if kind == "config":
            config, config_problems = _config_from_table(where, table)
            problems += config_problems
            if not config_problems:
                placed.append((where, config))
            continue
        try:
            placed.append((where, _from_table(kind, where, table)))
        except FieldErrors as exc:
            problems += [_at(where, error) for error in exc.errors]
        except ValidationError as exc:
            problems.append(_at(where, exc))
        except NodekeeperError as exc:
            problems.append(f"{where}: {exc}")
    _check_duplicates([resource for _, resource in placed], problems)
    return placed, problems


def _at(where: str, exc: ValidationError) -> str:
    """A field's problem at its place: ``containers[2].architecture: 'sparc' is not one of``,
    when the field is a key of the table; else ``containers[2]: container c2 profile: ...``."""
    if " " not in where and isinstance(exc.field, str) and exc.field and " " not in exc.field:
        return f"{where}.{exc}"
    return f"{where}: {exc}"


def _config_from_table(where: str, table: Mapping[str, Any]) -> tuple[ServerConfigDoc, list[str]]:
    """The server config of a document, every key checked by core.settings' rules."""
    body = {k: v for k, v in table.items() if k != "kind"}
    problems = [
        _at(where, ValidationError(key, body[key], "is not known in a config document"))
        for key in sorted(set(body) - {"config", "name"})
    ]
    config = body.get("config", {})
    if not isinstance(config, Mapping):
        problems.append(_at(where, ValidationError("config", config, "must be a table")))
        return ServerConfigDoc({}), problems
    clean = {}
    for key, value in config.items():
        try:
            clean[key] = settings.checked_config(key, value)
        except ValidationError as exc:
            problems.append(_at(where, exc))
    return ServerConfigDoc(clean), problems


def _from_table(kind: str, where: str, table: Mapping[str, Any]) -> Resource:
    if not isinstance(table, Mapping):
        raise ValidationError(where, table, "must be a table")
    body = {k: v for k, v in table.items() if k != "kind"}
    if kind == "user":
        return _user_from_table(body)
    cls = {
        "container": ContainerInfo,
        "profile": ProfileInfo,
        "image": ImageInfo,
        "certificate": CertificateInfo,
        "service": ServiceInfo,
    }[kind]
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(body) - known)
    if unknown:
        raise ValidationError(
            "key", unknown[0], f"is not known in a {kind} (known: {', '.join(sorted(known))})"
        )
    required = {"container": ["name"], "profile": ["name"], "image": ["fingerprint", "filename", "size"],
                "certificate": ["certificate"], "service": ["id"]}[kind]  # fmt: skip
    for key in required:
        if key not in body:
            raise ValidationError(key, None, f"is required in a {kind}")
    if kind == "service":
        if "start_at" in body and not isinstance(body["start_at"], datetime):
            raise ValidationError(
                "start_at", body["start_at"], "must be a TOML date-time with an offset"
            )
        return ServiceDoc(
            service_rules.validated(ServiceInfo(**body)),
            keep=service_rules.RUNTIME_FIELDS - set(body),
        )
    if kind == "container":
        body.setdefault("architecture", "x86_64")
        return ContainerRepo.validated(**_container_args(body))
    if kind == "profile":
        return ProfileRepo.validated(
            body["name"],
            body.get("description", ""),
            body.get("config"),
            body.get("devices"),
        )
    if kind == "image":
        body.setdefault("architecture", "x86_64")
        for key in ("creation_date", "expiry_date", "upload_date", "last_use_date"):
            if key in body and not isinstance(body[key], datetime):
                raise ValidationError(key, body[key], "must be a TOML date-time with an offset")
        return ImageRepo.validated(ImageInfo(**body))
    fingerprint, cn = parse_certificate(body["certificate"])
    if body.get("fingerprint") and str(body["fingerprint"]).lower() != fingerprint:
        raise ValidationError(
            "fingerprint",
            body["fingerprint"],
            f"does not match the certificate (its sha256 is {fingerprint})",
        )
    name = body.get("name") or cn
    if not name:
        raise ValidationError("name", name, "is required: the certificate has no subject CN")
    from . import validate
    from .store.containers import CERTIFICATE_TYPES

    ctype = CERTIFICATE_TYPES[
        validate.choice(body.get("type", "client"), CERTIFICATE_TYPES, "type")
    ]
    return CertificateInfo(
        fingerprint=fingerprint, name=name, type=ctype, certificate=body["certificate"]
    )


def _user_from_table(body: Mapping[str, Any]) -> UserEntry:
    unknown = sorted(set(body) - set(USER_KEYS))
    if unknown:
        raise ValidationError(
            "key", unknown[0], f"is not known in a user (known: {', '.join(USER_KEYS)})"
        )
    for key in ("claims", "service_id"):
        if key not in body:
            raise ValidationError(key, None, "is required in a user")
    return service_rules.validated_entry(
        UserEntry(
            claims=body["claims"],
            service_id=body["service_id"],
            storage_folder=body.get("storage_folder"),
            state_checksum=service_rules.checksum_from_hex(body.get("state_checksum")),
        )
    )


def parse_user(
    text: str, claims: list[str], service_id: str, source: str = "document"
) -> UserEntry:
    """The binding of a document that edits one binding (the TUI's editor): validated as
    ``parse`` does, and its claims and service must stay ``claims`` and ``service_id``."""
    resources = parse(text, source)
    key = service_rules.canonical_claims(claims, "claims")
    if len(resources) != 1 or not isinstance(resources[0], UserEntry):
        raise DocumentError(
            [f'this document edits the user {user_name(claims, service_id)} only: keep kind = '
             '"user" and one binding'], source,
        )  # fmt: skip
    entry = resources[0]
    problems = []
    if entry.key != key:
        problems.append(f"claims: must stay {key}")
    if entry.service_id != service_id:
        problems.append(f"service_id: must stay {service_id!r}")
    if problems:
        raise DocumentError(problems, source)
    return entry


def _container_args(body: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": body["name"],
        "arch": body["architecture"],
        "ctype": body.get("type", "container"),
        "power_state": body.get("power_state", "stopped"),
        "ephemeral": body.get("ephemeral", False),
        "profiles": body.get("profiles", []),
        "config": body.get("config"),
        "devices": body.get("devices"),
    }


def _check_duplicates(resources: list[Resource], problems: list[str]) -> None:
    seen: set[tuple[str, str]] = set()
    for resource in resources:
        key = (kind_of(resource), name_of(resource))
        if key in seen:
            problems.append(f"{key[0]} {key[1]!r} appears more than once")
        seen.add(key)


# ---------------------------------------------------------------------------------------------
# apply


@dataclass(frozen=True)
class Applied:
    kind: str
    name: str
    outcome: str  # created, updated, unchanged


def apply(store: Store, resources: list[Resource], source: str = "document") -> list[Applied]:
    """Create or replace every resource in one transaction: all of them, or none."""
    results: list[Applied] = []
    ordered = sorted(resources, key=lambda r: APPLY_ORDER.index(kind_of(r)))
    with store.transaction():
        problems = _reference_problems(store, [(_named(r), r) for r in ordered])
        if problems:
            raise DocumentError(problems, source)
        for resource in ordered:
            try:
                outcome = _save(store, resource)
            except NodekeeperError as exc:  # found only when writing (an alias taken...)
                raise DocumentError(
                    [f"{kind_of(resource)} {name_of(resource)!r}: {exc}"], source
                ) from exc
            results.append(Applied(kind_of(resource), name_of(resource), outcome))
    return results


def apply_text(store: Store, text: str, source: str = "document") -> list[Applied]:
    return apply_data(store, load(text, source), source)


def apply_data(store: Store, data: Mapping[str, Any], source: str = "document") -> list[Applied]:
    """Check a loaded document whole (``check``), then apply it: all of it, or nothing."""
    with store.transaction():
        return apply(store, check(store, data, source), source)


def _named(resource: Resource) -> str:
    """The place of a resource given without a document: ``container 'web1'``."""
    if isinstance(resource, UserEntry):
        return f"user {name_of(resource)}"
    return f"{kind_of(resource)} {name_of(resource)!r}"


def _save(store: Store, resource: Resource) -> str:
    if isinstance(resource, ContainerInfo):
        return store.containers.save(resource)
    if isinstance(resource, ProfileInfo):
        return store.profiles.save(resource)
    if isinstance(resource, ImageInfo):
        return store.images.save(resource)
    if isinstance(resource, CertificateInfo):
        return store.certificates.save(resource)
    if isinstance(resource, ServiceDoc):
        return store.services.save(resource.service, keep=resource.keep)
    if isinstance(resource, ServiceInfo):
        return store.services.save(resource)
    if isinstance(resource, UserEntry):
        return store.users.save(resource)
    return store.config.replace(resource.config)


def _reference_problems(store: Store, placed: list[tuple[str, Resource]]) -> list[str]:
    """Profiles named by containers, and services named by users, must exist in the store or in
    the document: a problem for each one that does not, at the place of the resource naming it."""
    resources = [resource for _, resource in placed]
    in_document = {r.name for r in resources if isinstance(r, ProfileInfo)}
    known = set(store.profiles.names()) | in_document
    problems = [
        f"{where}: profile {p!r} does not exist"
        for where, r in placed
        if isinstance(r, ContainerInfo)
        for p in r.profiles
        if p not in known
    ]
    users = [(where, r) for where, r in placed if isinstance(r, UserEntry)]
    if users:
        services = {r.name for r in resources if isinstance(r, ServiceDoc | ServiceInfo)}
        services |= set(store.services.ids())
        problems += [
            _at(where, ValidationError(
                "service_id", r.service_id, "is not a service of the store or of this document"
            ))
            for where, r in users
            if r.service_id not in services
        ]  # fmt: skip
    return problems


__all__ = [
    "Applied",
    "NotFound",
    "ServerConfigDoc",
    "ServiceDoc",
    "apply",
    "apply_data",
    "apply_text",
    "check",
    "dump",
    "export",
    "fetch",
    "fetch_user",
    "load",
    "parse",
    "parse_user",
    "read",
    "user_name",
]
