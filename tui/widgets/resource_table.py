"""A DataTable of resources keyed by name: sortable by any column, updated by diff.

``show(rows)`` compares the new rows with the ones on screen and only adds or updates what
changed (dolphie's pattern), then sorts and puts the cursor back on the same resource, so a
refresh neither flickers nor loses the user's place. When rows go away (a filter narrowing, a
delete) the table is rebuilt instead: DataTable re-indexes every row on each ``remove_row``, so
removing 1,800 of 2,000 rows one by one takes seconds, and rebuilding takes milliseconds. Sorting: click a column header (again to
reverse it) or press ``s`` to cycle through the columns; the sorted column's header shows
``▲``/``▼``. Cells are ``Cell``s: escaped plain text that also carries the value it sorts by (a
size sorts as bytes, not as "1.0 KiB").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, JustifyMethod
from rich.measure import Measurement
from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

from .safe import text_of

SortKey = tuple[int, Any, str]


def sort_key(value: object) -> SortKey:
    """How a cell value sorts: empty values last, numbers and dates by value, text ignoring case."""
    if value is None or value == "":
        return (1, 0, "")
    if isinstance(value, bool | int | float):
        return (0, value, "")
    if isinstance(value, datetime):
        return (0, value.timestamp(), "")
    if isinstance(value, list | tuple):
        value = ", ".join(map(str, value))
    return (0, 0, str(value).casefold())


class Cell(Text):
    """A table cell: ``value`` shown literally (controls escaped) and the key it sorts by."""

    def __init__(
        self,
        value: object,
        *,
        sort: object = None,
        justify: JustifyMethod | None = None,
        style: str = "",
    ) -> None:
        shown = ", ".join(map(str, value)) if isinstance(value, list | tuple) else value
        super().__init__(
            text_of(shown), style=style, justify=justify, no_wrap=True, overflow="ellipsis", end=""
        )
        self.sort_key = sort_key(value if sort is None else sort)

    @property
    def width(self) -> int:
        """Cells of the terminal it takes: one line (controls escaped, no wrap)."""
        return cell_len(self.plain)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        # DataTable measures the cells it adds or updates. Text's own measure splits the text
        # into lines and words; a cell is one line: its width is its minimum and its maximum.
        return Measurement(self.width, self.width)

    def same_as(self, other: Text) -> bool:
        return (
            isinstance(other, Cell)
            and self.plain == other.plain
            and self.style == other.style
            and self.sort_key == other.sort_key
        )


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    right: bool = False  # numbers: right-aligned


Rows = Mapping[str, Sequence[Cell]]  # row key -> cells in column order


class ResourceTable(DataTable[Text]):
    """Rows keyed by resource name; ``show()`` diffs, ``sort_by()``/``cycle_sort()`` sort."""

    class SortChanged(Message):
        def __init__(self, table: ResourceTable) -> None:
            super().__init__()
            self.table = table

    def __init__(self, columns: Sequence[Column], **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.specs = list(columns)
        self.sort_column = self.specs[0].key
        self.sort_reverse = False
        self._shown: dict[str, tuple[Cell, ...]] = {}
        for spec in self.specs:
            self.add_column(self._label(spec), key=spec.key)

    # -- reading

    @property
    def current_key(self) -> str | None:
        """The key of the row under the cursor, or None when the table is empty."""
        if not self.row_count:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return row_key.value

    def shown_keys(self) -> list[str]:
        """Row keys in the order shown."""
        return [row.key.value for row in self.ordered_rows if row.key.value is not None]

    def cell_text(self, key: str, column: str) -> str:
        return self.get_cell(key, column).plain

    # -- updating

    def show(self, rows: Rows) -> None:
        """Make the table show exactly ``rows``, changing only what differs; keep the cursor on
        the same resource when it is still there (else on the same line). A row given as the
        very tuple of cells shown already is taken as unchanged without comparing its cells."""
        selected = self.current_key
        line = self.cursor_row
        if any(key not in rows for key in self._shown):
            self._rebuild(rows)
        else:
            changed = False
            for key, cells in rows.items():
                cells = tuple(cells)
                old = self._shown.get(key)
                if old is cells:
                    continue
                if old is None:
                    self.add_row(*cells, key=key)
                    changed = True
                else:
                    for spec, before, after in zip(self.specs, old, cells, strict=True):
                        if not after.same_as(before):
                            self.update_cell(key, spec.key, after, update_width=True)
                            changed = True
                self._shown[key] = cells
            if changed:
                self._apply_sort()
        self._put_cursor(selected, line)

    def _rebuild(self, rows: Rows) -> None:
        """Show ``rows`` from scratch (see the module docstring). Column widths only grow, as
        with ``show``: the columns keep their place while a filter narrows and widens."""
        self.clear()
        self._shown = {}
        widths = [column.content_width for column in self.ordered_columns]
        for key, cells in rows.items():
            self._shown[key] = cells = tuple(cells)
            self.add_row(*cells, key=key)
            widths = [max(width, cell.width) for width, cell in zip(widths, cells, strict=True)]
        # DataTable would measure every cell of every added row on its next idle, through
        # Rich (about 20 µs a cell: a quarter of a second for 2,000 rows of six); a Cell knows
        # its width, so the columns are widened here and DataTable is told the rows are known.
        # (A private attribute of DataTable: textual is pinned, and test_resource_table checks
        # the widths after a rebuild.)
        for column, width in zip(self.ordered_columns, widths, strict=True):
            column.content_width = width
        self._new_rows.clear()
        self._apply_sort()

    def _put_cursor(self, selected: str | None, line: int) -> None:
        if not self.row_count:
            return
        if selected is not None and selected in self._shown:
            row = self.get_row_index(selected)
        else:
            row = min(line, self.row_count - 1)
        if row != self.cursor_row:
            self.move_cursor(row=row, animate=False)

    def select(self, key: str) -> bool:
        """Put the cursor on ``key``; False when it is not shown."""
        if key not in self._shown:
            return False
        self.move_cursor(row=self.get_row_index(key), animate=False)
        return True

    # -- sorting

    def sort_by(self, column: str, reverse: bool | None = None) -> None:
        """Sort by ``column``; the same column again reverses the order."""
        if reverse is None:
            reverse = not self.sort_reverse if column == self.sort_column else False
        self.sort_column, self.sort_reverse = column, reverse
        selected = self.current_key
        self._apply_sort()
        self._put_cursor(selected, self.cursor_row)
        self.post_message(self.SortChanged(self))

    def cycle_sort(self) -> None:
        """Sort by the next column (ascending), wrapping around."""
        keys = [spec.key for spec in self.specs]
        following = keys[(keys.index(self.sort_column) + 1) % len(keys)]
        self.sort_by(following, reverse=False)

    @property
    def sort_label(self) -> str:
        spec = next(s for s in self.specs if s.key == self.sort_column)
        return f"{spec.label} {'▼' if self.sort_reverse else '▲'}"

    def _apply_sort(self) -> None:
        first = self.specs[0].key
        if self.sort_column == first:
            self.sort(first, key=lambda cell: cell.sort_key, reverse=self.sort_reverse)
        else:  # ties in the order of the first column (the name)
            self.sort(
                self.sort_column,
                first,
                key=lambda cells: (cells[0].sort_key, cells[1].sort_key),
                reverse=self.sort_reverse,
            )
        for spec in self.specs:
            self.columns[spec.key].label = self._label(spec)  # type: ignore[index]
        self._update_count += 1  # header labels changed: drop DataTable's render caches
        self.refresh()

    def _label(self, spec: Column) -> Text:
        mark = ""
        if spec.key == getattr(self, "sort_column", None):
            mark = " ▼" if self.sort_reverse else " ▲"
        # Room for the mark is kept in every header, so sorting never changes column widths.
        if spec.right:
            return Text((mark[::-1] or "  ") + spec.label, justify="right", no_wrap=True)
        return Text(spec.label + (mark or "  "), no_wrap=True)

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        if event.column_key.value is not None:
            self.sort_by(event.column_key.value)
