"""A section of the console: a DataTable of resources and a one-line hint when there are none."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

from rich.console import JustifyMethod
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from .safe import plain

Row = tuple[str, Sequence[object]]  # (row key, cell values)


class ResourcePanel(Vertical):
    """Rows keyed by resource name; subclasses give ``COLUMNS`` and ``EMPTY_HINT``.

    Every cell is rendered with ``safe.plain``: values are shown literally, never as markup.
    """

    COLUMNS: ClassVar[Sequence[tuple[str, str]]] = ()  # (column key, label)
    RIGHT_ALIGNED: ClassVar[frozenset[str]] = frozenset()  # column keys of numbers
    EMPTY_HINT: ClassVar[str] = "Nothing here yet."

    DEFAULT_CSS = """
    ResourcePanel {
        height: 1fr;
    }
    ResourcePanel > DataTable {
        height: 1fr;
    }
    ResourcePanel.-empty > DataTable {
        height: auto;
    }
    ResourcePanel > .empty-hint {
        display: none;
        padding: 1 1 0 1;
        color: $text-muted;
    }
    ResourcePanel.-empty > .empty-hint {
        display: block;
    }
    """

    def compose(self) -> ComposeResult:
        table: DataTable[Text] = DataTable(cursor_type="row", zebra_stripes=True)
        for key, label in self.COLUMNS:
            justify = "right" if key in self.RIGHT_ALIGNED else "left"
            table.add_column(Text(label, justify=justify), key=key)
        yield table
        yield Static(self.EMPTY_HINT, classes="empty-hint", markup=False)

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one(DataTable)

    @property
    def hint(self) -> Static:
        return self.query_one(".empty-hint", Static)

    def show_rows(self, rows: Iterable[Row]) -> None:
        """Replace the rows, keeping the cursor on the same resource when it is still there."""
        table = self.table
        selected: str | None = None
        if table.row_count:
            row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
            selected = row_key.value
        table.clear()
        justify: list[JustifyMethod | None] = [
            "right" if key in self.RIGHT_ALIGNED else None for key, _ in self.COLUMNS
        ]
        for key, cells in rows:
            table.add_row(
                *(plain(cell, justify=j) for cell, j in zip(cells, justify, strict=True)),
                key=key,
            )
        if selected is not None and selected in table.rows:
            table.move_cursor(row=table.get_row_index(selected), animate=False)
        self.set_class(table.row_count == 0, "-empty")
