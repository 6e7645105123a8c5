"""The traffic accounting chains: this period's total and, for services with a limit, how much
of it is used."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from core.store.dashboard import ChainUsage, DashboardSnapshot

from .dashboard_format import DASH, Row, compact, literal, sync_rows, usage_bar, usage_style

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


class TrafficPanel(Vertical):
    BORDER_TITLE = "Traffic"

    DEFAULT_CSS = """
    TrafficPanel {
        height: 1fr;
        border: round $primary 50%;
    }
    TrafficPanel > DataTable {
        height: 1fr;
    }
    TrafficPanel > .empty-hint {
        padding: 0 1;
        color: $text-muted;
        display: none;
    }
    TrafficPanel.-empty > .empty-hint {
        display: block;
    }
    TrafficPanel.-empty > DataTable {
        display: none;
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

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one(DataTable)

    def show(self, snap: DashboardSnapshot) -> None:
        sync_rows(self.table, chain_rows(snap.chains))
        self.set_class(not snap.chains, "-empty")
        self.border_title = f"Traffic {PERIOD_WORD.get(snap.period, 'this period')}"
