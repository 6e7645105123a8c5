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
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import tomli_w

from . import kinds
from .claims import canonical_claims
from .errors import ABSENT, DocumentError, FieldErrors, NodekeeperError, NotFound, ValidationError
from .kinds.base import Kind
from .kinds.server_config import ServerConfigDoc
from .kinds.services import ServiceDoc
from .kinds.users import user_name
from .store import Store, UserEntry

# A document's kinds, and the order they are applied in: what others refer to first.
KINDS = tuple(kind.name for kind in kinds.KINDS)
APPLY_ORDER = tuple(kind.name for kind in sorted(kinds.KINDS, key=lambda k: k.apply_order))
ARRAYS = {kind.plural: kind for kind in kinds.KINDS if not kind.singleton}  # [[containers]]
TABLES = {kind.name: kind for kind in kinds.KINDS if kind.singleton}  # [config]

Resource = Any  # a kind's resource: ContainerInfo, ServiceDoc, UserEntry, ServerConfigDoc, ...


def kind_of(resource: Resource) -> str:
    return kinds.of_resource(resource).name


def name_of(resource: Resource) -> str:
    return kinds.of_resource(resource).document_name(resource)


# ---------------------------------------------------------------------------------------------
# export


def to_table(resource: Resource) -> dict[str, Any]:
    """The TOML table of a resource, ``kind`` first, keys in a stable order, empty dates left
    out."""
    kind = kinds.of_resource(resource)
    return {"kind": kind.name} | kind.to_table(resource)


def dump(resource: Resource, *, header: bool = True) -> str:
    """A resource as a TOML document, with a commented header."""
    table = to_table(resource)
    # Multi-line strings read best (a PEM certificate), but TOML turns a CR LF inside one into
    # LF: any carriage return and the whole document uses escaped one-line strings.
    body = tomli_w.dumps(table, multiline_strings="\\r" not in repr(table))  # repr shows CR as \\r
    if not header:
        return body
    return kinds.of_resource(resource).header(resource) + "\n" + body


def export(store: Store, kind: str, name: str | None = None, service: str | None = None) -> str:
    """``nodekeeper export KIND NAME``: one resource of the store as a TOML document. A user is
    named by its claim set as a JSON list (``'["admin","ops"]'``) and ``service``, its
    service's id."""
    return dump(fetch(store, kind, name, service))


def fetch(store: Store, kind: str, name: str | None, scope: str | None = None) -> Resource:
    """One resource as ``show`` and ``export`` name it: by its name, and its scope for a kind
    that has one (a user's service). A name missing, or given to the server config, is an
    error saying how to name one."""
    if kind not in KINDS:
        raise NodekeeperError(f"kind {kind!r} is not one of: {', '.join(KINDS)}")
    declared = kinds.by_name(kind)
    if declared.singleton:
        if name:
            raise NodekeeperError(f"the {declared.title.lower()} has no name: give none")
        return declared.get(store, None)
    if declared.scope is not None:
        return _fetch_scoped(store, declared, name, scope)
    if not name:
        raise NodekeeperError(f"which {declared.name}? name it by {declared.names_help}")
    return declared.get(store, name)


def _fetch_scoped(store: Store, kind: Kind[Any], name: str | None, scope: str | None):
    """A user: the binding of ``name`` (a claim set, a JSON list of strings in any order) on
    the service ``scope``."""
    if not name:
        raise NodekeeperError(f"which {kind.name}? name it by {kind.names_help}")
    if not scope:
        raise NodekeeperError(
            f"{kind.name} {name}: --{kind.scope.name} is required ({kind.scope.means})"  # type: ignore[union-attr]
        )
    return kind.get(store, name, scope)


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
    entries, problems = _parse(load(text, source))
    if problems:
        raise DocumentError(_in_order(problems), source)
    return [entry.resource for entry in entries if entry.resource is not None]


def check(store: Store, data: Mapping[str, Any], source: str = "document") -> list[Resource]:
    """The resources of a loaded document (``load``), with the references to other resources
    checked against the store: a DocumentError lists every problem, each with its place, in
    the order of the document."""
    entries, problems = _parse(data)
    problems += _reference_problems(store, entries)
    if problems:
        raise DocumentError(_in_order(problems), source)
    return [entry.resource for entry in entries if entry.resource is not None]


@dataclass
class _Entry:
    """One resource table of a document: its position, kind and place (``containers[2]``), the
    table as written, and the resource read from it (None when a field breaks a rule)."""

    position: int
    kind: str
    where: str
    table: object
    resource: Resource | None = None


# A problem and the position of the table it is about, to list problems in document order.
Problem = tuple[int, str]


def _in_order(problems: list[Problem]) -> list[str]:
    return [text for _, text in sorted(problems, key=lambda problem: problem[0])]


def _parse(data: Mapping[str, Any]) -> tuple[list[_Entry], list[Problem]]:
    """Every resource table of a document in order, with the resource read from each valid
    one, and the problems of the others and of the whole (unknown sections, duplicates)."""
    problems: list[Problem] = []
    entries: list[_Entry] = []
    if "kind" in data:
        kind = data["kind"]
        if kind not in KINDS:
            problems.append((0, f"kind: {kind!r} is not one of: {', '.join(KINDS)}"))
        else:
            # A singleton's problems are at "config.KEY", the path of its [config] table.
            entries.append(_Entry(0, kind, "" if kind in TABLES else kind, data))
    else:
        for key, value in data.items():
            position = len(entries) + len(problems)
            if key in TABLES:
                entries.append(_Entry(position, key, "", {key: value}))
                continue
            kind = ARRAYS.get(key)
            if kind is None:
                sections = [f"[{name}]" for name in TABLES] + [f"[[{p}]]" for p in ARRAYS]
                problems.append(
                    (
                        position,
                        f"{key}: unknown section (expected 'kind', {sections[0]}, or arrays "
                        f"{', '.join(sections[1:])})",
                    )
                )
                continue
            if not isinstance(value, list):
                problems.append((position, f"{key}: must be an array of tables ([[{key}]])"))
                continue
            for index, table in enumerate(value):
                entries.append(
                    _Entry(len(entries) + len(problems), kind.name, f"{key}[{index}]", table)
                )
        if not entries and not problems:
            problems.append((0, "the document holds no resource"))
    for entry in entries:
        try:
            entry.resource = _from_table(kinds.by_name(entry.kind), entry.table)
        except FieldErrors as exc:
            problems += [(entry.position, _at(entry.where, error)) for error in exc.errors]
        except ValidationError as exc:
            problems.append((entry.position, _at(entry.where, exc)))
        except NodekeeperError as exc:
            problems.append((entry.position, f"{entry.where}: {exc}"))
    problems += _duplicates(entries)
    return entries, problems


def _at(where: str, exc: ValidationError) -> str:
    """A field's problem at its place, the rule after it: ``containers[2].architecture: 'sparc'
    is not one of ...``. The field is its path in the resource (core's rules name it so)."""
    # A place in words (``container 'web1'``: a resource given without a document) is
    # followed by a space, not a dot.
    joiner = " " if " " in where else "."
    place = joiner.join(part for part in (where, exc.field) if part)
    return f"{place}: {exc.rule}"


def _from_table(kind: Kind[Any], table: object) -> Resource:
    """The resource of a document's table, every field checked: a ValidationError (FieldErrors
    when several) for each key it does not know, each required key it lacks and each field
    that breaks its rule."""
    if not isinstance(table, Mapping):
        raise ValidationError("", table, "must be a table")
    body = {k: v for k, v in table.items() if k != "kind"}
    known = _known_keys(kind)
    errors = [
        ValidationError(
            key, ABSENT, f"is not known in {kind.with_article} (known: {', '.join(known)})"
        )
        for key in body
        if key not in known
    ]
    missing = [key for key in kind.required if key not in body]
    errors += [ValidationError(key, ABSENT, "required") for key in missing]
    given = {k: v for k, v in body.items() if k in known}
    try:
        resource = kind.from_table(given)
    except FieldErrors as exc:
        field_errors = exc.errors
    except ValidationError as exc:
        field_errors = [exc]
    else:
        field_errors = []
    # A required key left out is said once ("required"), not again as its rule.
    errors += [e for e in field_errors if e.field.split(".")[0] not in missing]
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise FieldErrors(errors)
    return resource


def _known_keys(kind: Kind[Any]) -> list[str]:
    """The keys a table of ``kind`` may hold: those it declares, else its fields."""
    if kind.known_keys is not None:
        return list(kind.known_keys)
    return sorted(f.name for f in fields(kind.resource_types[0]))


def parse_user(
    text: str, claims: list[str], service_id: str, source: str = "document"
) -> UserEntry:
    """The binding of a document that edits one binding (the TUI's editor): validated as
    ``parse`` does, and its claims and service must stay ``claims`` and ``service_id``."""
    resources = parse(text, source)
    key = canonical_claims(claims, "claims")
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


def _duplicates(entries: list[_Entry]) -> list[Problem]:
    seen: set[tuple[str, str]] = set()
    problems = []
    for entry in entries:
        if entry.resource is None:
            continue
        key = (entry.kind, name_of(entry.resource))
        if key in seen:
            problems.append((entry.position, f"{key[0]} {key[1]!r} appears more than once"))
        seen.add(key)
    return problems


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
        entries = [
            _Entry(position, kind_of(r), _named(r), to_table(r), r)
            for position, r in enumerate(ordered)
        ]
        problems = _reference_problems(store, entries)
        if problems:
            raise DocumentError(_in_order(problems), source)
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
    """The place of a resource given without a document: ``container 'web1'``; a scoped name
    (``user ["admin"] on svc1``) as it is, since it quotes its own parts."""
    kind = kinds.of_resource(resource)
    name = kind.document_name(resource)
    return f"{kind.name} {name}" if kind.scope is not None else f"{kind.name} {name!r}"


def _save(store: Store, resource: Resource) -> str:
    return kinds.of_resource(resource).save(store, resource)


def _reference_problems(store: Store, entries: list[_Entry]) -> list[Problem]:
    """What a resource names (``Kind.references``: profiles named by containers, services named
    by users) must exist in the store or in the document: a problem for each one that does not,
    at the place of the resource naming it. Read from the tables as written, so that a resource
    with a broken field has its references checked too, and one named in the document counts
    even if it is broken."""

    def texts(entry: _Entry, key: str) -> list[str]:
        value = entry.table.get(key) if isinstance(entry.table, Mapping) else None
        values = value if isinstance(value, list) else [value]
        return [v for v in values if isinstance(v, str)]

    def named(kind: str, key: str) -> set[str]:
        return {name for e in entries if e.kind == kind for name in texts(e, key)}

    problems: list[Problem] = []
    for kind in kinds.KINDS:
        naming = [e for e in entries if e.kind == kind.name]
        for reference in kind.references if naming else ():
            target = kinds.by_name(reference.target)
            known = named(target.name, reference.target_key) | target.names_in_store(store)
            rule = f"is not {target.with_article} of the store or of this document"
            problems += [
                (e.position, _at(e.where, ValidationError(reference.key, name, rule)))
                for e in naming
                for name in texts(e, reference.key)
                if name not in known
            ]
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
    "load",
    "parse",
    "parse_user",
    "read",
    "user_name",
]
