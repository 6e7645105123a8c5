"""The Logs section: the node's log events, the newest at the bottom, paged from the store.

From the top: the filter line (``/``: words of the message, and ``level:``, ``source:``,
``action:``, ``ip:``, ``user:``, ``since:``, ``until:``), a histogram of the events per hour
(the filter's, over as many hours as it has columns, up to the newest event), the list, and the
highlighted event's detail with its trace.

Paging: the list holds a window of at most ``KEEP`` events (``PAGE`` a read). Moving the cursor
near an end of the window reads the next page that way by keyset (``store.logs.events`` with
``before`` or ``after`` the key of the window's first or last event: one range of an index,
however deep), and the far end of the window is dropped. ``Home`` reads the oldest page,
``End`` the latest.

Following: every ``interval`` seconds, counted from the end of the previous read, while the
section is shown, ``store.logs.newer`` reads what was stored since the last event seen. With the
cursor on the newest event (``End``), those events are appended and the cursor stays on the
newest; scrolled up, they are only counted ("N new", as less and lnav say), and the window stays
where it is. Reads run in a thread worker, one at a time (a read asked for meanwhile waits for
it), and post their result to the main thread. Nothing here talks SQL.

Store text is shown literally, control characters escaped (``tui/widgets/log_lines.py``,
``DetailPane``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, Static

from core import NodekeeperError
from core.store.logs import EventFilter, StoredEvent
from core.text import escape_control
from core.times import parse_time

from ..widgets.dashboard_chart import ScaledSparkline
from ..widgets.detail_pane import Detail, DetailPane
from ..widgets.filter_input import FilterInput
from ..widgets.log_lines import LogLines, LogRow, log_row

PAGE = 200  # events a read
KEEP = 3 * PAGE  # the most events the list holds
HOUR = 3600
FILTER_FIELDS = ("level", "source", "action", "ip", "user", "since", "until")
LEVEL_STEPS = (None, "error", "warning", "notice")  # what "l" goes through
FILTER_DELAY = 0.4  # seconds after the last keystroke in the filter line: it applies
OLDEST = (-(2**62), 0)  # a key before every event's: "after" it is the oldest page
HINT = "/ words  level:warning  source:auth.log  action:ban  ip:203.0.113.9  since:-1h"


def parse_filter(text: str, *, now: float) -> EventFilter:
    """The filter line as an ``EventFilter``: ``field:value`` for the fields of
    ``FILTER_FIELDS``, the other words the text searched. A ``ValidationError`` for an unknown
    level or action, or a time ``parse_time`` does not read."""
    given: dict[str, Any] = {}
    words = []
    for token in text.split():
        name, colon, value = token.partition(":")
        if colon and value and name.lower() in FILTER_FIELDS:
            name = name.lower()
            if name in ("since", "until"):
                given[name] = parse_time(value, now=now, zone=UTC, option=name)
            else:
                given[name] = value.lower() if name in ("level", "action") else value
        else:
            words.append(token)
    return EventFilter(text=" ".join(words) or None, **given)


def with_field(text: str, name: str, value: str | None) -> str:
    """The filter line ``text`` with ``name:value`` in place of any ``name:`` it had
    (``None``: without one)."""
    kept = [t for t in text.split() if t.partition(":")[0].lower() != name]
    if value is not None:
        kept.append(f"{name}:{value}")
    return " ".join(kept)


READING = object()  # the trace of the event shown is being read


def event_detail(event: StoredEvent, trace: Any = READING) -> Detail:
    """Every field of ``event``, its metadata, and its trace (``store.traces.for_event``: a
    Trace, None for none, ``READING`` while it is read)."""
    when = datetime.fromtimestamp(event.timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    detail = Detail()
    detail.field("Time", when)
    detail.field("Level", event.level)
    detail.field("Source", event.source)
    detail.field("Host", event.host)
    detail.field("Program", event.program)
    detail.field("PID", event.pid)
    detail.field("IP", event.ip)
    detail.field("User", event.user)
    detail.field("Action", event.action)
    detail.field("Message", event.message)
    detail.heading("Metadata")
    detail.fields({str(k): v for k, v in (event.metadata or {}).items()})
    detail.heading("Trace")
    if trace is READING:
        detail.line("reading…", "dim")
    elif trace is None:
        detail.line(
            "no trace recorded (the collector traces live security and error events)", "dim"
        )
    else:
        trace_detail(detail, trace)
    return detail


def trace_detail(detail: Detail, trace: Any) -> None:
    """A trace's process, connections and error facts, as they were read at ``traced_at``."""
    detail.field("Traced at", datetime.fromtimestamp(trace.traced_at, UTC).strftime("%H:%M:%S UTC"))
    if trace.root_cause:
        detail.field("Root cause", trace.root_cause)
    for p in trace.processes:
        detail.field(
            "Process", f"{p.pid} {p.name or '?'} ({p.state or '?'})",
            f"{p.num_threads} threads, RSS {p.memory_rss:,} B" if p.memory_rss is not None else "",
        )  # fmt: skip
        if p.cmdline:
            detail.field("Command", p.cmdline)
    if trace.connections:
        detail.heading("Connections", len(trace.connections))
        for c in trace.connections:
            remote = f" → {c.remote_ip}:{c.remote_port}" if c.remote_ip else ""
            detail.line(f"{c.protocol or '?'} {c.local_ip}:{c.local_port}{remote} {c.state or ''}")
    for e in trace.errors:
        detail.field("Error", f"{e.error_category}: {e.error_type}")
        for hint in e.root_cause_hints:
            detail.field("Likely cause", hint)
        for step in e.recovery_suggestions:
            detail.field("What to do", step)


@dataclass(frozen=True)
class Histogram:
    """Events per hour: ``counts[i]`` in the hour starting ``start + i * HOUR``; ``buckets``
    as ``store.logs.count_by("hour", ...)`` gives them (hours without events left out)."""

    start: int
    counts: tuple[int, ...]
    buckets: tuple[tuple[int, int], ...]


def read_histogram(store: Any, f: EventFilter, newest: int, columns: int) -> Histogram:
    """The histogram of ``f`` over the ``columns`` hours up to the one of ``newest``."""
    start = newest - newest % HOUR - (columns - 1) * HOUR
    buckets = tuple(
        (int(at), n) for at, n in store.logs.count_by("hour", replace(f, since=start, until=None))
    )
    counts = [0] * columns
    for at, n in buckets:
        index = (at - start) // HOUR
        if 0 <= index < columns:
            counts[index] += n
    return Histogram(start, tuple(counts), buckets)


class LogsView(Widget):
    """The log events of ``store``'s node; see the module."""

    DEFAULT_CSS = """
    LogsView {
        height: 1fr;
        layout: vertical;
    }
    LogsView > #logs-bar {
        height: 1;
    }
    LogsView > #logs-bar > FilterInput {
        width: 1fr;
    }
    LogsView > #logs-bar > #logs-status {
        width: auto;
        padding: 0 0 0 1;
        color: $text-warning;
    }
    LogsView > #logs-histogram {
        height: 2;
        width: 1fr;
        margin: 0 1;
    }
    LogsView > #logs-caption {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    LogsView > .error {
        height: auto;
        padding: 0 1;
        color: $error;
        display: none;
    }
    LogsView.-error > .error {
        display: block;
    }
    LogsView > .empty-hint {
        height: 1fr;
        padding: 0 1;
        color: $text-muted;
        display: none;
    }
    LogsView.-empty > .empty-hint {
        display: block;
    }
    LogsView.-empty > LogLines {
        display: none;
    }
    LogsView > DetailPane {
        height: 40%;
        min-height: 4;
    }
    LogsView.-zoom > DetailPane {
        height: 70%;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("l", "level", "Level"),
        Binding("i", "this_ip", "This IP"),
        Binding("enter", "zoom", "Detail"),
        Binding("end", "latest", "Follow", key_display="End"),
        Binding("home", "oldest", "Oldest", show=False),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("shift+down", "scroll_detail(1)", "Detail down", show=False),
        Binding("shift+up", "scroll_detail(-1)", "Detail up", show=False),
        Binding("shift+pagedown", "page_detail(1)", "Detail page down", show=False),
        Binding("shift+pageup", "page_detail(-1)", "Detail page up", show=False),
    ]

    class Read(Message):
        """A read ended (posted by the reading thread)."""

        def __init__(
            self,
            gen: int,
            kind: str,
            rows: list[LogRow],
            last_id: int | None = None,
            error: str | None = None,
            seconds: float = 0.0,
        ) -> None:
            super().__init__()
            self.seconds = seconds  # the store's reads took
            self.gen = gen
            self.kind = kind
            self.rows = rows
            self.last_id = last_id
            self.error = error

    class TraceRead(Message):
        def __init__(self, event_id: int, trace: Any) -> None:
            super().__init__()
            self.event_id = event_id
            self.trace = trace

    class HistogramRead(Message):
        def __init__(self, gen: int, histogram: Histogram | str, seconds: float) -> None:
            super().__init__()
            self.seconds = seconds
            self.gen = gen
            self.histogram = histogram

    def __init__(
        self,
        store: Any,
        *,
        interval: float = 2.0,
        clock: Callable[[], float] = time.time,
        **kwargs: Any,
    ) -> None:
        """``interval``: seconds between two reads of the new events (counted from the end of
        the previous read); ``clock``: "now", for relative times in the filter."""
        super().__init__(**kwargs)
        self.store = store
        self._shown_event: StoredEvent | None = None  # the event the detail shows
        self.interval = interval
        self.clock = clock
        self.filter = EventFilter()
        self.filter_text = ""  # the filter line applied
        self.at_start = False  # the window holds the oldest event of the filter
        self.at_end = False  # ... and the newest
        self.last_id = 0  # the last event stored that following has seen
        self.new_events = 0  # stored since, not shown (scrolled up): "N new"
        self.histogram: Histogram | None = None
        self.loaded = False  # the first page was shown
        self.reads = 0  # reads applied, for tests
        self.read_seconds = 0.0  # what the store took for the last one, for benchmarks
        self.histogram_seconds = 0.0  # ... and for the last histogram
        self._gen = 0  # bumped by each new filter: a read of an older one is dropped
        self._busy = False
        self._queued: str | None = None
        self._timer: Timer | None = None
        self._filter_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="logs-bar"):
            yield FilterInput(
                placeholder=HINT, id="logs-filter", compact=True, select_on_focus=False
            )
            yield Static("", markup=False, id="logs-status")
        yield Static("", markup=False, classes="error", id="logs-error")
        yield ScaledSparkline([], id="logs-histogram")
        yield Static("", markup=False, id="logs-caption")
        yield LogLines(keep=KEEP, id="logs-lines")
        yield Static("", markup=False, classes="empty-hint", id="logs-empty")
        yield DetailPane(id="logs-detail")

    @property
    def lines(self) -> LogLines:
        return self.query_one(LogLines)

    @property
    def detail(self) -> DetailPane:
        return self.query_one(DetailPane)

    @property
    def filter_input(self) -> Input:
        return self.query_one("#logs-filter", Input)

    @property
    def following(self) -> bool:
        """Whether new events are shown as they come: the cursor is on the newest event."""
        return self.at_end and self.lines.at_last

    def focus_table(self) -> None:
        self.lines.focus()

    # -- reading

    def on_show(self, _event: events.Show) -> None:
        if not self.loaded:
            self._request("latest")
        elif not self._busy:
            self._request("follow")

    def on_unmount(self) -> None:
        for timer in (self._timer, self._filter_timer):
            if timer is not None:
                timer.stop()

    def refresh_now(self) -> None:
        """``r``: the latest page again (and the histogram)."""
        self._request("latest")

    def _request(self, kind: str) -> bool:
        """Read ``kind`` (latest, oldest, older, newer, follow) now, or once the read under way
        has ended (the last asked for wins; following waits behind a page). The key of an
        older or newer page is the window's when the read starts: a page asked for twice
        while one was read is not read twice. Returns whether a read started."""
        if self._busy:
            if kind != "follow" or self._queued is None:
                self._queued = kind
            return False
        rows = self.lines.rows
        key = None
        if kind in ("older", "newer"):
            if not rows or (self.at_start if kind == "older" else self.at_end):
                return False  # read meanwhile
            key = rows[0].event.key if kind == "older" else rows[-1].event.key
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._busy = True
        self._read(self._gen, kind, self.filter, key, self.last_id)
        return True

    @work(thread=True, group="logs", description="read log events")
    def _read(self, gen: int, kind: str, f: EventFilter, key: Any, last_id: int) -> None:
        logs = self.store.logs
        started = time.perf_counter()
        try:
            new_last = None
            if kind == "latest":
                new_last = logs.last_id()  # first: what is stored after it is followed
                found = logs.events(f, limit=PAGE)
            elif kind == "oldest":
                found = logs.events(f, limit=PAGE, after=OLDEST)
            elif kind == "older":
                found = logs.events(f, limit=PAGE, before=key)
            elif kind == "newer":
                found = logs.events(f, limit=PAGE, after=key)
            else:  # follow: what was stored since ``last_id``
                top = logs.last_id()  # first: an event stored meanwhile is read next round
                found = [] if top == last_id else logs.newer(last_id, f, limit=PAGE)
                new_last = max((e.id for e in found), default=last_id)
                if len(found) < PAGE:  # those the filter left out are seen too
                    new_last = max(new_last, top)
            seconds = time.perf_counter() - started
            message = self.Read(gen, kind, [log_row(e) for e in found], new_last, seconds=seconds)
        except NodekeeperError as exc:
            message = self.Read(gen, kind, [], error=str(exc))
        self.post_message(message)

    @work(thread=True, group="logs-histogram", exclusive=True, description="count log events")
    def _read_histogram(self, gen: int, f: EventFilter, newest: int, columns: int) -> None:
        started = time.perf_counter()
        try:
            histogram: Histogram | str = read_histogram(self.store, f, newest, columns)
        except NodekeeperError as exc:
            histogram = str(exc)
        self.post_message(self.HistogramRead(gen, histogram, time.perf_counter() - started))

    def on_logs_view_read(self, message: Read) -> None:
        message.stop()
        self._busy = False
        if message.gen == self._gen:
            self._apply(message)
        queued, self._queued = self._queued, None
        if queued is not None and self._request(queued):
            return
        if self.is_attached and self.display:
            self._timer = self.set_timer(self.interval, self._round, name="logs round")

    def _round(self) -> None:
        self._timer = None
        if not self.is_on_screen:  # hidden: the next Show reads
            return
        self._request("follow")

    def _apply(self, message: Read) -> None:
        self.reads += 1
        self.read_seconds = message.seconds
        self.set_class(message.error is not None, "-error")
        if message.error is not None:
            self.query_one("#logs-error", Static).update(
                f"Cannot read the log events: {message.error}"
            )
            return
        lines, rows, kind = self.lines, message.rows, message.kind
        if kind in ("latest", "oldest"):
            lines.show(rows, cursor=None if kind == "latest" else 0)
            self.at_end = kind == "latest" or len(rows) < PAGE
            self.at_start = kind == "oldest" or len(rows) < PAGE
            if kind == "latest":
                self.last_id = message.last_id or 0
                self.new_events = 0
                self.loaded = True
                self._histogram(rows)
        elif kind == "older":
            if lines.prepend(rows):
                self.at_end = False
            self.at_start = len(rows) < PAGE
        elif kind == "newer":
            if lines.append(rows):
                self.at_start = False
            self.at_end = len(rows) < PAGE
            if self.at_end:
                self.new_events = 0
        else:
            self._followed(message)
        self._say()

    def _followed(self, message: Read) -> None:
        rows = message.rows
        self.last_id = max(self.last_id, message.last_id or 0)
        if not rows:
            return
        lines = self.lines
        newest = lines.rows[-1].event.key if lines.rows else (-(2**62), 0)
        in_order = all(a.event.key < b.event.key for a, b in zip(rows, rows[1:], strict=False))
        if self.following and len(rows) < PAGE and in_order and rows[0].event.key > newest:
            if lines.append(rows, follow=True):
                self.at_start = False
            self._histogram(lines.rows)
        elif self.following:  # many, or out of time order: the latest page again
            self._queued = "latest"
        else:
            self.at_end = False
            self.new_events += len(rows)

    def _histogram(self, rows: list[LogRow]) -> None:
        if not rows:
            self.histogram = None
            self.query_one(ScaledSparkline).set_data([])
            self.query_one("#logs-caption", Static).update("")
            return
        columns = self.query_one(ScaledSparkline).size.width or 60
        self._read_histogram(self._gen, self.filter, rows[-1].event.timestamp, columns)

    def on_logs_view_histogram_read(self, message: HistogramRead) -> None:
        message.stop()
        if message.gen != self._gen:
            return
        caption = self.query_one("#logs-caption", Static)
        if isinstance(message.histogram, str):
            caption.update(f"Cannot count the events: {message.histogram}")
            return
        h = self.histogram = message.histogram
        self.histogram_seconds = message.seconds
        self.query_one(ScaledSparkline).set_data([c or None for c in h.counts])
        first = datetime.fromtimestamp(h.start, UTC).strftime("%m-%d %H:00")
        last = datetime.fromtimestamp(h.start + (len(h.counts) - 1) * HOUR, UTC)
        caption.update(
            f"{first} … {last:%m-%d %H:00} UTC, per hour: "
            f"{sum(h.counts):,} events, at most {max(h.counts, default=0):,}"
        )

    def _say(self) -> None:
        """The status (following, or how many new events) and the empty list's hint."""
        empty = not self.lines.rows
        self.set_class(empty, "-empty")
        if empty:
            self.query_one("#logs-empty", Static).update(
                "No event matches the filter (Escape clears it)." if self.filter_text
                else "No log events stored (nodekeeper logs import PATH, or the collector)."
            )  # fmt: skip
        if self.new_events:
            status = f"{self.new_events:,}{'+' if self.new_events >= PAGE else ''} new ↓ End"
        elif self.following:
            status = "following"
        else:
            status = ""
        self.query_one("#logs-status", Static).update(status)

    # -- the list

    def on_log_lines_moved(self, message: LogLines.Moved) -> None:
        message.stop()
        row = message.row
        self.detail.show(event_detail(row.event) if row is not None else Detail())
        self._shown_event = row.event if row is not None else None
        if row is not None:
            self._read_trace(row.event.id)
        self._say()

    @work(thread=True, group="logs-trace", exclusive=True, description="read an event's trace")
    def _read_trace(self, event_id: int) -> None:
        try:
            trace = self.store.traces.for_event(event_id)
        except NodekeeperError:
            trace = None  # the list says when the store cannot be read
        self.post_message(self.TraceRead(event_id, trace))

    def on_logs_view_trace_read(self, message: TraceRead) -> None:
        message.stop()
        event = self._shown_event
        if event is not None and event.id == message.event_id:
            self.detail.show(event_detail(event, message.trace))

    def on_log_lines_edge(self, message: LogLines.Edge) -> None:
        message.stop()
        self._request("older" if message.older else "newer")

    def action_latest(self) -> None:
        self.lines.focus()
        if self.at_end:
            self.lines.move_to(len(self.lines.rows) - 1)
            self._say()
        else:
            self._request("latest")

    def action_oldest(self) -> None:
        self.lines.focus()
        if self.at_start:
            self.lines.move_to(0)
        else:
            self._request("oldest")

    def action_zoom(self) -> None:
        self.toggle_class("-zoom")

    def action_scroll_detail(self, lines: int) -> None:
        self.detail.scroll_relative(y=lines, animate=False)

    def action_page_detail(self, direction: int) -> None:
        self.detail.scroll_page(direction)

    # -- the filter

    def action_filter(self) -> None:
        self.screen.set_focus(self.filter_input)

    def action_level(self) -> None:
        now = self.filter.level if self.filter.level in LEVEL_STEPS else None
        step = LEVEL_STEPS[(LEVEL_STEPS.index(now) + 1) % len(LEVEL_STEPS)]
        self._set_filter(with_field(self.filter_text, "level", step))

    def action_this_ip(self) -> None:
        row = self.lines.current
        ip = row.event.ip if row is not None else None
        if self.filter.ip is not None:
            ip = None  # pressed again: every IP
        elif ip is None:
            self.notify("This event has no IP address.", timeout=3)
            return
        self._set_filter(with_field(self.filter_text, "ip", ip))

    def show_ip(self, ip: str) -> None:
        """Only the events of ``ip``, the latest first in view (the Threats section's Enter):
        the filter line then reads ``ip:ADDR``. Set as it is, not parsed from the line: an IP
        is whatever the log line held (the line shows it with control characters escaped)."""
        if self._filter_timer is not None:
            self._filter_timer.stop()
            self._filter_timer = None
        text = f"ip:{escape_control(ip)}"
        with self.prevent(Input.Changed):
            self.filter_input.value = text
        self.set_class(False, "-error")
        f = EventFilter(ip=ip)
        if f == self.filter and self.loaded:
            return
        self.filter, self.filter_text = f, text
        self._gen += 1
        self._queued = None
        self._request("latest")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear_filter":
            return bool(self.filter_text) or self.filter_input.has_focus
        return True

    def action_clear_filter(self) -> None:
        self._set_filter("")
        self.lines.focus()

    def _set_filter(self, text: str) -> None:
        with self.prevent(Input.Changed):
            self.filter_input.value = text
        self.apply_filter(text)

    @on(Input.Changed, "#logs-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._filter_timer is not None:
            self._filter_timer.stop()
        self._filter_timer = self.set_timer(
            FILTER_DELAY, lambda: self.apply_filter(self.filter_input.value)
        )

    @on(Input.Submitted, "#logs-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.apply_filter(event.value)
        self.lines.focus()

    def apply_filter(self, text: str) -> None:
        """Show the latest events of the filter line ``text`` (unchanged: nothing is read)."""
        if self._filter_timer is not None:
            self._filter_timer.stop()
            self._filter_timer = None
        try:
            f = parse_filter(text, now=self.clock())
        except NodekeeperError as exc:
            self.set_class(True, "-error")
            self.query_one("#logs-error", Static).update(str(exc))
            return
        self.set_class(False, "-error")
        if f == self.filter and self.loaded:
            return
        self.filter, self.filter_text = f, text.strip()
        self._gen += 1
        self._queued = None
        self._request("latest")
