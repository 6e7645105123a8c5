"""The Threats section: the node's IPs by threat score, with their counts and a bar of their
activity over the last 24 hours; Enter on an IP shows its events in the Logs section.

The rows come from ``store.threats.threats`` (the IP reputation ``store.threats.update`` derives
from the log events, scored for "now"), the activity from ``store.threats.activity`` (the shown
IPs' events per hour, one GROUP BY), and the trace patterns below them from
``store.threats.patterns``. It refreshes itself while shown, every ``interval`` seconds counted
from the end of the previous read (in a thread worker, never two at once; hidden, nothing is
read), and draws only the rows that changed.

Store text (an IP is whatever the log line held) is shown literally, control characters
escaped (``Cell``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from core import NodekeeperError
from core.store.threats import Pattern, Threat

from ..widgets.dashboard_chart import BARS, levels
from ..widgets.dashboard_format import DASH, TablePanel, set_border_title, usage_bar
from ..widgets.resource_table import Column, ResourceTable
from ..widgets.rounds import Rounds, ShownRows, Texts

LIMIT = 500  # IPs shown at most, the highest scores
MIN_SCORE = 1.0  # an IP scoring less (faded, exempted, only accepted logins) is no threat
PATTERNS = 20  # trace patterns shown at most, the most recently seen
HOURS = 24  # the activity bar: events per hour over the last HOURS hours
HOUR = 3600
BAR_WIDTH = 8
EMPTY = (
    "No threats. Threats come from log events: import them with nodekeeper logs import PATH, "
    "or run the collector with --log PATH."
)


def score_style(score: float) -> str:
    if score >= 70:
        return "bold red"
    if score >= 40:
        return "yellow"
    return "green"


def spark(counts: Sequence[int]) -> str:
    """One character per count, scaled to the largest (the shape of the activity); a blank
    for no events (``dashboard_chart.levels``: any event shows at least the lowest bar)."""
    top = max(counts, default=0)
    return "".join(BARS[levels(n, 0, top, 1) - 1] if n else " " for n in counts)


def ago(seconds: float) -> str:
    """How long ago, in its largest unit: ``45s ago``, ``12m ago``, ``3h ago``, ``2d ago``
    (at most 8 columns: at 80 the Seen column fits beside the activity bar)."""
    seconds = max(0, int(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"


def threat_texts(
    threats: list[Threat], activity: dict[str, list[int]], now: float
) -> dict[str, Texts]:
    """Each IP by address, as its row shows it (plain strings, made in the reading thread)."""
    rows = {}
    for t in threats:
        style = score_style(t.score)
        counts = activity.get(t.ip) or [0] * HOURS
        recent = sum(counts)
        rows[t.ip] = (
            (t.ip, "bold" if t.score >= 70 else ""),
            (f"{t.score:.1f}", style),
            (usage_bar(t.score / 100, BAR_WIDTH), style),
            *((str(n), "" if n else "dim") for n in (
                t.failed_logins, t.invalid_users, t.auth_failures, t.bans, t.firewall_blocks,
                t.accepted_logins,
            )),
            (str(recent), "" if recent else "dim"),
            (spark(counts), style),
            (ago(now - t.last_seen), ""),
            (ago(now - t.first_seen), "dim"),
        )  # fmt: skip
    return rows


def pattern_texts(patterns: list[Pattern], now: float) -> dict[str, Texts]:
    rows = {}
    for p in patterns[:PATTERNS]:
        key = p.signature.partition(":")[2] or p.signature
        rows[p.signature] = (
            (p.pattern_type.replace("_", " "), ""),
            (key, "bold"),
            (str(p.occurrence_count), ""),
            (str(p.metadata.get("peak", DASH)), "dim"),
            (ago(now - p.last_seen), ""),
        )
    return rows


@dataclass(frozen=True)
class Snapshot:
    """One read: the rows of the IPs and of the patterns, or the error."""

    threats: dict[str, Texts]
    activity: dict[str, list[int]]
    patterns: dict[str, Texts]
    error: str | None = None


def read_snapshot(store: Any, now: float) -> Snapshot:
    """The threats, their activity over the ``HOURS`` hours up to the end of the hour of
    ``now``, and the trace patterns."""
    found = store.threats.threats(min_score=MIN_SCORE, limit=LIMIT, now=now)
    until = int(now) - int(now) % HOUR + HOUR
    activity = store.threats.activity([t.ip for t in found], until - HOURS * HOUR, until, HOURS)
    patterns = store.threats.patterns()
    return Snapshot(threat_texts(found, activity, now), activity, pattern_texts(patterns, now))


class ThreatsView(Rounds, Widget):
    """The threats of ``store``'s node; see the module."""

    round_name = "threats round"

    DEFAULT_CSS = """
    ThreatsView {
        height: 1fr;
        layout: vertical;
    }
    ThreatsView > TablePanel {
        border: round $primary 50%;
    }
    ThreatsView > #threats-ips {
        height: 1fr;
    }
    ThreatsView > TablePanel > ResourceTable {
        height: auto;
        max-height: 100%;
    }
    ThreatsView > #threats-ips > ResourceTable {
        height: 1fr;
    }
    ThreatsView > #threats-patterns {
        height: auto;
        max-height: 35%;
    }
    ThreatsView > #threats-patterns.-empty {
        display: none;
    }
    ThreatsView > .error {
        height: auto;
        padding: 0 1;
        color: $error;
        display: none;
    }
    ThreatsView.-error > .error {
        display: block;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "open_ip", "Events")]

    class Read(Message):
        """A read ended (posted by the reading thread)."""

        def __init__(self, snapshot: Snapshot) -> None:
            super().__init__()
            self.snapshot = snapshot

    class OpenIp(Message):
        """Show the log events of ``ip`` (the Logs section, filtered)."""

        def __init__(self, ip: str) -> None:
            super().__init__()
            self.ip = ip

    def __init__(
        self,
        store: Any,
        *,
        interval: float = 5.0,
        clock: Callable[[], float] = time.time,
        **kwargs: Any,
    ) -> None:
        """``interval``: seconds between two reads (from the end of the previous one);
        ``clock``: "now", for the scores, the activity window and the ages."""
        super().__init__(**kwargs)
        self.store = store
        self.interval = interval
        self.clock = clock
        self.activity: dict[str, list[int]] = {}  # the last read's, per IP shown
        self._rows = {"ips": ShownRows(), "patterns": ShownRows()}

    def compose(self) -> ComposeResult:
        yield Static("", markup=False, classes="error")
        with TablePanel(id="threats-ips") as panel:
            panel.border_title = "Threats"
            yield ResourceTable(
                (
                    Column("ip", "IP", priority=1, width=15),
                    Column("score", "Score", numeric=True, priority=1),
                    Column("bar", "", numeric=True, priority=3),
                    Column("failed", "Failed", numeric=True, priority=2),
                    Column("invalid", "Invalid", numeric=True, priority=3),
                    Column("auth", "Auth", numeric=True, priority=4),
                    Column("bans", "Bans", numeric=True, priority=2),
                    Column("blocks", "Blocks", numeric=True, priority=4),
                    Column("accepted", "Accepted", numeric=True, priority=3),
                    Column("recent", "24h", numeric=True, priority=3),
                    Column("activity", "Per hour, 24h", numeric=True, priority=1),
                    Column("last", "Seen", numeric=True, priority=2),
                    Column("first", "First", numeric=True, priority=4),
                ),
                sortable=False,
                id="threats-table",
            )
            yield Static(EMPTY, markup=False, classes="empty-hint")
        with TablePanel(id="threats-patterns") as panel:
            panel.border_title = "Trace patterns"
            yield ResourceTable(
                (
                    Column("type", "Pattern", priority=1),
                    Column("key", "Key", priority=1),
                    Column("events", "Events", numeric=True, priority=1),
                    Column("peak", "Peak", numeric=True, priority=2),
                    Column("last", "Last seen", numeric=True, priority=2),
                ),
                sortable=False,
                show_cursor=False,
                id="threats-pattern-table",
            )

    @property
    def table(self) -> ResourceTable:
        return self.query_one("#threats-table", ResourceTable)

    @property
    def pattern_table(self) -> ResourceTable:
        return self.query_one("#threats-pattern-table", ResourceTable)

    def focus_table(self) -> None:
        self.table.focus()

    # -- reading

    @work(thread=True, group="threats", description="read the threats")
    def _read(self) -> None:
        try:
            snapshot = read_snapshot(self.store, self.clock())
        except NodekeeperError as exc:
            snapshot = Snapshot({}, {}, {}, error=str(exc))
        self.post_message(self.Read(snapshot))  # thread-safe; dropped once the view is gone

    def on_threats_view_read(self, message: Read) -> None:
        message.stop()
        self._apply(message.snapshot)
        self.round_ended()

    def _apply(self, snapshot: Snapshot) -> None:
        failed = snapshot.error is not None
        self.set_class(failed, "-error")
        if failed:  # the rows stay as last read; tried again at the next round
            self.query_one(".error", Static).update(f"Cannot read the threats: {snapshot.error}")
            return
        self.activity = snapshot.activity
        ips = self.query_one("#threats-ips", TablePanel)
        self._show(ips, "ips", snapshot.threats)
        count = len(snapshot.threats)
        more = "+" if count >= LIMIT else ""
        set_border_title(ips, f"Threats: {count}{more} IPs scoring {MIN_SCORE:g} or more"
                         if count else "Threats")  # fmt: skip
        patterns = self.query_one("#threats-patterns", TablePanel)
        self._show(patterns, "patterns", snapshot.patterns)
        set_border_title(patterns, f"Trace patterns: {len(snapshot.patterns)}")

    def _show(self, panel: TablePanel, name: str, texts: dict[str, Texts]) -> None:
        panel.set_class(not self._rows[name].show(panel.table, texts), "-empty")

    def action_open_ip(self) -> None:
        key = self.table.current_key
        if key is not None:
            self.post_message(self.OpenIp(key))
