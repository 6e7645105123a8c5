"""Log events read from log files, and where reading each file stopped.

A batch of events and the position after its last line are written in one transaction
(``store_batch``): a crash between two batches leaves the position of the last batch stored, and
the next run reads from there, so no line is lost or stored twice. The events go in with one
``executemany`` of a statement compiled once (``core.db.prepared``): ingestion is bounded by the
parsing, not by the store.
"""

from __future__ import annotations

import json
import operator
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import and_, column, delete, func, insert, or_, select, table, text, update

from ..db.prepared import Prepared
from ..errors import ValidationError
from ..log_words import ACTIONS, LEVELS, at_least, words, words_regex
from ..models import telemetry
from .repo import Repo

EVENTS = telemetry.LogEvent.__table__
FILES = telemetry.LogFile.__table__
# SQLite's text index of the messages and the last event id it has taken in (migration 0008):
# not models, as they exist on SQLite only.
TEXT = table("log_events_text", column("rowid"), column("log_events_text"))
TEXT_MARK = table("log_events_text_mark", column("indexed_to"))
INDEX_CHUNK = 50_000  # events taken into the text index per transaction

# The columns of an event row given to ``store_batch``, in this order (the node comes first,
# added by the store).
EVENT_FIELDS = (
    "timestamp", "source", "level", "program", "pid", "host", "message",
    "ip_address", "user", "action", "metadata", "ingested",
)  # fmt: skip
# The statement's binds come in the table's column order: rows are given to the driver in that
# order, so that Prepared passes them on as they are (in another order it would pick each
# value of each row in Python: a tenth of the import's time).
_GIVEN = ("node_id", *EVENT_FIELDS)
_BIND_ORDER = tuple(c.name for c in EVENTS.columns if c.name in _GIVEN)
INSERT_EVENT = Prepared(insert(EVENTS), _BIND_ORDER, as_given=True)
# (node_id, *row) -> the same values in _BIND_ORDER.
_IN_BIND_ORDER = operator.itemgetter(*(_GIVEN.index(name) for name in _BIND_ORDER))


class FilePosition(NamedTuple):
    """Where reading the file at ``path`` stopped: the file (device, inode), the byte offset
    after the last line stored, the hash of its first line (a file replaced under the same
    name has another), the journal's cursor for the journal's row, and the lines read in all."""

    path: str
    device: int
    inode: int
    offset: int
    first_line_hash: str
    cursor: str | None = None
    lines: int = 0


@dataclass(frozen=True)
class EventFilter:
    """Which events: each given field narrows them (all of them: AND). ``level``: that
    severity or a more severe one; ``since``/``until``: Unix seconds, ``until`` excluded;
    ``text``: words the message holds (``text_search``)."""

    source: str | None = None
    level: str | None = None
    action: str | None = None
    ip: str | None = None
    user: str | None = None
    since: int | None = None
    until: int | None = None
    text: str | None = None

    def __post_init__(self) -> None:
        if self.level is not None and self.level not in LEVELS:
            raise ValidationError("level", self.level, f"is not one of {', '.join(LEVELS)}")
        if self.action is not None and self.action not in ACTIONS:
            raise ValidationError("action", self.action, f"is not one of {', '.join(ACTIONS)}")


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """A log event as the store keeps it; ``key`` orders events (time, then storing order)."""

    id: int
    timestamp: int
    source: str
    level: str
    program: str | None
    pid: int | None
    host: str | None
    message: str
    ip: str | None
    user: str | None
    action: str | None
    metadata: dict[str, Any] | None

    @property
    def key(self) -> tuple[int, int]:
        return self.timestamp, self.id


_EVENT_COLUMNS = (
    EVENTS.c.id, EVENTS.c.timestamp, EVENTS.c.source, EVENTS.c.level, EVENTS.c.program,
    EVENTS.c.pid, EVENTS.c.host, EVENTS.c.message, EVENTS.c.ip_address, EVENTS.c.user,
    EVENTS.c.action, EVENTS.c.metadata,
)  # fmt: skip
# What ``count_by`` groups by: a column, or the hour or day (UTC) of the event's time.
COUNT_FIELDS = ("source", "level", "action", "ip", "user", "hour", "day")


def _stored(row: Sequence[Any]) -> StoredEvent:
    meta = row[11]
    return StoredEvent(*row[:11], json.loads(meta) if meta else None)


# PostgreSQL advisory lock class (with the node's id) held by the transactions that store a
# node's log events and by store.threats.update: a sequence gives ids as rows are inserted, so
# without it a batch could commit its lower ids after an update had read past them.
EVENT_WRITERS = 0x6E6B7468


def hold_event_writers(store, conn) -> None:
    """Wait for, then hold until this transaction ends, the node's event writers' lock
    (PostgreSQL; SQLite's writers already wait for each other: BEGIN IMMEDIATE)."""
    if not store.location.is_sqlite:
        conn.execute(
            text("SELECT pg_advisory_xact_lock(:a, :b)"),
            {"a": EVENT_WRITERS, "b": store.node_id},
        )


class LogRepo(Repo):
    kind = "log file"

    def positions(self) -> dict[str, FilePosition]:
        """Every file's position, by path."""
        with self._store.reading() as conn:
            rows = conn.execute(
                select(*(FILES.c[f] for f in FilePosition._fields)).where(
                    FILES.c.node_id == self._node_id
                )
            )
            return {row[0]: FilePosition(*row) for row in rows}

    def position(self, path: str) -> FilePosition | None:
        return self.positions().get(path)

    def store_batch(
        self, events: Sequence[Sequence], position: FilePosition, *, now: float | None = None
    ) -> None:
        """Store ``events`` (rows of ``EVENT_FIELDS``) and, in the same transaction, that the
        file ``position.path`` was read up to ``position``."""
        node_id = self._node_id
        with self._store.transaction() as conn:
            hold_event_writers(self._store, conn)
            pick = _IN_BIND_ORDER
            INSERT_EVENT.executemany(conn, [pick((node_id, *e)) for e in events])
            conn.execute(
                delete(FILES).where(FILES.c.node_id == node_id, FILES.c.path == position.path)
            )
            conn.execute(
                insert(FILES).values(
                    node_id=node_id, updated=int(time.time() if now is None else now),
                    **position._asdict(),
                )
            )  # fmt: skip

    def forget(self, path: str) -> bool:
        """Forget where reading ``path`` stopped: the next read starts at its beginning.
        Returns whether there was a position."""
        with self._store.transaction() as conn:
            done = conn.execute(
                delete(FILES).where(FILES.c.node_id == self._node_id, FILES.c.path == path)
            )
            return bool(done.rowcount)

    def count(self) -> int:
        with self._store.reading() as conn:
            return conn.scalar(
                select(func.count()).select_from(EVENTS).where(EVENTS.c.node_id == self._node_id)
            )

    # -- the text index

    def index_text(self, limit: int | None = None) -> int:
        """Take the events stored since the last call into SQLite's text index (of every node:
        the index is the database's), ``INDEX_CHUNK`` per transaction, at most ``limit``;
        returns how many. PostgreSQL's index keeps itself: 0. Until then the text search reads
        those events' messages one by one."""
        if not self._store.location.is_sqlite:
            return 0
        done = 0
        while limit is None or done < limit:
            chunk = INDEX_CHUNK if limit is None else min(INDEX_CHUNK, limit - done)
            with self._store.transaction() as conn:
                mark = conn.scalar(select(TEXT_MARK.c.indexed_to))
                last = conn.scalar(
                    select(func.max(EVENTS.c.id)).where(
                        EVENTS.c.id.in_(
                            select(EVENTS.c.id)
                            .where(EVENTS.c.id > mark)
                            .order_by(EVENTS.c.id)
                            .limit(chunk)
                        )
                    )
                )
                if last is None:
                    break
                taken = conn.execute(
                    text(
                        "INSERT INTO log_events_text (rowid, message) SELECT id, message "
                        "FROM log_events WHERE id > :mark AND id <= :last"
                    ),
                    {"mark": mark, "last": last},
                )
                conn.execute(update(TEXT_MARK).values(indexed_to=last))
                done += taken.rowcount  # SQLite counts the rows the index took in
        return done

    # -- reading events back

    def _where(self, f: EventFilter) -> list:
        e = EVENTS.c
        where = [e.node_id == self._node_id]
        if f.source is not None:
            where.append(e.source == f.source)
        if f.level is not None:
            where.append(e.level.in_(at_least(f.level)))
        if f.action is not None:
            where.append(e.action == f.action)
        if f.ip is not None:
            where.append(e.ip_address == f.ip)
        if f.user is not None:
            where.append(e.user == f.user)
        if f.since is not None:
            where.append(e.timestamp >= f.since)
        if f.until is not None:
            where.append(e.timestamp < f.until)
        if f.text:
            where.append(text_search(self._store, f.text))
        return where

    def events(
        self,
        f: EventFilter = EventFilter(),  # noqa: B008 - frozen: one shared value is safe
        *,
        limit: int = 100,
        before: tuple[int, int] | None = None,
        after: tuple[int, int] | None = None,
    ) -> list[StoredEvent]:
        """Up to ``limit`` events of ``f`` in time order (the oldest first): those just after
        the event ``after`` (a ``StoredEvent.key``), else those just before ``before``, else
        the latest. Keyset pages: each page is one range of an index, however deep."""
        e = EVENTS.c
        where = self._where(f)
        if after is not None:
            where.append(
                or_(e.timestamp > after[0], and_(e.timestamp == after[0], e.id > after[1]))
            )
            order = (e.timestamp, e.id)
        else:
            if before is not None:
                where.append(
                    or_(e.timestamp < before[0], and_(e.timestamp == before[0], e.id < before[1]))
                )
            order = (e.timestamp.desc(), e.id.desc())
        query = select(*_EVENT_COLUMNS).where(*where).order_by(*order).limit(limit)
        with self._store.reading() as conn:
            rows = [_stored(r) for r in conn.execute(query)]
        return rows if after is not None else rows[::-1]

    def newer(
        self,
        last_id: int,
        f: EventFilter = EventFilter(),
        *,
        limit: int = 1000,  # noqa: B008
    ) -> list[StoredEvent]:
        """Events of ``f`` stored after the event ``last_id``, in storing order (``--follow``)."""
        where = self._where(f)
        # The events after ``last_id``: a range of the table's ids, the node checked on each
        # (its index, which SQLite took, holds every event of the node: 60 ms a call at
        # 1,000,000, at each round of a console following the log).
        where[0] = (EVENTS.c.node_id + 0) == self._node_id
        query = (
            select(*_EVENT_COLUMNS)
            .where(*where, EVENTS.c.id > last_id)
            .order_by(EVENTS.c.id)
            .limit(limit)
        )
        with self._store.reading() as conn:
            return [_stored(r) for r in conn.execute(query)]

    def last_id(self) -> int:
        """The id of the last event stored (0 for none): ``newer`` from here follows."""
        # The ids from the last one back, to the first of this node: not the node's index (as
        # max(id) of the node took it, SQLite read every entry of the node's events: 85 ms at
        # 1,000,000; the console's Logs section asks at every page and follow round).
        with self._store.reading() as conn:
            found = conn.scalar(
                select(EVENTS.c.id)
                .where((EVENTS.c.node_id + 0) == self._node_id)
                .order_by(EVENTS.c.id.desc())
                .limit(1)
            )
            return found or 0

    def count_by(
        self,
        field: str,
        f: EventFilter = EventFilter(),
        *,
        limit: int | None = None,  # noqa: B008
    ) -> list[tuple[Any, int]]:
        """(value, events) of ``f`` per value of ``field`` (one of ``COUNT_FIELDS``): the most
        first, or, by hour or day, in time order (the start of each, Unix seconds UTC)."""
        if field not in COUNT_FIELDS:
            raise ValidationError("count by", field, f"is not one of {', '.join(COUNT_FIELDS)}")
        e = EVENTS.c
        if field in ("hour", "day"):
            size = 3600 if field == "hour" else 86400
            group = (e.timestamp - e.timestamp % size).label("at")
            order = [group]
        else:
            group = (e.ip_address if field == "ip" else e[field]).label("value")
            order = [func.count().desc(), group]
        query = select(group, func.count()).where(*self._where(f)).group_by(group).order_by(*order)
        if limit is not None:
            query = query.limit(limit)
        with self._store.reading() as conn:
            return [(value, count) for value, count in conn.execute(query)]


def text_search(store, text: str):
    """The condition "the message holds ``text``": its words in order, next to each other, the
    last one as a prefix, in any case (core.log_words). The one place the backends differ:
    SQLite asks its FTS5 index for the events it has taken in and matches the few newer ones
    itself; PostgreSQL matches the regular expression, which its trigram index answers. A text
    without letters or digits is looked for as it is."""
    e = EVENTS.c
    found = words(text)
    if not found:
        return e.message.icontains(text, autoescape=True)
    if not store.location.is_sqlite:
        return e.message.regexp_match(words_regex(found, posix=True), flags="i")
    mark = select(TEXT_MARK.c.indexed_to).scalar_subquery()
    phrase = '"' + " ".join(found) + '" *'
    indexed = select(TEXT.c.rowid).where(TEXT.c.log_events_text.op("MATCH")(phrase))
    return or_(
        and_(e.id <= mark, e.id.in_(indexed)),
        and_(e.id > mark, func.nk_words(words_regex(found), e.message)),
    )
