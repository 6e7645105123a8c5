"""The traffic accounting chains: this period's total and, for services with a limit, how much
of it is used."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from core.store.dashboard import ChainUsage, DashboardSnapshot

from .dashboard_format import (
    DASH,
    Row,
    TablePanel,
    compact,
    literal,
    set_border_title,
    usage_bar,
    usage_style,
)

PERIOD_WORD = {"hour": "this hour", "day": "today", "month": "this month"}


def used_cell(chain: ChainUsage) -> Text:
    fraction = chain.used
    if fraction is None:
        flagged = chain.status == "limit_exceeded"
        return Text("over limit" if flagged else "", style="bold red", end="")
    style = usage_style(fraction, flagged=chain.status == "limit_exceeded")
    return Text.assemble((usage_bar(fraction, 5), style), " ", (f"{fraction:>4.0%}", style), end="")


def chain_rows(chains: tuple[ChainUsage, ...]) -> list[Row]:
    return [
        (
            c.chain,
            (
                literal(c.chain),
                Text(compact(c.value), justify="right", end=""),
                Text(compact(c.limit) if c.limit else DASH, justify="right", style="dim", end=""),
                used_cell(c),
            ),
        )
        for c in chains
    ]


class TrafficPanel(TablePanel):
    BORDER_TITLE = "Traffic"

    DEFAULT_CSS = """
    TrafficPanel {
        height: 1fr;
    }
    TrafficPanel > DataTable {
        height: 1fr;
    }
    """

    def compose(self) -> ComposeResult:
        table: DataTable[Text] = DataTable(cursor_type="row", zebra_stripes=True)
        table.add_column("Chain", key="chain")
        table.add_column(Text("Total", justify="right"), key="total")
        table.add_column(Text("Limit", justify="right"), key="limit")
        table.add_column("Used", key="used")
        yield table
        yield Static(
            "No traffic chains yet: the collector counts every interface and service chain.",
            markup=False,
            classes="empty-hint",
        )

    def show(self, snap: DashboardSnapshot) -> None:
        self.show_rows(chain_rows(snap.chains))
        set_border_title(self, f"Traffic {PERIOD_WORD.get(snap.period, 'this period')}")
