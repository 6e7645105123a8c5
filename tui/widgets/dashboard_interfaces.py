"""Traffic rate per interface: bytes per second in and out, and the recent minutes as bars.

An interface without a recent sample (``InterfaceRate.stale``, judged in core) shows no rate,
only ``stale``: its last rates are not what it does now."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from core.store.dashboard import DashboardSnapshot, InterfaceRate

from .dashboard_chart import BARS, columns
from .dashboard_format import DASH, TablePanel, compact
from .resource_table import Cell, Column, ResourceTable

TREND_WIDTH = 8
TOTAL_KEY = "\x00total"  # no interface name can be this row key (names have no controls)


def trend(values: tuple[float, ...], width: int = TREND_WIDTH) -> str:
    """A one-line bar chart of ``values`` from 0 to their maximum, newest at the right."""
    cols = columns(values, width)
    top = max((v for v in cols if v is not None), default=0.0)
    bars = "".join(
        " " if v is None else BARS[min(7, int(v / top * 7.999))] if top > 0 else BARS[0]
        for v in cols
    )
    return bars.rjust(width)


def interface_rows(interfaces: tuple[InterfaceRate, ...]) -> dict[str, tuple[Cell, ...]]:
    """The total ("all") first, then the interfaces by name, as the snapshot has them."""
    rows = {}
    for i in interfaces:
        name = Cell("all", style="bold italic") if i.is_total else Cell(i.interface)
        if i.stale:
            rates = (
                Cell(DASH, style="dim"),
                Cell(DASH, style="dim"),
                Cell("stale", style="yellow"),
            )
        else:
            both = tuple(rx + tx for rx, tx in zip(i.rx_series, i.tx_series, strict=True))
            rates = (Cell(compact(i.rx_rate)), Cell(compact(i.tx_rate)),
                     Cell(trend(both), style="cyan"))  # fmt: skip
        rows[TOTAL_KEY if i.is_total else i.interface] = (name, *rates)
    return rows


class InterfacesPanel(TablePanel):
    BORDER_TITLE = "Interfaces, bytes/s"

    DEFAULT_CSS = """
    InterfacesPanel {
        height: auto;
        min-height: 6;
    }
    InterfacesPanel > ResourceTable {
        height: auto;
        max-height: 12;
    }
    """

    def compose(self) -> ComposeResult:
        columns = (
            Column("interface", "Interface", priority=1),
            Column("in", "In", numeric=True),
            Column("out", "Out", numeric=True),
            Column("trend", "Trend", numeric=True, priority=3),
        )
        yield ResourceTable(columns, sortable=False, show_cursor=False)
        yield Static("", markup=False, classes="empty-hint")

    def show(self, snap: DashboardSnapshot) -> None:
        self.show_rows(
            interface_rows(snap.interfaces),
            hint=f"No network samples in the last {snap.minutes} minutes.",
        )
