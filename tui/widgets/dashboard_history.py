"""The last 24 hours, one group of columns per hour: average CPU and traffic (sent + received),
from the hourly rollups and, for the hour under way, the raw samples."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from core.store.dashboard import DashboardSnapshot, HourPoint

from .dashboard_chart import ScaledSparkline
from .dashboard_format import compact, percent, show_text


def hour_label(hour: int) -> str:
    return datetime.fromtimestamp(hour, UTC).strftime("%H:%M")


class HourAxis(Widget):
    """``02:00            01:00`` under the chart: the first and the current hour, aligned with
    the chart's first and last columns."""

    DEFAULT_CSS = """
    HourAxis {
        height: 1;
        color: $text-muted;
    }
    """

    hours: reactive[tuple[int, ...]] = reactive(())

    def render(self) -> Text:
        hours, width = self.hours, self.size.width
        if not hours:
            return Text("")
        first, last = hour_label(hours[0]), hour_label(hours[-1])
        if width < len(first) + len(last) + 1:
            return Text(last.rjust(width), no_wrap=True, end="")
        return Text(first + last.rjust(width - len(first)), no_wrap=True, end="")


class HistoryPanel(Vertical):
    BORDER_TITLE = "Last 24 hours (UTC)"

    DEFAULT_CSS = """
    HistoryPanel {
        height: 1fr;
        border: round $primary 50%;
        padding: 0 1;
    }
    HistoryPanel > .caption {
        height: 1;
        color: $text-muted;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    HistoryPanel > ScaledSparkline {
        height: 1fr;
        min-height: 1;
        max-height: 12;
    }
    """

    def __init__(self, *children: Widget, **kwargs: Any) -> None:
        super().__init__(*children, **kwargs)
        self.shown: tuple[HourPoint, ...] | None = None  # the hours drawn

    def compose(self) -> ComposeResult:
        yield Static("CPU avg/hour", markup=False, id="history-cpu-caption",
                     classes="caption")  # fmt: skip
        yield ScaledSparkline(floor=0, ceiling=100, stretch=True, id="history-cpu")
        yield Static("Traffic/hour", markup=False, id="history-net-caption",
                     classes="caption")  # fmt: skip
        yield ScaledSparkline(floor=0, stretch=True, id="history-net")
        yield HourAxis(id="history-axis")

    def show(self, snap: DashboardSnapshot) -> None:
        hours = snap.history
        if hours == self.shown:
            return  # the hourly figures did not change: nothing to redraw
        self.shown = hours
        cpu = [h.avg_cpu if h.samples else None for h in hours]
        net = [float(h.bytes_total) if h.samples or h.bytes_total else None for h in hours]
        peak_cpu = max((h.max_cpu for h in hours if h.max_cpu is not None), default=None)
        peak_net = max((h.bytes_total for h in hours), default=0)
        self.query_one("#history-cpu", ScaledSparkline).set_data(cpu, ceiling=100)
        self.query_one("#history-net", ScaledSparkline).set_data(net, ceiling=None)
        # The captions are one line each (height 1): no layout needed.
        show_text(
            self.query_one("#history-cpu-caption", Static),
            Text.assemble("CPU avg/hour", (f", peak {percent(peak_cpu)}", "dim"))
            if peak_cpu is not None
            else Text("CPU avg/hour: no samples"),
        )
        show_text(
            self.query_one("#history-net-caption", Static),
            Text.assemble("Traffic/hour", (f", peak {compact(peak_net)}", "dim"))
            if peak_net
            else Text("Traffic/hour: none"),
        )
        self.query_one(HourAxis).hours = tuple(h.hour for h in hours)
