"""The Fleet section: every node of the database, whether its collector is alive, its CPU and
memory now as bars, and what it holds; Enter opens the highlighted node, and every section then
shows that node's state.

Shown when the database holds more than one node. It refreshes itself while shown, every
``interval`` seconds counted from the end of the previous read (one statement for every node,
``store.nodes.list()``, in a thread worker; never two at once), and draws only the rows that
changed.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Static

from core import NodekeeperError
from core.store.nodes import NodeInfo

from ..widgets.dashboard_format import DASH, TablePanel, compact, percent, usage_bar, usage_style
from ..widgets.resource_table import Cell, Column, ResourceTable, same_cells

BAR_WIDTH = 8


def usage_cells(value: float | None) -> tuple[Cell, Cell]:
    """A percentage and its bar; a dash for a node with no sample now."""
    if value is None:
        return Cell(DASH, style="dim"), Cell("")
    style = usage_style(value / 100)
    return Cell(percent(value), style=style), Cell(usage_bar(value / 100, BAR_WIDTH), style=style)


def node_rows(nodes: list[NodeInfo], current: str, now: Any = None) -> dict[str, tuple[Cell, ...]]:
    """Each node by name: the node in use marked, a node that is down shown without "now"."""
    now = now or datetime.now(UTC)
    rows = {}
    for n in nodes:
        up = n.up(now)
        status = n.status(now)
        rows[n.name] = (
            Cell(("● " if n.name == current else "  ") + n.name, style="bold" if up else ""),
            Cell(status, style="green" if up else "bold red" if n.last_heartbeat else "dim"),
            *usage_cells(n.cpu_percent if up else None),
            *usage_cells(n.memory_percent if up else None),
            Cell(compact(n.memory_total) if n.memory_total else DASH, style="dim"),
            Cell(str(n.containers)),
            Cell(str(n.services)),
            Cell(str(n.over_limit), style="bold red" if n.over_limit else "dim"),
        )
    return rows


class FleetView(Widget):
    """The nodes of ``store``'s database; ``current()`` names the node the console shows."""

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
        self.rounds = 0  # reads done, for tests
        self._timer: Timer | None = None
        self._busy = False
        self._shown_rows: dict[str, tuple[Cell, ...]] = {}

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

    def on_show(self, _event: events.Show) -> None:
        if not self._busy:
            self.refresh_now()

    def on_unmount(self) -> None:
        if self._timer is not None:
            self._timer.stop()

    def refresh_now(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._busy = True
        self._read()

    @work(thread=True, group="fleet", exclusive=True, description="read the nodes")
    def _read(self) -> None:
        try:
            nodes: list[NodeInfo] | str = self.store.nodes.list()
        except NodekeeperError as exc:
            nodes = str(exc)
        with contextlib.suppress(RuntimeError):  # the console is closing
            self.app.call_from_thread(self._apply, nodes)

    def _apply(self, nodes: list[NodeInfo] | str) -> None:
        self._busy = False
        self.rounds += 1
        failed = isinstance(nodes, str)
        self.set_class(failed, "-error")
        if failed:
            # The rows stay as last read; the read is tried again at the next round.
            self.query_one(".error", Static).update(f"Cannot read the nodes: {nodes}")
        else:
            panel = self.query_one(TablePanel)
            now = datetime.fromtimestamp(self.clock(), UTC)
            rows = node_rows(nodes, self.current(), now)
            # A row shown as it was stays the very tuple drawn: the table draws it from its
            # cache (a steady node costs nothing to show again).
            before = self._shown_rows
            for key, cells in rows.items():
                old = before.get(key)
                if old is not None and same_cells(cells, old):
                    rows[key] = old
            self._shown_rows = rows
            panel.show_rows(rows)
            up = sum(n.up(now) for n in nodes)
            title = f"Nodes: {len(nodes)}, {up} up"
            if panel.border_title != title:
                panel.border_title = title
        if self.is_attached and self.display:
            self._timer = self.set_timer(self.interval, self._round, name="fleet round")

    def _round(self) -> None:
        self._timer = None
        if not self.is_on_screen:  # hidden: the next Show starts a round
            return
        self._busy = True
        self._read()

    def action_open_node(self) -> None:
        key = self.table.current_key
        if key is not None:
            self.post_message(self.OpenNode(key))
