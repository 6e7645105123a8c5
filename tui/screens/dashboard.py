"""The dashboard: live panels over the store, refreshed the way dolphie does it.

Panels: the collector line (its heartbeat), System (CPU, memory, disk, load with the recent
minutes as bars), Interfaces (bytes/s in and out), Traffic (the accounting chains' period
totals and the share of a service's limit used) and the last 24 hours.

Refreshing, one round at a time:

1. A timer fires (``interval`` seconds after the previous round *finished*, so rounds never
   overlap and a slow database slows the dashboard down rather than piling up reads).
2. On the main thread: when the view is not shown, the round ends there, no thread and no
   query; "shown" is ``is_shown()``: the view is displayed (its ``display`` and every
   ancestor's, so an inactive tab does not count), it was part of the last screen update
   (``is_on_screen``), and its screen is current (the app's screen, or one under a modal).
   When it is shown, a thread worker starts.
3. In the worker: ``ChangeWatcher.changed()`` (``PRAGMA data_version`` on SQLite); when the
   database did not change and the last snapshot is younger than ``max_age``, nothing is read,
   and the main thread only re-judges the collector line and the interfaces against the clock
   (a heartbeat ages, and an interface's last sample grows stale, without any write). Otherwise ``core.store.dashboard.snapshot()`` reads everything on one
   connection (the last 24 hours only every ``HISTORY_EVERY`` seconds) and hands it to the
   main thread, which renders it in one ``batch_update``, collector line included: only what
   changed is updated (a table only when its rows changed, a chart only in the columns that
   did), and the screen is laid out again only when a size may change.
4. When the worker has finished (``on_worker_state_changed``) the next timer is set.

The first round starts on mount, without waiting for the first frame (``_placed``). The
console reads the first snapshot ahead instead (``read_ahead``, on a thread started before the
App is built): done by the mount, as it usually is, it is shown then, in the first frame, and
the first round is over; not yet done, the first round waits for it. That round's end, however
it ended, is posted (``FirstRound``): the console then mounts its hidden sections.
Becoming shown again (``Show``) starts a round at once. Nothing here runs SQL: the snapshot and
the watcher live in ``core``. Store text is rendered as plain ``rich.text.Text``, escaped.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, replace
from typing import Any

from textual import events, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.css.query import NoMatches
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Static
from textual.worker import Worker, WorkerState, get_current_worker

from core import NodekeeperError
from core.store.dashboard import (
    ChangeWatcher,
    DashboardSnapshot,
    HourPoint,
    collector_status_at,
    interfaces_at,
    snapshot,
)
from core.text import escape_control

from ..widgets.dashboard_collector import CollectorLine
from ..widgets.dashboard_history import HistoryPanel
from ..widgets.dashboard_interfaces import InterfacesPanel
from ..widgets.dashboard_system import SystemPanel
from ..widgets.dashboard_traffic import TrafficPanel

GROUP = "dashboard-refresh"
MINUTES = 10  # the span of the recent series, by default
# How often the last 24 hours are read again while the hour under way goes on. Its average
# moves with every sample; following it every second would read five more queries and repaint
# the screen from the top panels down to the chart each round (Textual repaints the box around
# all of a frame's changes). A new hour, or the refresh key, reads them at once.
HISTORY_EVERY = 30.0  # seconds
NARROW = 100  # columns
FIRST_POLL = 0.005  # seconds: the first round's worker waits for the ancestors to mount
FIRST_ROUND_SWITCH_INTERVAL = 0.001  # seconds (Python's default: 0.005); see on_mount


class DashboardView(Widget):
    """The live dashboard of a store. Mount it anywhere; it refreshes itself while shown.

    ``clock`` gives "now" (unix seconds) for the snapshot and the ages shown; ``interval`` is
    the pause between refresh rounds; ``minutes`` the span of the recent series; ``max_age``
    how old a snapshot may get while the database does not change (a safety net: what is shown
    depends on the clock, the collector line and stale interfaces, is re-judged every round).
    """

    DEFAULT_CSS = """
    DashboardView {
        height: 1fr;
        layout: vertical;
    }
    DashboardView > #dashboard-top {
        height: auto;
    }
    DashboardView > #dashboard-bottom {
        height: 1fr;
        min-height: 8;
    }
    DashboardView SystemPanel {
        width: 1fr;
    }
    DashboardView InterfacesPanel {
        width: 1fr;
    }
    DashboardView TrafficPanel {
        width: 3fr;
    }
    DashboardView HistoryPanel {
        width: 2fr;
    }
    DashboardView TablePanel:focus-within {
        border: round $accent;  /* where ↑ ↓ PgUp PgDn go: Tab moves between the panels */
    }
    DashboardView.-narrow HistoryPanel {
        width: 28;  /* one column per hour: 24, the border and the padding */
    }
    DashboardView > .error {
        height: auto;
        padding: 0 1;
        color: $error;
        display: none;
    }
    DashboardView.-error > .error {
        display: block;
    }
    """

    class FirstRound(Message):
        """The first round has ended (its data shown, or its error), whatever it read: what
        waits for the dashboard's first frame may start (the app mounts its hidden sections)."""

    def __init__(
        self,
        store: Any,
        *,
        clock: Callable[[], float] = time.time,
        interval: float = 2.0,
        minutes: int = MINUTES,
        max_age: float = 60.0,
        console_collects: Callable[[], bool] = lambda: False,
        other_node: str | None = None,
        ahead: ReadAhead | None = None,
        **kwargs: Any,
    ) -> None:
        """``console_collects``: whether the console is starting its own collector or runs
        it (the collector line then says it is starting rather than advise to start one).
        ``other_node``: the node shown, when it is not the one the console was opened on.
        ``ahead``: the first snapshot, read ahead as the console starts (``read_ahead``): the
        first round takes it instead of reading."""
        super().__init__(**kwargs)
        self._ahead = ahead
        self.store = store
        self.console_collects = console_collects
        self.other_node = other_node
        self.clock = clock
        self.interval = interval
        self.minutes = minutes
        self.max_age = max_age
        self.snapshot: DashboardSnapshot | None = None
        self.error: str | None = None  # the last read's error, shown above the panels
        # Counters, for tests and the curious: rounds run in a worker, snapshots read,
        # snapshots rendered, rounds skipped on the main thread because the view was not shown.
        self.rounds = 0
        self.fetches = 0
        self.renders = 0
        self.hidden_rounds = 0
        self._watcher: ChangeWatcher | None = None
        self._timer: Timer | None = None
        self._busy = False  # a worker round is under way
        self._force = True  # the next round reads even when the watcher saw no change
        self._fetched_at: float | None = None  # time.monotonic() of the last read
        self._history_at: float | None = None  # clock() of the last read of the 24 hours
        self._switch_interval: float | None = None  # to restore after the first round
        self._skip_show = False  # see on_mount

    def compose(self) -> ComposeResult:
        yield CollectorLine(id="dashboard-collector")
        yield Static("", markup=False, classes="error", id="dashboard-error")
        with Horizontal(id="dashboard-top"):
            yield SystemPanel(id="dashboard-system")
            yield InterfacesPanel(id="dashboard-interfaces")
        with Horizontal(id="dashboard-bottom"):
            yield TrafficPanel(id="dashboard-traffic")
            yield HistoryPanel(id="dashboard-history")

    # -- the refresh loop

    def on_mount(self) -> None:
        self._watcher = ChangeWatcher(self.store)  # connects on first use, in a worker
        ahead, self._ahead = self._ahead, None
        if ahead is not None and ahead.future.done() and ahead.future.exception() is None:
            # Read while Textual started: shown now, in the first frame (no frame of empty
            # panels, no second repaint of the whole screen). The round ends as a worker's.
            self.rounds += 1
            self._force = False
            now, snap = ahead.future.result()
            self._took(now, snap)
            self._apply(snap)
            sys.setswitchinterval(ahead.switch_interval)
            self._skip_show = True  # the Show that follows the first frame: just read
            self.post_message(self.FirstRound())
            self._schedule()
            return
        # The first round starts now, not after the first frame (a layout and a render of the
        # whole app, ~0.2 s at start-up): its worker waits only until the DOM tells whether
        # the view is shown (see _placed), and the read overlaps the rest of the start.
        self._busy = True
        # While the first round reads, the main thread is busy mounting and drawing: the reader
        # thread, dropping the GIL for every query, would wait a switch interval (5 ms) to get
        # it back each time, ~0.25 s in all for a 20 ms read. A shorter interval until the
        # first round ends lets it finish in a fraction of that.
        if ahead is None:
            self._switch_interval = sys.getswitchinterval()
            sys.setswitchinterval(FIRST_ROUND_SWITCH_INTERVAL)
        else:  # set short by read_ahead already
            self._switch_interval = ahead.switch_interval
        self._read(self._force, first=True, ahead=ahead)

    def on_unmount(self) -> None:
        self._restore_switch_interval()
        self._cancel_timer()
        if self._watcher is not None:
            self._watcher.close()
            self._watcher = None

    def _restore_switch_interval(self) -> None:
        if self._switch_interval is not None:
            sys.setswitchinterval(self._switch_interval)
            self._switch_interval = None

    def on_resize(self, event: events.Resize) -> None:
        # Under 100 columns the 24-hour chart keeps one column per hour, the rest is traffic's.
        self.set_class(event.size.width < NARROW, "-narrow")

    def on_show(self, _event: events.Show) -> None:
        if self._skip_show:
            self._skip_show = False
            return
        if not self._busy:
            self._round()

    def is_shown(self) -> bool:
        """Whether the user can see the view (see the module docstring)."""
        try:
            return bool(
                self.is_attached
                and self.display
                and self.screen.is_current
                and self.is_on_screen
                and all(
                    node.display for node in self.ancestors_with_self if isinstance(node, Widget)
                )
            )
        except Exception:  # no screen (being removed): not shown
            return False

    def refresh_now(self) -> None:
        """Read the store at once, changed or not (the shell's "refresh" key)."""
        self._force = True
        if not self._busy:
            self._round()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _schedule(self) -> None:
        self._cancel_timer()
        if self.is_attached:
            self._timer = self.set_timer(self.interval, self._round, name="dashboard refresh")

    def _round(self) -> None:
        self._cancel_timer()
        if self._busy or not self.is_attached:
            return
        if not self.is_shown():
            self.hidden_rounds += 1
            self._schedule()
            return
        self._busy = True
        self._read(self._force)

    @work(thread=True, group=GROUP, exit_on_error=False, description="read the dashboard")
    def _read(self, force: bool, first: bool = False, ahead: ReadAhead | None = None) -> None:
        worker = get_current_worker()
        if first and not self._wait_until_placed(worker):
            return  # not shown: the timer's rounds go on, counted as hidden until it is
        self.rounds += 1
        watcher = self._watcher
        if watcher is None:  # unmounted meanwhile
            return
        try:
            changed = watcher.changed()
            fresh = (
                self._fetched_at is not None and time.monotonic() - self._fetched_at < self.max_age
            )
            if not (force or changed or not fresh):
                # Nothing to read, but the heartbeat aged: the collector line is judged again.
                self._hand_over(worker, self._age, None)
                return
            self._force = False
            if ahead is not None:  # the first round: read ahead, maybe not done yet
                now, snap = ahead.future.result()
                kept = None
            else:
                now = self.clock()
                kept = self._kept_history(now, force)
                snap = snapshot(self.store, now, minutes=self.minutes, history=kept)
            self._took(now, snap, kept)
        except Exception as exc:
            self._force = True  # the watcher already took note of the change: read next time
            with contextlib.suppress(Exception):
                watcher.reset()  # a new connection next round: this one may be what failed
            self._hand_over(worker, self._failed, _message(self.store, exc))
            return
        self._hand_over(worker, self._apply, snap)

    def _took(
        self, now: float, snap: DashboardSnapshot, kept: tuple[HourPoint, ...] | None = None
    ) -> None:
        """Note a snapshot read at ``now`` (``kept``: the history it was given to keep)."""
        if kept is None or snap.history is not kept:
            self._history_at = now
        self.fetches += 1
        self._fetched_at = time.monotonic()

    def _kept_history(self, now: float, force: bool) -> tuple[HourPoint, ...] | None:
        """The 24 hours shown, to show again without reading them (see HISTORY_EVERY)."""
        shown, read_at = self.snapshot, self._history_at
        if force or shown is None or read_at is None or now - read_at >= HISTORY_EVERY:
            return None
        return shown.history

    def _wait_until_placed(self, worker: Worker[None]) -> bool:
        """In the first round's worker: whether the view is shown, once the DOM can tell.

        Polled from this thread, not asked of the main thread: that one is busy mounting the
        other sections and drawing the first frame meanwhile, and would answer only after it.
        ``_placed`` only reads flags the main thread sets (mounted, display)."""
        while not worker.is_cancelled:
            placed = self._placed()
            if placed is not None:
                return placed
            time.sleep(FIRST_POLL)
        return False

    def _placed(self) -> bool | None:
        """``is_shown()`` before the first layout, when ``is_on_screen`` means nothing yet:
        None until every ancestor has mounted (they mount after us, and a TabbedContent hides
        its other panes in its own on_mount), then whether the view and its ancestors are
        displayed on the current screen."""
        try:
            if not self.is_attached:
                return False
            ancestors = [node for node in self.ancestors if isinstance(node, Widget)]
            if not all(node.is_mounted for node in ancestors):
                return None
            return self.screen.is_current and all(node.display for node in (self, *ancestors))
        except Exception:  # no screen (being removed): not shown
            return False

    def _hand_over(self, worker: Worker[None], callback: Callable[[Any], None], value: Any) -> None:
        if worker.is_cancelled:
            return
        with contextlib.suppress(RuntimeError):  # the app stopped while we were reading
            self.app.call_from_thread(callback, value)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != GROUP:
            return
        if event.state in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            event.stop()
            if self._switch_interval is not None:  # the first round's end, however it ended
                self.post_message(self.FirstRound())
            self._restore_switch_interval()
            self._busy = False
            self._schedule()

    # -- rendering (main thread)

    def _apply(self, snap: DashboardSnapshot) -> None:
        self.snapshot = snap
        self.error = None
        self.renders += 1
        try:
            with self.app.batch_update():
                self.set_class(False, "-error")
                self._show_collector(snap)
                self.query_one(SystemPanel).show(snap)
                self.query_one(InterfacesPanel).show(snap)
                self.query_one(TrafficPanel).show(snap)
                self.query_one(HistoryPanel).show(snap)
        except NoMatches:  # being removed
            return

    def _show_collector(self, snap: DashboardSnapshot) -> None:
        now = self.clock()
        with contextlib.suppress(NoMatches):
            self.query_one(CollectorLine).show(
                collector_status_at(snap.collector, now), now,
                console_collects=self.console_collects(), other_node=self.other_node,
            )  # fmt: skip

    def _age(self, _: None = None) -> None:
        """A round without a read: the collector line and the interfaces are judged against the
        clock again (a heartbeat ages, an interface's last sample grows stale, without any
        write). Done here, at the end of the round, rather than at its start: a round that
        reads shows them with the rest in one update."""
        snap = self.snapshot
        if snap is None:
            return
        self._show_collector(snap)
        interfaces = interfaces_at(snap.interfaces, self.clock(), snap.interval)
        with contextlib.suppress(NoMatches):
            self.query_one(InterfacesPanel).show(replace(snap, interfaces=interfaces))

    def _failed(self, message: str) -> None:
        self._age()
        self.error = message
        with contextlib.suppress(NoMatches):
            self.query_one("#dashboard-error", Static).update(message)
            self.set_class(True, "-error")


Reading = tuple[float, DashboardSnapshot]  # the clock's "now" and the snapshot read then


@dataclass(frozen=True)
class ReadAhead:
    """The dashboard's first snapshot, being read as the console starts (``read_ahead``)."""

    future: Future[Reading]
    switch_interval: float  # Python's, before the read shortened it: the first round restores it


def read_ahead(
    store: Any, *, clock: Callable[[], float] = time.time, minutes: int = MINUTES
) -> ReadAhead:
    """Start reading the dashboard's first snapshot on a thread of its own, now, as the
    console starts: the query runs while Textual composes the screen (SQLite leaves the GIL
    while it executes; the switch interval is short meanwhile, as for a first round), and
    ``DashboardView(ahead=...)`` shows it in its first frame when it is done by then (the
    first round waits for it otherwise). An error is the first round's: shown above the
    panels, and read again next round."""
    future: Future[Reading] = Future()

    def read() -> None:
        try:
            now = clock()
            future.set_result((now, snapshot(store, now, minutes=minutes)))
        except BaseException as exc:  # handed to the first round, which shows it
            future.set_exception(exc)

    ahead = ReadAhead(future, sys.getswitchinterval())
    sys.setswitchinterval(FIRST_ROUND_SWITCH_INTERVAL)
    threading.Thread(target=read, name="dashboard read ahead", daemon=True).start()
    return ahead


def _message(store: Any, exc: BaseException) -> str:
    if isinstance(exc, NodekeeperError):
        text = str(exc)
    else:  # a driver error core did not translate: its first line, not the SQL
        detail = getattr(exc, "orig", None) or exc
        first = str(detail).splitlines()[0] if str(detail) else type(detail).__name__
        text = f"cannot read {store.location.display}: {first}"
    return "dashboard: " + escape_control(text)
