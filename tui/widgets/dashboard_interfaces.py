"""Traffic rate per interface: bytes per second in and out, and the recent minutes as bars."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from core.store.dashboard import DashboardSnapshot, InterfaceRate

from .dashboard_chart import BARS, columns
from .dashboard_format import Row, TablePanel, compact, literal

TREND_WIDTH = 8
TOTAL_KEY = "\x00total"  # no interface name can be this row key (names have no controls)


def trend(values: tuple[float, ...], width: int = TREND_WIDTH) -> Text:
    """A one-line bar chart of ``values`` from 0 to their maximum, newest at the right."""
    cols = columns(values, width)
    top = max((v for v in cols if v is not None), default=0.0)
    bars = "".join(
        " " if v is None else BARS[min(7, int(v / top * 7.999))] if top > 0 else BARS[0]
        for v in cols
    )
    return Text(bars.rjust(width), style="cyan", no_wrap=True, end="")


def interface_rows(interfaces: tuple[InterfaceRate, ...]) -> list[Row]:
    rows = []
    for i in interfaces:
        both = tuple(rx + tx for rx, tx in zip(i.rx_series, i.tx_series, strict=True))
        name = Text("all", style="bold italic") if i.is_total else literal(i.interface)
        key = TOTAL_KEY if i.is_total else i.interface
        rows.append(
            (
                key,
                (
                    name,
                    Text(compact(i.rx_rate), justify="right", end=""),
                    Text(compact(i.tx_rate), justify="right", end=""),
                    trend(both),
                ),
            )
        )
    return rows


class InterfacesPanel(TablePanel):
    BORDER_TITLE = "Interfaces, bytes/s"

    DEFAULT_CSS = """
    InterfacesPanel {
        height: auto;
        min-height: 6;
    }
    InterfacesPanel > DataTable {
        height: auto;
        max-height: 12;
    }
    """

    def compose(self) -> ComposeResult:
        table: DataTable[Text] = DataTable(cursor_type="row", show_cursor=False)
        table.add_column("Interface", key="interface")
        table.add_column(Text("In", justify="right"), key="in")
        table.add_column(Text("Out", justify="right"), key="out")
        table.add_column("Trend", key="trend", width=TREND_WIDTH)
        yield table
        yield Static("", markup=False, classes="empty-hint")

    def show(self, snap: DashboardSnapshot) -> None:
        self.show_rows(
            interface_rows(snap.interfaces),
            hint=f"No network samples in the last {snap.minutes} minutes.",
        )
