"""One kind of resource on every node of the fleet: the section's table with a Node column first
(``a`` in a resource section of a database of several nodes). Read-only: Enter opens the node of
the highlighted row, with the cursor on that resource, where it can be edited; Escape goes back.

Each node's listing is read as its section reads it (``Kind.read_columns`` through the store seen
as that node), all in one ``store.reading()``, in a thread worker; its rows are the section's
(``KindRows``), a row's key being ``node`` and the resource's key joined by a tab.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import chain, repeat
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from core import NodekeeperError, Store
from core.kinds import Kind
from core.table import cell_len
from core.text import escape_control

from ..widgets.resource_table import Cell, Column, ResourceTable, TableRows, sort_keys_of
from .kind_rows import KindRows

SEPARATOR = "\t"  # between the node and the resource's key in a row key: in neither


def row_key(node: str, key: str) -> str:
    return f"{node}{SEPARATOR}{key}"


def split_key(key: str) -> tuple[str, str]:
    node, _, resource = key.partition(SEPARATOR)
    return node, resource


class NodesRows(TableRows):
    """The rows of one kind on several nodes: each node's ``KindRows``, a Node cell first."""

    def __init__(self, listings: Sequence[tuple[str, KindRows]]) -> None:
        self.listings = list(listings)
        self._of: dict[str, tuple[str, KindRows, str]] = {}
        for node, rows in self.listings:
            for key in rows:
                self._of[row_key(node, key)] = (node, rows, key)

    def __getitem__(self, key: str) -> object:
        node, rows, resource = self._of[key]
        return (node, rows[resource])

    def __iter__(self) -> Iterator[str]:
        return iter(self._of)

    def __len__(self) -> int:
        return len(self._of)

    def cells(self, key: str) -> tuple[Cell, ...]:
        node, rows, resource = self._of[key]
        return (Cell(node), *rows.cells(resource))

    def drawn(self, key: str) -> Iterator[tuple[str, bool, str]]:
        node, rows, resource = self._of[key]
        return chain([(escape_control(node), False, "")], rows.drawn(resource))

    def widths(self) -> list[int]:
        if not self._of:
            return []
        nodes = max(cell_len(escape_control(node)) for node, _ in self.listings)
        each = [rows.widths() for _, rows in self.listings if len(rows)]
        return [nodes, *(max(column) for column in zip(*each, strict=True))]

    def sort_keys(self, column: int) -> dict[str, Any]:
        if column == 0:
            keys = dict(
                zip(self._of, sort_keys_of([n for n, _, _ in self._of.values()]), strict=True)
            )
            return keys
        found: dict[str, Any] = {}
        for node, rows in self.listings:
            by_resource = rows.sort_keys(column - 1)
            found.update(
                zip(map(row_key, repeat(node), by_resource), by_resource.values(), strict=True)
            )
        return found


class FleetListing(ModalScreen[tuple[str, str] | None]):
    """``kind`` on every node of ``store``'s database; dismissed with (node, key) to open, or
    None."""

    DEFAULT_CSS = """
    FleetListing {
        background: $background;
    }
    FleetListing > #fleet-listing-title {
        height: 1;
        padding: 0 1;
        text-style: bold;
    }
    FleetListing > ResourceTable {
        height: 1fr;
    }
    FleetListing > #fleet-listing-status {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open on its node"),
        Binding("escape,a", "close", "Back"),
        Binding("s", "sort", "Sort"),
    ]

    def __init__(self, store: Store, kind: Kind[Any]) -> None:
        super().__init__()
        self.store = store
        self.kind = kind
        self.rows: NodesRows | None = None

    def compose(self) -> ComposeResult:
        yield Static(f"{self.kind.title} on every node", id="fleet-listing-title", markup=False)
        columns = [Column("node", "Node", priority=1, width=8)] + [
            Column(c.key, c.header, c.numeric, c.priority, c.width, fixed=c.whole)
            for c in self.kind.columns
        ]
        yield ResourceTable(columns)
        yield Static("reading every node…", id="fleet-listing-status", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    @property
    def table(self) -> ResourceTable:
        return self.query_one(ResourceTable)

    def on_mount(self) -> None:
        self.table.focus()
        self._read()

    @work(thread=True, exclusive=True, description="read every node")
    def _read(self) -> None:
        try:
            with self.store.reading():
                listings = [
                    (node, KindRows(self.kind, self.kind.read_columns(view)))
                    for node, view in self.store.nodes.views()
                ]
        except NodekeeperError as exc:
            self.app.call_from_thread(self._failed, str(exc))
            return
        self.app.call_from_thread(self._show, NodesRows(listings))

    def _show(self, rows: NodesRows) -> None:
        self.rows = rows
        self.table.show(rows)
        nodes = sum(1 for _, each in rows.listings if len(each))
        self.query_one("#fleet-listing-status", Static).update(
            f"{len(rows)} {self.kind.plural} on {nodes} of {len(rows.listings)} nodes · "
            "Enter opens the node of the highlighted row"
        )

    def _failed(self, message: str) -> None:
        self.query_one("#fleet-listing-status", Static).update(f"cannot read: {message}")

    def action_open(self) -> None:
        key = self.table.current_key
        if key is not None:
            self.dismiss(split_key(key))

    def action_close(self) -> None:
        self.dismiss(None)

    def action_sort(self) -> None:
        self.table.cycle_sort()
