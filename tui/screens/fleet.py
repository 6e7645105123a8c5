"""The Fleet section: every node of the database, whether its collector is alive, its CPU and
memory now as bars, and what it holds; Enter opens the highlighted node, and every section then
shows that node's state.

Shown when the database holds more than one node. It refreshes itself while shown, every
``interval`` seconds counted from the end of the previous read (one statement for every node,
``store.nodes.list()``, in a thread worker; never two at once), and draws only the rows that
changed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from core import NodekeeperError
from core.store.nodes import NodeInfo

from ..widgets.dashboard_format import (
    DASH,
    TablePanel,
    compact,
    percent,
    set_border_title,
    usage_bar,
    usage_style,
)
from ..widgets.resource_table import Column, ResourceTable
from ..widgets.rounds import Rounds, ShownRows, Texts

BAR_WIDTH = 8


def usage_texts(value: float | None) -> tuple[tuple[str, str], tuple[str, str]]:
    """A percentage and its bar; a dash for a node with no sample now."""
    if value is None:
        return (DASH, "dim"), ("", "")
    style = usage_style(value / 100)
    return (percent(value), style), (usage_bar(value / 100, BAR_WIDTH), style)


def node_texts(nodes: list[NodeInfo], current: str, now: datetime) -> dict[str, Texts]:
    """Each node by name, as its row shows it: the node in use marked, a node that is down
    shown without "now". Plain strings, made in the reading thread; compared with the last
    round's, only the rows that changed become cells."""
    rows = {}
    for n in nodes:
        up = n.up(now)
        rows[n.name] = (
            (("● " if n.name == current else "  ") + n.name, "bold" if up else ""),
            (n.status(now), "green" if up else "bold red" if n.last_heartbeat else "dim"),
            *usage_texts(n.cpu_percent if up else None),
            *usage_texts(n.memory_percent if up else None),
            (compact(n.memory_total) if n.memory_total else DASH, "dim"),
            (str(n.containers), ""),
            (str(n.services), ""),
            (str(n.over_limit), "bold red" if n.over_limit else "dim"),
        )
    return rows


class FleetView(Rounds, Widget):
    """The nodes of ``store``'s database; ``current()`` names the node the console shows."""

    round_name = "fleet round"

    DEFAULT_CSS = """
    FleetView {
        height: 1fr;
    }
    FleetView > TablePanel {
        height: 1fr;
        border: round $primary 50%;
    }
    FleetView > TablePanel > ResourceTable {
        height: 1fr;
    }
    FleetView > .error {
        height: auto;
        padding: 0 1;
        color: $error;
        display: none;
    }
    FleetView.-error > .error {
        display: block;
    }
    """

    BINDINGS = [Binding("enter", "open_node", "Open node")]

    class Read(Message):
        """A read of the nodes ended (posted by the reading thread): the nodes, or the error.
        A message rather than ``call_from_thread``, whose wrapping of each call made Textual
        inspect the callback's signature every round (a tenth of the section's CPU)."""

        def __init__(self, nodes: list[NodeInfo] | str, rows: dict[str, Texts], up: int) -> None:
            super().__init__()
            self.nodes = nodes
            self.rows = rows
            self.up = up  # how many are up, judged at the same "now" as the rows

    class OpenNode(Message):
        """Open node ``name``: every section shows its state from now on."""

        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    def __init__(
        self,
        store: Any,
        *,
        current: Callable[[], str],
        interval: float = 2.0,
        clock: Callable[[], float] = time.time,
        **kwargs: Any,
    ) -> None:
        """``current`` names the node the console shows; ``clock`` gives "now" (Unix seconds),
        against which a heartbeat is recent or not."""
        super().__init__(**kwargs)
        self.store = store
        self.current = current
        self.interval = interval
        self.clock = clock
        self._rows = ShownRows()
        self._lister = store.nodes.lister()  # a connection kept for the reads, every interval

    def compose(self) -> ComposeResult:
        yield Static("", markup=False, classes="error")
        with TablePanel(id="fleet-nodes") as panel:
            panel.border_title = "Nodes"
            yield ResourceTable(
                (
                    Column("node", "Node", priority=1),
                    Column("status", "Status", priority=1),
                    Column("cpu", "CPU", numeric=True, priority=1),
                    Column("cpu_bar", "", numeric=True, priority=2),
                    Column("memory", "Memory", numeric=True, priority=1),
                    Column("memory_bar", "", numeric=True, priority=2),
                    Column("memory_total", "Total", numeric=True, priority=4),
                    Column("containers", "Containers", numeric=True, priority=3),
                    Column("services", "Services", numeric=True, priority=3),
                    Column("over", "Over limit", numeric=True, priority=3),
                ),
                sortable=False,
            )
            yield Static("No nodes.", markup=False, classes="empty-hint")

    @property
    def table(self) -> ResourceTable:
        return self.query_one(ResourceTable)

    def focus_table(self) -> None:
        self.table.focus()

    def on_unmount(self) -> None:  # and Rounds' (its timer)
        self._lister.close()

    @work(thread=True, group="fleet", exclusive=True, description="read the nodes")
    def _read(self) -> None:
        rows: dict[str, Texts] = {}
        up = 0
        try:
            nodes: list[NodeInfo] | str = self._lister.list()
            now = datetime.fromtimestamp(self.clock(), UTC)
            rows = node_texts(nodes, self.current(), now)
            up = sum(n.up(now) for n in nodes)
        except NodekeeperError as exc:
            nodes = str(exc)
        self.post_message(self.Read(nodes, rows, up))  # thread-safe; dropped once the view is gone

    def on_fleet_view_read(self, message: Read) -> None:
        message.stop()
        self._apply(message.nodes, message.rows, message.up)
        self.round_ended()

    def _apply(self, nodes: list[NodeInfo] | str, texts: dict[str, Texts], up: int) -> None:
        failed = isinstance(nodes, str)
        self.set_class(failed, "-error")
        if failed:
            # The rows stay as last read; the read is tried again at the next round.
            self.query_one(".error", Static).update(f"Cannot read the nodes: {nodes}")
        else:
            panel = self.query_one(TablePanel)
            panel.set_class(not self._rows.show(panel.table, texts), "-empty")
            set_border_title(panel, f"Nodes: {len(nodes)}, {up} up")

    def action_open_node(self) -> None:
        key = self.table.current_key
        if key is not None:
            self.post_message(self.OpenNode(key))
