"""Log events read from log files, and where reading each file stopped.

A batch of events and the position after its last line are written in one transaction
(``store_batch``): a crash between two batches leaves the position of the last batch stored, and
the next run reads from there, so no line is lost or stored twice. The events go in with one
``executemany`` of a statement compiled once (``core.db.prepared``): ingestion is bounded by the
parsing, not by the store.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import delete, func, insert, select

from ..db.prepared import Prepared
from ..models import telemetry
from .repo import Repo

EVENTS = telemetry.LogEvent.__table__
FILES = telemetry.LogFile.__table__

# The columns of an event row given to ``store_batch``, in this order (the node comes first,
# added by the store).
EVENT_FIELDS = (
    "timestamp", "source", "level", "program", "pid", "host", "message",
    "ip_address", "user", "action", "metadata", "ingested",
)  # fmt: skip
INSERT_EVENT = Prepared(insert(EVENTS), ("node_id", *EVENT_FIELDS), as_given=True)


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
            INSERT_EVENT.executemany(conn, [(node_id, *e) for e in events])
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
