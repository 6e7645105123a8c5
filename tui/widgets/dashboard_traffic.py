"""The traffic accounting chains: this period's total and, for services with a limit, how much
of it is used."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from core.store.dashboard import ChainUsage, DashboardSnapshot

from .dashboard_format import DASH, TablePanel, compact, set_border_title, usage_bar, usage_style
from .resource_table import Cell, Column, ResourceTable

PERIOD_WORD = {"hour": "this hour", "day": "today", "month": "this month"}


def used_cells(chain: ChainUsage) -> tuple[Cell, Cell]:
    """The share of the limit used, and the same as a bar (two columns: on a narrow terminal
    the bar goes, the number stays)."""
    fraction = chain.used
    flagged = chain.status == "limit_exceeded"
    if fraction is None:
        return Cell("over limit" if flagged else "", style="bold red"), Cell("")
    style = usage_style(fraction, flagged=flagged)
    return Cell(f"{fraction:.0%}", style=style), Cell(usage_bar(fraction, 5), style=style)


def chain_rows(chains: tuple[ChainUsage, ...]) -> dict[str, tuple[Cell, ...]]:
    """In the snapshot's order: the chains over their limit first."""
    return {
        c.chain: (
            Cell(c.chain),
            Cell(compact(c.value)),
            Cell(compact(c.limit) if c.limit else DASH, style="dim"),
            *used_cells(c),
        )
        for c in chains
    }


class TrafficPanel(TablePanel):
    """The chains in the snapshot's order, those over their limit first, so that they are in
    view on a 24-line terminal (not sortable: the sort marks' room would cost a column its
    place on an 80-column terminal)."""

    BORDER_TITLE = "Traffic"

    DEFAULT_CSS = """
    TrafficPanel {
        height: 1fr;
    }
    TrafficPanel > ResourceTable {
        height: 1fr;
    }
    """

    def compose(self) -> ComposeResult:
        columns = (
            Column("chain", "Chain", priority=1),
            Column("total", "Total", numeric=True, priority=1),
            Column("limit", "Limit", numeric=True),
            Column("used", "Used", numeric=True, priority=1),
            Column("bar", "", numeric=True, priority=3),
        )
        yield ResourceTable(columns, sortable=False)
        yield Static(
            "No traffic chains yet: the collector counts every interface and service chain.",
            markup=False,
            classes="empty-hint",
        )

    def show(self, snap: DashboardSnapshot) -> None:
        self.show_rows(chain_rows(snap.chains))
        set_border_title(self, f"Traffic {PERIOD_WORD.get(snap.period, 'this period')}")
