"""A collector in a background thread, for a console opened where no collector runs.

``start_background_collector(store)`` starts ``core.collect.daemon.Collector(store).run(stop)``
in a daemon thread, unless the store is read-only or a collector's heartbeat says one is running
already; the returned handle's ``stop()`` sets the stop event and waits for the collector to
finish its reading, roll up and mark its heartbeat stopped. The collector's own lock still
decides: when another one holds it (its heartbeat not written yet), this one ends at once with
``error`` set to that message (as for any other failure: a bad ``collector.interval``, a
store that fails).

The collector logs to the ``nodekeeper`` logger. A stderr handler would write over a running
TUI, so the handle keeps the collector thread's records (the last ``KEEP`` of them, formatted
and escaped) in ``messages`` for the console to show, and its ``quiet()`` context keeps those
records away from the logger's other handlers meanwhile.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from core.collect.daemon import Collector
from core.text import escape_control

log = logging.getLogger("nodekeeper")
KEEP = 50  # log lines kept
STOP_TIMEOUT = 30.0  # seconds stop() waits for the reading under way and the flush


class _ThreadRecords(logging.Handler):
    """Keeps the records of one thread, formatted, and tells the filter to drop them."""

    def __init__(self, messages: collections.deque[str]) -> None:
        super().__init__(logging.DEBUG)
        self.messages = messages
        self.thread_id: int | None = None

    def mine(self, record: logging.LogRecord) -> bool:
        return self.thread_id is not None and record.thread == self.thread_id

    def emit(self, record: logging.LogRecord) -> None:
        if self.mine(record):
            text = escape_control(record.getMessage())
            self.messages.append(f"{record.levelname.lower()}: {text}")


class _NotMine(logging.Filter):
    """On the other handlers: drop the collector thread's records (they are kept instead)."""

    def __init__(self, keeper: _ThreadRecords) -> None:
        super().__init__()
        self.keeper = keeper

    def filter(self, record: logging.LogRecord) -> bool:
        return not self.keeper.mine(record)


@dataclass
class BackgroundCollector:
    """A collector running in a daemon thread; ``stop()`` ends it cleanly."""

    stop_event: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread = field(init=False)
    messages: collections.deque[str] = field(default_factory=lambda: collections.deque(maxlen=KEEP))
    error: str | None = None  # why the collector ended by itself (another one runs, ...)
    cycles: int = 0  # readings written, once it has ended
    collector: Collector | None = None  # made in the thread (a bad setting becomes ``error``)
    _keeper: _ThreadRecords | None = None
    _filters: list[tuple[logging.Handler, logging.Filter]] = field(default_factory=list)

    @property
    def alive(self) -> bool:
        return self.thread.is_alive()

    def stop(self, timeout: float = STOP_TIMEOUT) -> bool:
        """Ask the collector to stop and wait for it; True when it ended within ``timeout``."""
        self.stop_event.set()
        if self.thread is not threading.current_thread():
            self.thread.join(timeout)
        ended = not self.thread.is_alive()
        if ended:
            self._detach()
        return ended

    def _detach(self) -> None:
        for handler, flt in self._filters:
            handler.removeFilter(flt)
        self._filters.clear()
        if self._keeper is not None:
            log.removeHandler(self._keeper)
            self._keeper = None


def start_background_collector(
    store,
    *,
    clock: Callable[[], float] = time.time,
    interval: float | None = None,
    procfs: str | None = None,
    on_failure: Callable[[BackgroundCollector], None] | None = None,
) -> BackgroundCollector | None:
    """Start a collector thread on ``store``; None when the store is read-only or a collector
    is running already (a fresh heartbeat). ``interval`` defaults to ``collector.interval``.
    ``on_failure(handle)`` is called on the collector's thread when it ends by itself with an
    error (``handle.error``), not when ``stop()`` ended it."""
    if store.read_only:
        return None
    if store.telemetry.collector_status(clock()).running:
        return None
    handle = BackgroundCollector()
    keeper = _ThreadRecords(handle.messages)
    handle._keeper = keeper
    for handler in list(log.handlers):
        flt = _NotMine(keeper)
        handler.addFilter(flt)
        handle._filters.append((handler, flt))
    log.addHandler(keeper)

    def run() -> None:
        keeper.thread_id = threading.get_ident()
        try:
            handle.collector = Collector(store, interval=interval, procfs=procfs, clock=clock)
            handle.cycles = handle.collector.run(handle.stop_event)
        except Exception as exc:  # the lock is taken, a bad setting, the store failed...
            handle.error = escape_control(str(exc))
            log.warning("background collector ended: %s", exc)
            if on_failure is not None and not handle.stop_event.is_set():
                on_failure(handle)

    handle.thread = threading.Thread(target=run, name="nodekeeper-collector", daemon=True)
    handle.thread.start()
    return handle
