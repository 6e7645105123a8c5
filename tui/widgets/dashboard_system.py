"""CPU, memory, disk and load: the latest sample's numbers and the recent minutes as bars."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Static

from core.store.dashboard import DashboardSnapshot

from .dashboard_chart import ScaledSparkline
from .dashboard_format import DASH, age, compact, percent, set_border_title, show_text

STALE_AFTER = 30.0  # seconds: an older latest sample is labelled with its age


def usage_text(snap: DashboardSnapshot, metric: str) -> Text:
    """``cpu``, ``memory`` or ``disk``: the latest percentage in bold, then in dim the number of
    cores (CPU) or the total (memory, disk); a dash when there is no sample."""
    s = snap.system.latest
    value = None if s is None else getattr(s, f"{metric}_percent")
    if s is None or value is None:
        return Text(DASH)
    if metric == "cpu":
        context = f" ×{s.cpu_count}" if s.cpu_count else ""
    else:
        total = getattr(s, f"{metric}_total")
        context = f" of {compact(total)}" if total else ""
    return Text.assemble((percent(value), "bold"), (context, "dim"))


def disk_io_text(snap: DashboardSnapshot) -> Text:
    """Bytes read and written per second, compactly (the row's bars show them together)."""
    system = snap.system
    if system.disk_read_rate is None and system.disk_write_rate is None:
        return Text("")
    return Text.assemble(
        ("r ", "dim"),
        compact(system.disk_read_rate),
        (" w ", "dim"),
        compact(system.disk_write_rate),
    )


def load_text(snap: DashboardSnapshot) -> Text:
    s = snap.system.latest
    if s is None or s.load_1min is None:
        return Text(DASH)
    rest = " ".join(f"{v:.2f}" for v in (s.load_5min, s.load_15min) if v is not None)
    return Text.assemble((f"{s.load_1min:.2f}", "bold"), (f" {rest}" if rest else "", "dim"))


class SystemPanel(Vertical):
    """Four lines: CPU, Mem, Disk, Load; the bars span the recent minutes, the newest right (the
    disk's: bytes read and written per second, its rates at the end of the line)."""

    BORDER_TITLE = "System"

    DEFAULT_CSS = """
    SystemPanel {
        height: auto;
        border: round $primary 50%;
        padding: 0 0 0 1;
    }
    SystemPanel > Horizontal {
        height: 1;
    }
    SystemPanel .metric-label {
        width: 5;
        color: $text-muted;
    }
    SystemPanel .metric-value {
        width: 15;
        padding-right: 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    SystemPanel #disk-io {
        width: 14;  /* "r 977K w 1.5G": compact() takes at most 4 cells; no layout as it moves */
        padding-left: 1;
        text-align: right;
        text-wrap: nowrap;
    }
    """

    def compose(self) -> ComposeResult:
        for key, label, ceiling in (("cpu", "CPU", 100.0), ("memory", "Mem", 100.0),
                                    ("disk", "Disk", None), ("load", "Load", None)):  # fmt: skip
            with Horizontal(id=f"{key}-row"):
                yield Label(label, classes="metric-label")
                yield Static(DASH, markup=False, id=f"{key}-value", classes="metric-value")
                yield ScaledSparkline(floor=0, ceiling=ceiling, id=f"{key}-spark")
                if key == "disk":  # the rates behind the bars
                    yield Static("", markup=False, id="disk-io")

    def show(self, snap: DashboardSnapshot) -> None:
        # Only what changed is repainted, and nothing is laid out again: each value is one line
        # of a fixed width (.metric-value) or of what the row leaves (.metric-extra), no wrap.
        system = snap.system
        for key in ("cpu", "memory", "disk"):
            show_text(self.query_one(f"#{key}-value", Static), usage_text(snap, key))
        show_text(self.query_one("#load-value", Static), load_text(snap))
        show_text(self.query_one("#disk-io", Static), disk_io_text(snap))
        self.query_one("#cpu-spark", ScaledSparkline).set_data(system.cpu, ceiling=100)
        self.query_one("#memory-spark", ScaledSparkline).set_data(system.memory, ceiling=100)
        self.query_one("#disk-spark", ScaledSparkline).set_data(system.disk_io, ceiling=None)
        cores = system.latest.cpu_count if system.latest and system.latest.cpu_count else 1
        self.query_one("#load-spark", ScaledSparkline).set_data(
            system.load, ceiling=max([float(cores), *system.load])
        )
        set_border_title(self, self._title(snap))

    @staticmethod
    def _title(snap: DashboardSnapshot) -> str:
        latest = snap.system.latest
        if latest is None:
            return "System: no samples yet"
        since = snap.now - latest.timestamp
        if since > STALE_AFTER:
            return f"System: last sample {age(since)} ago"
        return f"System, last {snap.minutes} min"
