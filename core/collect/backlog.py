"""Readings the database could not take yet: the collector keeps sampling through an outage of
its database (PostgreSQL restarting, the network to it down) and writes what it held, in order,
once the database is back.

Each reading is written in a transaction of its own, so one that failed left nothing behind and
is simply written again; one whose COMMIT was sent but never answered is written again only if
the database does not have it (``record_reading(again=True)``). Traffic is accounted from the kernel's counters, each reading against
the last one stored, so a reading written late counts its bytes once, and when the bound below
drops the oldest held readings, the next one written counts their bytes instead: samples are
lost past the bound, traffic is not.

The outage is told twice, not once per reading: when it starts (what is held, and the bound) and
when it ends (how long it lasted, what was written, what was dropped).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from ..errors import StoreError
from ..text import elapsed

log = logging.getLogger("nodekeeper")

# At most this many readings are held: an hour at the default interval of 2 s (a reading is a
# system sample, a few interface samples and a few counters: about 2 KiB, 3.5 MiB in all).
HELD_READINGS = 1800


def unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot be reached or used for now (a lost or refused
    connection, a server shutting down, a locked SQLite file), rather than that it refused
    what was written: then the write is worth trying again later."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, DBAPIError):
            return cause.connection_invalidated or isinstance(
                cause, OperationalError | InterfaceError
            )
        cause = cause.__cause__ or cause.__context__
    return False


@dataclass
class Backlog:
    """The readings not written yet, oldest first, at most ``limit``; ``write`` stores one."""

    # Stores one reading; its second argument says the reading's last write failed without an
    # answer (the connection was lost during COMMIT, say), so it may be stored already.
    write: Callable[[Any, bool], None]
    where: str  # the database, as it is shown (never its password)
    limit: int = HELD_READINGS
    held: deque = field(default_factory=deque)
    dropped: int = 0  # readings dropped during this outage, the oldest, past the limit
    since: float | None = None  # when the outage started (the clock of the first reading held)
    written_late: int = 0  # readings of this outage written once the database was back
    tried: bool = False  # whether the oldest held reading's write was tried and failed

    @property
    def in_outage(self) -> bool:
        return self.since is not None

    def add(self, reading: Any, now: float) -> None:
        """Write ``reading`` after those held, or hold it when the database cannot take it.
        A reading the database refuses (not an outage) is dropped and its error raised."""
        self.hold(reading)
        self.flush(now)

    def hold(self, reading: Any) -> None:
        """Keep ``reading`` to write later, dropping the oldest beyond the limit."""
        self.held.append(reading)
        if len(self.held) > self.limit:
            self.held.popleft()
            self.tried = False
            self.dropped += 1

    def flush(self, now: float) -> None:
        """Write what is held, oldest first, until the database fails again."""
        while self.held:
            try:
                self.write(self.held[0], self.tried)
            except Exception as exc:
                if not (isinstance(exc, StoreError) and unreachable(exc)):
                    self.held.popleft()  # refused: trying again would refuse it again
                    self.tried = False
                    raise
                self.tried = True
                self._outage(exc, now)
                return
            self.held.popleft()
            self.tried = False
            if self.in_outage:
                self.written_late += 1
        if self.in_outage:
            self._ended(now)

    def _outage(self, exc: Exception, now: float) -> None:
        if self.in_outage:
            return
        self.since = now
        log.warning(
            "cannot write to %s (%s); holding readings in memory (at most %d, the oldest "
            "dropped beyond) and writing them, in order, when it takes writes again",
            self.where, exc, self.limit,
        )  # fmt: skip

    def _ended(self, now: float) -> None:
        assert self.since is not None
        dropped = (
            f"; {self.dropped} oldest dropped beyond the bound of {self.limit} (their traffic "
            "is counted in the next reading)"
            if self.dropped
            else ""
        )
        log.warning(
            "%s took writes again after %s; wrote the %d readings held, in order%s",
            self.where, elapsed(now - self.since), self.written_late, dropped,
        )  # fmt: skip
        self.since = None
        self.dropped = self.written_late = 0
