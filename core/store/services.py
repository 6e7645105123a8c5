"""Services and the claim sets (users) bound to them (seed 000).

A service is a row keyed by its id: what runs (the systemd unit, its image path, its Linux user),
its runtime state as systemd reports it, its time to live and its limits. A claim set is a list of
strings (``["user1", "subject2"]``) stored canonically, so that the same set in another order or
with duplicates is the same key; each claim set is bound to the services it uses, with a storage
folder and a state checksum per binding.

State and status are stored as numbers and exposed by name (``ServiceState``, ``ServiceStatus``).

Services and claim sets are the store's node's (``Store.node_id``): two nodes of one database may
each have a service ``web`` with its own bindings and traffic chains.

Deleting a service (``delete``, ``remove_expired``) takes with it, in the same transaction, its
claim set bindings (ON DELETE CASCADE) and its traffic accounting: the chains
``service:<id>:in`` and ``service:<id>:out`` (``traffic_chains``) and their history.
"""

from __future__ import annotations

import enum
import hashlib
import json
import os
from collections.abc import Collection, Iterable
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from .. import validate
from ..claims import canonical_claims, json_list
from ..errors import AlreadyExists, NotFound, ValidationError
from ..models import services as m
from ..models.base import utcnow
from ..traffic_rules import service_chain
from .repo import Repo, chunks


class ServiceState(enum.IntEnum):
    """What systemd says the service's unit is doing (stored as the number)."""

    stopped = 0
    running = 1
    starting = 2
    stopping = 3
    failed = 4
    unknown = 5


class ServiceStatus(enum.IntEnum):
    """Whether the service is healthy; ``limit_exceeded`` belongs to traffic accounting."""

    ok = 0
    error = 1
    limit_exceeded = 2


SERVICE_STATES = {s.value: s.name for s in ServiceState}
SERVICE_STATUSES = {s.value: s.name for s in ServiceStatus}
# Fields systemd (and traffic accounting) keep up to date, as opposed to configuration.
RUNTIME_FIELDS = frozenset({"state", "status", "start_at", "main_pid"})
# The server config key that holds the current claim set (a JSON list of strings).
CURRENT_USERS_KEY = "users.current"

ID_MAX = 255
INT32_MAX = (1 << 31) - 1
INT64_MAX = (1 << 63) - 1

T = {
    "services": m.Service.__table__,
    "users": m.User.__table__,
    "traffic": m.TrafficMonitor.__table__,
    "history": m.TrafficHistory.__table__,
}


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


@dataclass
class ServiceInfo:
    id: str
    version: int = 0
    path: str | None = None
    service: str | None = None  # the systemd unit
    user: str | None = None  # the Linux user it runs as
    permissions: str | None = None
    state: str = "stopped"
    status: str = "ok"
    start_at: datetime | None = None
    main_pid: int | None = None
    ttl: int | None = None  # days
    alert_rules: str | None = None
    ul_limit: int | None = None
    dl_limit: int | None = None
    storage_limit: int | None = None
    state_limit: int | None = None

    @property
    def name(self) -> str:
        return self.id

    def expires_at(self) -> datetime | None:
        """``start_at`` + ``ttl`` days; None when either is unset (the service never expires)."""
        if self.start_at is None or self.ttl is None:
            return None
        try:
            return self.start_at + timedelta(days=self.ttl)
        except OverflowError:  # past year 9999: never
            return None


@dataclass
class UserEntry:
    """A claim set bound to a service."""

    claims: list[str]
    service_id: str
    storage_folder: str | None = None
    state_checksum: bytes | None = None

    @property
    def key(self) -> str:
        """The canonical text stored in the ``users`` column."""
        return canonical_claims(self.claims)


# ---------------------------------------------------------------------------------------------
# validation


def service_id(value: object, field: str = "id") -> str:
    """Service ids: 1-255 characters, no whitespace or control characters."""
    if not isinstance(value, str):
        raise ValidationError(field, value, "must be a string")
    if not value:
        raise ValidationError(field, value, "must not be empty")
    if len(value) > ID_MAX:
        raise ValidationError(field, value, f"is longer than {ID_MAX} characters")
    bad = validate.bad_char(value)
    if bad is not None:
        raise ValidationError(
            field, value, f"must not contain whitespace or control characters ({bad!r})"
        )
    return value


# systemd's unit name characters (unit_name_is_valid): letters, digits, ":-_.\" and "@".
_UNIT_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_.\\@")


def unit_name(value: object, field: str = "service") -> str | None:
    """A systemd unit name (``aos_web.service``), or None. It never starts with '-', so it cannot
    be read as an option of systemctl."""
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ValidationError(field, value, "must be a non-empty systemd unit name")
    if len(value) > 255:
        raise ValidationError(field, value, "is longer than 255 characters")
    if any(ch not in _UNIT_CHARS for ch in value):
        raise ValidationError(
            field, value, "may contain only letters, digits and : - _ . \\ @ (a systemd unit)"
        )
    if value.startswith(("-", ".")):
        raise ValidationError(field, value, "must not start with '-' or '.'")
    return value


def _text(value: object, field: str, max_len: int | None = None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(field, value, "must be a string")
    if "\x00" in value:
        raise ValidationError(field, value, "must not contain NUL characters")
    if max_len is not None and len(value) > max_len:
        raise ValidationError(field, value, f"is longer than {max_len} characters")
    return value


def _int(
    value: object, field: str, *, maximum: int = INT64_MAX, optional: bool = True
) -> int | None:
    if value is None and optional:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        what = "a whole number >= 0" + (" or unset" if optional else "")
        raise ValidationError(field, value, f"must be {what}")
    if value < 0:
        raise ValidationError(field, value, "must not be negative")
    if value > maximum:
        raise ValidationError(field, value, f"must be at most {maximum}")
    return value


def _when(value: object, field: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValidationError(field, value, "must be a date and time with a zone")
    return value


def state_name(value: object, field: str = "state") -> str:
    return SERVICE_STATES[validate.choice(value, SERVICE_STATES, field)]


def status_name(value: object, field: str = "status") -> str:
    return SERVICE_STATUSES[validate.choice(value, SERVICE_STATUSES, field)]


def validated(info: ServiceInfo) -> ServiceInfo:
    """A ServiceInfo with every field checked and normalised; a ValidationError names the
    broken field (FieldErrors each of them, when several are)."""
    checked = validate.each_field({
        "id": lambda: service_id(info.id),
        "version": lambda: _int(info.version, "version", maximum=INT32_MAX, optional=False),
        "path": lambda: _text(info.path, "path"),
        "service": lambda: unit_name(info.service),
        "user": lambda: _text(info.user, "user", 255),
        "permissions": lambda: _text(info.permissions, "permissions"),
        "state": lambda: state_name(info.state),
        "status": lambda: status_name(info.status),
        "start_at": lambda: _when(info.start_at, "start_at"),
        "main_pid": lambda: _int(info.main_pid, "main_pid", maximum=INT32_MAX),
        "ttl": lambda: _int(info.ttl, "ttl", maximum=INT32_MAX),
        "alert_rules": lambda: _text(info.alert_rules, "alert_rules"),
        "ul_limit": lambda: _int(info.ul_limit, "ul_limit"),
        "dl_limit": lambda: _int(info.dl_limit, "dl_limit"),
        "storage_limit": lambda: _int(info.storage_limit, "storage_limit"),
        "state_limit": lambda: _int(info.state_limit, "state_limit"),
    })  # fmt: skip
    checked["main_pid"] = checked["main_pid"] or None  # systemd's MainPID=0 means "no process"
    return ServiceInfo(**checked)  # type: ignore[arg-type]


def state_checksum(path: str | os.PathLike[str]) -> bytes:
    """The sha256 of a state file's bytes (the ``state_checksum`` of a binding)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    except OSError as exc:
        raise ValidationError(
            "state file", os.fspath(path), f"cannot be read: {exc.strerror or exc}"
        ) from None
    return digest.digest()


def checksum_from_hex(value: object, field: str = "state_checksum") -> bytes | None:
    """A state checksum written as hexadecimal digits (``"00ff..."``); empty text is unset."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(field, value, "must be a string of hexadecimal digits (a sha256)")
    stripped = value.strip()
    if not stripped:
        return None
    try:
        return bytes.fromhex(stripped)
    except ValueError:
        raise ValidationError(
            field, value, "must be hexadecimal digits (a sha256), or empty"
        ) from None


def validated_entry(entry: UserEntry) -> UserEntry:
    """A binding with every field checked and its claims in canonical order; a
    ValidationError names the broken field (FieldErrors each of them, when several are)."""
    checked = validate.each_field({
        "claims": lambda: json.loads(canonical_claims(entry.claims, "claims")),
        "service_id": lambda: service_id(entry.service_id, "service_id"),
        "storage_folder": lambda: _text(entry.storage_folder, "storage_folder"),
        "state_checksum": lambda: _checksum(entry.state_checksum),
    })  # fmt: skip
    return UserEntry(**checked)  # type: ignore[arg-type]


def traffic_chains(service_id: str) -> list[str]:
    """The traffic accounting chains of a service: ``service:<id>:in`` and ``service:<id>:out``.
    They (and their history) are deleted with the service."""
    return [service_chain(service_id, "in"), service_chain(service_id, "out")]


def _forget_traffic(conn: Connection, node_id: int, service_ids: Iterable[str]) -> None:
    """Delete the traffic chains and the history of these services of node ``node_id`` (exact
    chain names: a service ``a`` does not take ``service:a:b:in``, the chain of service
    ``a:b``; another node's service of the same id keeps its chains)."""
    chains = [chain for sid in service_ids for chain in traffic_chains(sid)]
    t, h = T["traffic"], T["history"]
    for chunk in chunks(chains):  # type: ignore[arg-type]
        conn.execute(delete(t).where(t.c.node_id == node_id, t.c.chain.in_(chunk)))
        conn.execute(delete(h).where(h.c.node_id == node_id, h.c.chain.in_(chunk)))


def _checksum(value: object) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise ValidationError("state_checksum", value, "must be bytes (a sha256 digest) or unset")


# ---------------------------------------------------------------------------------------------
# services


def _row(info: ServiceInfo, node_id: int) -> dict[str, Any]:
    row = {f.name: getattr(info, f.name) for f in fields(ServiceInfo)}
    row["node_id"] = node_id
    row["state"] = ServiceState[info.state].value
    row["status"] = ServiceStatus[info.status].value
    return row


def _info(row) -> ServiceInfo:
    data = {f.name: getattr(row, f.name) for f in fields(ServiceInfo)}
    data["state"] = SERVICE_STATES.get(row.state, "unknown")
    data["status"] = SERVICE_STATUSES.get(row.status, "error")
    return ServiceInfo(**data)


class ServiceRepo(Repo):
    kind = "service"
    table = T["services"]

    # Every statement is limited to the store's node (``Store.node_id``): another node's
    # service of the same id is another row.

    def _where(self, *conditions):
        s = T["services"]
        return (s.c.node_id == self._store.node_id, *conditions)

    # -- reads

    def names(self) -> list[str]:
        """Every service id, sorted."""
        return self.ids()

    def ids(self) -> list[str]:
        s = T["services"]
        with self._store.reading() as conn:
            return list(conn.scalars(select(s.c.id).where(*self._where()).order_by(s.c.id)))

    def exists(self, service_id: str) -> bool:
        s = T["services"]
        with self._store.reading() as conn:
            return conn.scalar(select(s.c.id).where(*self._where(s.c.id == service_id))) is not None

    def get(self, service_id: str) -> ServiceInfo:
        s = T["services"]
        with self._store.reading() as conn:
            row = conn.execute(select(s).where(*self._where(s.c.id == service_id))).first()
        if row is None:
            raise NotFound(self.kind, service_id)
        return _info(row)

    def list(
        self, *, state: str | int | None = None, status: str | int | None = None
    ) -> list[ServiceInfo]:
        """Every service (or those in a state and/or with a status), by id."""
        s = T["services"]
        query = select(s).where(*self._where()).order_by(s.c.id)
        if state is not None:
            query = query.where(s.c.state == validate.choice(state, SERVICE_STATES, "state"))
        if status is not None:
            query = query.where(s.c.status == validate.choice(status, SERVICE_STATUSES, "status"))
        with self._store.reading() as conn:
            return [_info(r) for r in conn.execute(query)]

    # -- writes

    def create(
        self,
        service_id: str,
        *,
        version: int = 0,
        path: str | None = None,
        service: str | None = None,
        user: str | None = None,
        permissions: str | None = None,
        state: str | int = "stopped",
        status: str | int = "ok",
        start_at: datetime | None = None,
        main_pid: int | None = None,
        ttl: int | None = None,
        alert_rules: str | None = None,
        ul_limit: int | None = None,
        dl_limit: int | None = None,
        storage_limit: int | None = None,
        state_limit: int | None = None,
    ) -> ServiceInfo:
        """Add a service (AlreadyExists if its id is taken)."""
        info = validated(
            ServiceInfo(
                id=service_id, version=version, path=path, service=service, user=user,
                permissions=permissions, state=state, status=status, start_at=start_at,  # type: ignore[arg-type]
                main_pid=main_pid, ttl=ttl, alert_rules=alert_rules, ul_limit=ul_limit,
                dl_limit=dl_limit, storage_limit=storage_limit, state_limit=state_limit,
            )
        )  # fmt: skip
        s = T["services"]
        with self._store.transaction() as conn:
            if conn.scalar(select(s.c.id).where(*self._where(s.c.id == info.id))) is not None:
                raise AlreadyExists(self.kind, info.id)
            conn.execute(insert(s).values(_row(info, self._store.node_id)))
        return self.get(info.id)

    def update(
        self,
        service_id: str,
        *,
        version: int = UNSET,
        path: str | None = UNSET,
        service: str | None = UNSET,
        user: str | None = UNSET,
        permissions: str | None = UNSET,
        state: str | int = UNSET,
        status: str | int = UNSET,
        start_at: datetime | None = UNSET,
        main_pid: int | None = UNSET,
        ttl: int | None = UNSET,
        alert_rules: str | None = UNSET,
        ul_limit: int | None = UNSET,
        dl_limit: int | None = UNSET,
        storage_limit: int | None = UNSET,
        state_limit: int | None = UNSET,
    ) -> ServiceInfo:
        """Change the given fields (None unsets an optional one); the others stay."""
        given = dict(locals())
        changes = {
            k: v for k, v in given.items() if k not in ("self", "service_id") and v is not UNSET
        }
        with self._store.transaction() as conn:
            current = self.get(service_id)
            info = validated(replace(current, **changes))
            if info != current:
                s = T["services"]
                conn.execute(
                    update(s)
                    .where(*self._where(s.c.id == service_id))
                    .values(_row(info, self._store.node_id))
                )
        return self.get(service_id)

    def save(self, info: ServiceInfo, *, keep: Collection[str] = ()) -> str:
        """Create the service or replace it whole; "created", "updated" or "unchanged".

        ``keep`` names runtime fields (state, status, start_at, main_pid) whose stored values an
        existing service keeps, whatever ``info`` says.
        """
        unknown = set(keep) - RUNTIME_FIELDS
        if unknown:
            raise ValidationError(
                "keep", sorted(unknown)[0], f"is not one of: {', '.join(sorted(RUNTIME_FIELDS))}"
            )
        info = validated(info)
        s = T["services"]
        with self._store.transaction() as conn:
            row = conn.execute(select(s).where(*self._where(s.c.id == info.id))).first()
            if row is None:
                conn.execute(insert(s).values(_row(info, self._store.node_id)))
                return "created"
            current = _info(row)
            info = replace(info, **{k: getattr(current, k) for k in keep})
            if info == current:
                return "unchanged"
            conn.execute(
                update(s)
                .where(*self._where(s.c.id == info.id))
                .values(_row(info, self._store.node_id))
            )
            return "updated"

    def delete(self, service_id: str) -> None:
        """Delete a service (NotFound if there is none, and nothing changes); its claim set
        bindings (ON DELETE CASCADE), its traffic chains and their history go with it, in the
        same transaction."""
        s = T["services"]
        with self._store.transaction() as conn:
            if conn.execute(delete(s).where(*self._where(s.c.id == service_id))).rowcount == 0:
                raise NotFound(self.kind, service_id)
            _forget_traffic(conn, self._store.node_id, [service_id])

    def set_state(self, service_id: str, state: str | int) -> None:
        self._set(service_id, state=validate.choice(state, SERVICE_STATES, "state"))

    def set_status(self, service_id: str, status: str | int) -> None:
        self._set(service_id, status=validate.choice(status, SERVICE_STATUSES, "status"))

    def set_start_time(self, service_id: str, when: datetime | None) -> None:
        """Set (None: clear) the time the service was started, the start of its TTL."""
        self._set(service_id, start_at=_when(when, "start_at"))

    def _set(self, service_id: str, **values: Any) -> None:
        s = T["services"]
        with self._store.transaction() as conn:
            if (
                conn.execute(
                    update(s).where(*self._where(s.c.id == service_id)).values(values)
                ).rowcount
                == 0
            ):
                raise NotFound(self.kind, service_id)

    # -- time to live

    def expired(
        self, now: datetime | None = None, current_users: Iterable[str] | None = None
    ) -> list[ServiceInfo]:
        """Services whose ``start_at`` + ``ttl`` days has passed and that the current claim set
        does not use. The current claim set is ``current_users``, else the server config key
        ``users.current``; without one, no service is protected. Services without ``start_at``
        or ``ttl`` never expire."""
        now = _when(now, "now") or utcnow()
        s, u = T["services"], T["users"]
        with self._store.reading() as conn:
            key = self._current_key(current_users)
            rows = conn.execute(
                select(s)
                .where(*self._where(s.c.start_at.is_not(None), s.c.ttl.is_not(None)))
                .order_by(s.c.id)
            )
            due = [info for info in map(_info, rows) if (at := info.expires_at()) and at < now]
            if key is None or not due:
                return due
            protected = set(
                conn.scalars(
                    select(u.c.service_id).where(
                        u.c.node_id == self._store.node_id, u.c.users == key
                    )
                )
            )
        return [info for info in due if info.id not in protected]

    def remove_expired(
        self, now: datetime | None = None, current_users: Iterable[str] | None = None
    ) -> list[str]:
        """Delete the expired services (with their bindings, traffic chains and traffic
        history, as ``delete``) in one transaction; their ids."""
        s = T["services"]
        with self._store.transaction() as conn:
            ids = [info.id for info in self.expired(now, current_users)]
            for chunk in chunks(ids):  # type: ignore[arg-type]
                conn.execute(delete(s).where(*self._where(s.c.id.in_(chunk))))
            _forget_traffic(conn, self._store.node_id, ids)
        return ids

    def _current_key(self, current_users: Iterable[str] | None) -> str | None:
        if current_users is not None:
            return canonical_claims(current_users, "current users")
        return self._store.users.current_key()


# ---------------------------------------------------------------------------------------------
# claim sets


def _entry(row) -> UserEntry:
    return UserEntry(
        claims=json.loads(row.users),
        service_id=row.service_id,
        storage_folder=row.storage_folder,
        state_checksum=bytes(row.state_checksum) if row.state_checksum is not None else None,
    )


class UserRepo(Repo):
    """Claim sets bound to services: ``store.users.bind(["user1"], "svc")``."""

    kind = "claim set"
    table = T["users"]

    @staticmethod
    def key(claims: Iterable[str]) -> str:
        """The canonical stored form of a claim set."""
        return canonical_claims(claims)

    checksum = staticmethod(state_checksum)

    # Every statement is limited to the store's node, as the services' are.

    def _where(self, *conditions):
        return (T["users"].c.node_id == self._store.node_id, *conditions)

    # -- reads

    def names(self) -> list[str]:
        """Every claim set's canonical key, sorted."""
        u = T["users"]
        with self._store.reading() as conn:
            return list(
                conn.scalars(select(u.c.users).where(*self._where()).distinct().order_by(u.c.users))
            )

    def claim_sets(self) -> list[list[str]]:
        """Every claim set bound to at least one service."""
        return [json.loads(key) for key in self.names()]

    def get(self, claims: Iterable[str], service_id: str) -> UserEntry:
        key = canonical_claims(claims)
        u = T["users"]
        with self._store.reading() as conn:
            row = conn.execute(
                select(u).where(*self._where(u.c.users == key, u.c.service_id == service_id))
            ).first()
            if row is None:
                self._service_must_exist(conn, service_id)
                raise NotFound(f"claim set {key} on service", service_id)
        return _entry(row)

    def entries(
        self, service_id: str | None = None, *, claims: Iterable[str] | None = None
    ) -> list[UserEntry]:
        """The bindings of a service (NotFound if it does not exist), of a claim set, or all,
        by claim set then service."""
        u = T["users"]
        query = select(u).where(*self._where()).order_by(u.c.users, u.c.service_id)
        if claims is not None:
            query = query.where(u.c.users == canonical_claims(claims))
        with self._store.reading() as conn:
            if service_id is not None:
                self._service_must_exist(conn, service_id)
                query = query.where(u.c.service_id == service_id)
            return [_entry(r) for r in conn.execute(query)]

    def services_of(self, claims: Iterable[str]) -> list[str]:
        """The ids of the services a claim set is bound to."""
        key = canonical_claims(claims)
        u = T["users"]
        with self._store.reading() as conn:
            return list(
                conn.scalars(
                    select(u.c.service_id)
                    .where(*self._where(u.c.users == key))
                    .order_by(u.c.service_id)
                )
            )

    def has_service(self, claims: Iterable[str], service_id: str) -> bool:
        """Whether the service belongs to the claim set."""
        key = canonical_claims(claims)
        u = T["users"]
        with self._store.reading() as conn:
            found = conn.scalar(
                select(u.c.service_id).where(
                    *self._where(u.c.users == key, u.c.service_id == service_id)
                )
            )
        return found is not None

    # -- writes

    def bind(
        self,
        claims: Iterable[str],
        service_id: str,
        *,
        storage_folder: str | None = None,
        state_checksum: bytes | None = None,
    ) -> UserEntry:
        """Bind a claim set to a service (AlreadyExists if it is bound already)."""
        key = canonical_claims(claims)
        folder = _text(storage_folder, "storage_folder")
        checksum = _checksum(state_checksum)
        u = T["users"]
        with self._store.transaction() as conn:
            self._service_must_exist(conn, service_id)
            exists = conn.scalar(
                select(u.c.service_id).where(
                    *self._where(u.c.users == key, u.c.service_id == service_id)
                )
            )
            if exists is not None:
                raise AlreadyExists(f"claim set {key} on service", service_id)
            conn.execute(
                insert(u).values(
                    node_id=self._store.node_id,
                    users=key,
                    service_id=service_id,
                    storage_folder=folder,
                    state_checksum=checksum,
                )
            )
        return UserEntry(json.loads(key), service_id, folder, checksum)

    def save(self, entry: UserEntry) -> str:
        """Create the binding or replace its storage folder and state checksum whole (None
        unsets them); "created", "updated" or "unchanged". NotFound if the service does not
        exist."""
        entry = validated_entry(entry)
        key, sid = entry.key, entry.service_id
        values = {"storage_folder": entry.storage_folder, "state_checksum": entry.state_checksum}
        u = T["users"]
        with self._store.transaction() as conn:
            self._service_must_exist(conn, sid)
            row = conn.execute(
                select(u).where(*self._where(u.c.users == key, u.c.service_id == sid))
            ).first()
            if row is None:
                conn.execute(
                    insert(u).values(
                        node_id=self._store.node_id, users=key, service_id=sid, **values
                    )
                )
                return "created"
            if _entry(row) == entry:
                return "unchanged"
            conn.execute(
                update(u)
                .where(*self._where(u.c.users == key, u.c.service_id == sid))
                .values(**values)
            )
            return "updated"

    def unbind(self, claims: Iterable[str], service_id: str) -> None:
        """Remove the binding (NotFound if there is none)."""
        key = canonical_claims(claims)
        u = T["users"]
        with self._store.transaction() as conn:
            gone = conn.execute(
                delete(u).where(*self._where(u.c.users == key, u.c.service_id == service_id))
            ).rowcount
            if not gone:
                self._service_must_exist(conn, service_id)
                raise NotFound(f"claim set {key} on service", service_id)

    def set_storage_folder(
        self, claims: Iterable[str], service_id: str, folder: str | None
    ) -> None:
        self._set(claims, service_id, storage_folder=_text(folder, "storage_folder"))

    def set_state_checksum(
        self, claims: Iterable[str], service_id: str, checksum: bytes | None
    ) -> None:
        """Set the checksum (``store.users.checksum(path)`` computes one from a state file)."""
        self._set(claims, service_id, state_checksum=_checksum(checksum))

    def _set(self, claims: Iterable[str], service_id: str, **values: Any) -> None:
        key = canonical_claims(claims)
        u = T["users"]
        with self._store.transaction() as conn:
            changed = conn.execute(
                update(u)
                .where(*self._where(u.c.users == key, u.c.service_id == service_id))
                .values(values)
            ).rowcount
            if not changed:
                self._service_must_exist(conn, service_id)
                raise NotFound(f"claim set {key} on service", service_id)

    # -- the current claim set (server config ``users.current``)

    def current(self) -> list[str] | None:
        key = self.current_key()
        return None if key is None else json.loads(key)

    def current_key(self) -> str | None:
        """The canonical key of the current claim set, or None."""
        value = self._store.config.get(CURRENT_USERS_KEY)
        if value is None:
            return None
        return canonical_claims(
            json_list(value, f"config.{CURRENT_USERS_KEY}"), f"config.{CURRENT_USERS_KEY}"
        )

    def set_current(self, claims: Iterable[str] | None) -> None:
        """Record the current claim set (None: there is none)."""
        key = None if claims is None else canonical_claims(claims)
        self._store.config.set(CURRENT_USERS_KEY, key)

    def _service_must_exist(self, conn: Connection, service_id: str) -> None:
        s = T["services"]
        here = s.c.node_id == self._store.node_id
        if conn.scalar(select(s.c.id).where(here, s.c.id == service_id)) is None:
            raise NotFound("service", service_id)


__all__ = [
    "CURRENT_USERS_KEY",
    "RUNTIME_FIELDS",
    "SERVICE_STATES",
    "SERVICE_STATUSES",
    "ServiceInfo",
    "ServiceRepo",
    "ServiceState",
    "ServiceStatus",
    "UserEntry",
    "UserRepo",
    "checksum_from_hex",
    "service_id",
    "state_checksum",
    "traffic_chains",
    "unit_name",
    "validated",
    "validated_entry",
]
