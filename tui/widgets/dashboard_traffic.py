"""The traffic accounting chains: this period's total and, for services with a limit, how much
of it is used."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from core.store.dashboard import ChainUsage, DashboardSnapshot

from .dashboard_format import DASH, TablePanel, compact, set_border_title, usage_bar, usage_style
from .resource_table import Cell, Column, ResourceTable

PERIOD_WORD = {"hour": "this hour", "day": "today", "month": "this month"}


def used_cell(chain: ChainUsage) -> Cell:
    fraction = chain.used
    flagged = chain.status == "limit_exceeded"
    if fraction is None:
        return Cell("over limit" if flagged else "", style="bold red")
    style = usage_style(fraction, flagged=flagged)
    # The share first: where a narrow terminal cuts the column, it cuts the bar.
    return Cell(f"{fraction:>4.0%} {usage_bar(fraction, 5)}", style=style)


def chain_rows(chains: tuple[ChainUsage, ...]) -> dict[str, tuple[Cell, ...]]:
    return {
        c.chain: (
            Cell(c.chain),
            Cell(compact(c.value)),
            Cell(compact(c.limit) if c.limit else DASH, style="dim"),
            used_cell(c),
        )
        for c in chains
    }


class TrafficPanel(TablePanel):
    """The chains by name (not sortable: the sort marks' room would cost the Used column its
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
            Column("chain", "Chain"),
            Column("total", "Total", right=True),
            Column("limit", "Limit", right=True),
            Column("used", "Used"),
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
