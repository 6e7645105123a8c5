"""The table of a resource section (and of the dashboard's panels): rows keyed by name, sortable
by any column, drawn line by line.

Why not Textual's DataTable: with 2,000 containers, DataTable renders every visible cell through
Rich and drops its caches on any change, re-indexes every row on each ``remove_row`` and measures
every cell of every row added. A filter keystroke cost 150-500 ms. This table keeps the keys of
its rows in their order in a list and draws only the lines on screen (Textual's Line API), each
from the cells' plain text with one style: a keystroke costs one pass over the keys in sorted
order and about 50 short lines.

The rows come as ``TableRows``: a mapping of row key to what the row is drawn from, which gives
a row's cells only when the table draws it, and what sorting and the column widths need
column by column. A section of 20,000 containers thus holds no Cell per value (that was
120,000 objects to build, and for the garbage collector to walk): ``tui.screens.kind_rows``
keeps the texts of its rows; a dashboard panel passes its few rows as cells (``CellRows``).

``show(rows, shown)`` replaces the rows (only those in ``shown`` on screen: a filter's matches),
sorts them when they are new rows, and keeps the cursor on the same resource, so a refresh
neither flickers nor loses the user's place; a row that is the very object drawn before is not
drawn again. Sorting: click a column header (again to reverse it) or press ``s`` to cycle
through the columns (``S`` reverses the order); the sorted column's header shows ``▲``/``▼``.

Column widths: a column is as wide as its widest cell seen (its natural width), which never
shrinks, so the columns keep their place while a filter narrows and widens. When the table is
narrower than its columns (an 80-column terminal), ``fit_widths`` decides, in this one place for
every section and dashboard panel, from what each ``Column`` declares: numbers are never cut
(a numeric column is shown whole or not at all), the least important columns are dropped, then
text columns narrowed, least important first, their values cut with an ellipsis, never silently.
Cells are ``Cell``s: escaped plain text with one style, carrying the value they sort by (a size
sorts as bytes, not as "1.0 KiB"). A panel's table may keep the rows in the order given
(``sortable=False``) and show no cursor (``show_cursor=False``): it still takes the focus (Tab),
where the cursor keys scroll its rows instead, so that rows below a short panel can be reached.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, ClassVar

from rich.console import JustifyMethod
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from core.table import PADDING, cell_len, fit_widths, fitted

from .safe import text_of

SortKey = tuple[int, Any, str]
LINE_CACHE = 400  # drawn rows kept, at most: a few screens, for a filter narrowing and widening
NO_STYLE = Style()


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


def sort_keys_of(values: Sequence[object]) -> list[SortKey] | list[str]:
    """How each of a column's values sorts (``sort_key``); when every value is text, none
    empty (names), the text alone casefolded: the same order, without a tuple per row."""
    if set(map(type, values)) == {str} and "" not in values:  # in C: no loop in Python
        return list(map(str.casefold, values))  # type: ignore[arg-type]
    return list(map(sort_key, values))


class Cell:
    """A table cell: ``value`` shown literally (controls escaped; never parsed as markup), in
    one style, with the key it sorts by. Slotted: a section holds thousands of them."""

    __slots__ = ("justify", "plain", "sort_key", "style")

    def __init__(
        self,
        value: object,
        *,
        sort: object = None,
        justify: JustifyMethod | None = None,
        style: str = "",
    ) -> None:
        shown = ", ".join(map(str, value)) if isinstance(value, list | tuple) else value
        self.plain = text_of(shown)
        self.style = style
        self.justify = justify
        self.sort_key = sort_key(value if sort is None else sort)

    @property
    def width(self) -> int:
        """Cells of the terminal it takes: one line (controls escaped, no wrap)."""
        return cell_len(self.plain)

    def same_as(self, other: object) -> bool:
        return (
            isinstance(other, Cell)
            and self.plain == other.plain
            and self.style == other.style
            and self.sort_key == other.sort_key
        )

    def __repr__(self) -> str:
        return f"Cell({self.plain!r}, style={self.style!r})"


@dataclass(frozen=True)
class Column:
    """A table column.

    ``numeric``: its values are numbers (sizes, counts, rates, a share's bar): right-aligned
    and never cut; on a narrow terminal the column is shown whole or dropped. ``priority``:
    how much it matters when the columns do not fit, 1 the most (a row's name: kept whole while
    a less important column can be dropped instead), higher numbers dropped and narrowed
    first. The first column is never dropped."""

    key: str
    label: str
    numeric: bool = False
    priority: int = 2
    width: int | None = None  # the narrowest its values may be cut to (None: core.table's 8)
    fixed: bool = False  # a value of a fixed format (a date, a fingerprint): whole or dropped

    @property
    def whole(self) -> bool:
        return self.numeric or self.fixed


Rows = Mapping[str, Sequence[Cell]]  # row key -> cells in column order
# Which rows to show: given every row key in the order of the sort, those to show, in order.
Select = Callable[[list[str]], list[str]]


def same_cells(row: Sequence[Cell], other: Sequence[Cell]) -> bool:
    """Whether two rows show the same (cell for cell, ``Cell.same_as``)."""
    return len(row) == len(other) and all(a.same_as(b) for a, b in zip(row, other, strict=True))


class TableRows(Mapping[str, object]):
    """The rows a table shows: row key -> what the row is drawn from, in the order given.

    The table asks for a row's ``cells`` only when it draws the row, and for every row's sort
    keys and the widest cell of each column one column at a time. While ``rows[key]`` is the
    very object it drew a line from, the table draws that line from its cache."""

    @abstractmethod
    def cells(self, key: str) -> Sequence[Cell]:
        """The cells of a row, in column order."""

    def drawn(self, key: str) -> Iterator[tuple[str, bool, str]]:
        """What a line shows of each cell: (text, right-aligned, style)."""
        return ((cell.plain, cell.justify == "right", cell.style) for cell in self.cells(key))

    @abstractmethod
    def widths(self) -> list[int]:
        """The widest cell of each column (its natural width, the header aside); [] when
        there are no rows."""

    @abstractmethod
    def sort_keys(self, column: int) -> Mapping[str, Any]:
        """How each row sorts by ``column`` (the index of a column): ``sort_keys_of``."""

    def order(self, column: int, reverse: bool) -> list[str]:
        """The row keys sorted by ``column``, ties in the order of the first column (the name),
        then in the order given."""
        # Two stable sorts instead of one by (column, name) pairs: the sort keys are looked up
        # by dict.__getitem__, no pair is built per row. reverse=True keeps equal keys in
        # their order, so the first pass's order of ties survives the second.
        order = sorted(self, key=self.sort_keys(0).__getitem__, reverse=reverse)
        if column:
            order.sort(key=self.sort_keys(column).__getitem__, reverse=reverse)
        return order


class CellRows(TableRows):
    """Rows given as their cells (a dashboard panel's few rows); ``rows[key]`` is the row's
    tuple of cells."""

    def __init__(self, rows: Rows) -> None:
        self._rows = {key: tuple(cells) for key, cells in rows.items()}

    def __getitem__(self, key: str) -> tuple[Cell, ...]:
        return self._rows[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def cells(self, key: str) -> tuple[Cell, ...]:
        return self._rows[key]

    def widths(self) -> list[int]:
        columns = zip(*self._rows.values(), strict=True)
        return [max(cell.width for cell in column) for column in columns]

    def sort_keys(self, column: int) -> dict[str, Any]:
        return {key: cells[column].sort_key for key, cells in self._rows.items()}


@lru_cache(maxsize=256)
def _style(style: str) -> Style:
    return Style.parse(style) if style else Style()


class ResourceTable(ScrollView, can_focus=True):
    """Rows keyed by resource name; ``show()`` replaces them, ``sort_by()``/``cycle_sort()``
    sort; see the module docstring."""

    class SortChanged(Message):
        def __init__(self, table: ResourceTable) -> None:
            super().__init__()
            self.table = table

    class RowHighlighted(Message):
        """The cursor is on another row (``key``; None when the table went empty)."""

        def __init__(self, table: ResourceTable, key: str | None) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> ResourceTable:
            return self.table

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "resource-table--header",
        "resource-table--even-row",
        "resource-table--cursor",
    }

    # The look of DataTable's (theme variables), so the console looks as it did.
    DEFAULT_CSS = """
    ResourceTable {
        background: $surface;
        color: $foreground;
        & > .resource-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        & > .resource-table--even-row {
            background: $surface-lighten-1 50%;
        }
        & > .resource-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:dark > .resource-table--even-row {
            background: $surface-darken-1 40%;
        }
        &:focus {
            background-tint: $foreground 5%;
            & > .resource-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
    }
    """

    def __init__(
        self,
        columns: Sequence[Column],
        *,
        sortable: bool = True,
        show_cursor: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        # Without sorting the rows keep the order given (a header click does nothing); without
        # a cursor no row is highlighted and the keys scroll the rows (a read-only panel).
        self.sortable = sortable
        self.show_cursor = show_cursor
        self.specs = list(columns)
        self.sort_column = self.specs[0].key
        self.sort_reverse = False
        self._rows: TableRows = CellRows({})
        self._sorted: list[str] = []  # every row key, in the order of the sort
        self._shown: Select | None = None  # which rows to show (None: every row)
        self._order: list[str] = []  # row keys in the order shown
        self._headers = [cell_len(self._label(spec).plain) for spec in self.specs]
        self._widths = list(self._headers)  # natural: the widest cell seen, header included
        self._drawn: list[int | None] = []  # as drawn (fit_widths), None for a column dropped
        self._fitted_for: tuple[int, tuple[int, ...]] | None = None  # (room, natural widths)
        self.cursor_row = 0
        self._highlighted: str | None = None  # the key the last RowHighlighted named
        # Drawn rows, by (row key, look): what they were drawn from (rows[key]) and the line.
        self._lines: dict[tuple[str, int], tuple[object, Strip]] = {}
        self._styles: tuple[Style, Style, Style, Style] | None = None  # of the last frame
        self._cached_widths: list[int | None] = []  # the column widths the drawn rows have
        self._frame: tuple[int, int, int] | None = None  # while drawing: width, scroll x and y

    # -- reading

    @property
    def row_count(self) -> int:
        return len(self._order)

    @property
    def current_key(self) -> str | None:
        """The key of the row under the cursor, or None when the table is empty."""
        return self._order[self.cursor_row] if self._order else None

    def shown_keys(self) -> list[str]:
        """Row keys in the order shown."""
        return list(self._order)

    def position(self, key: str) -> int | None:
        """Where ``key`` is shown (0: the first row), None when it is not."""
        try:
            return self._order.index(key)  # one pass in C: cheaper than a dict of every row
        except ValueError:
            return None

    def keys_near(self, span: int) -> list[str]:
        """The key under the cursor, then those up to ``span`` rows above and below it."""
        row, order = self.cursor_row, self._order
        rows = [row, *(row + side * step for step in range(1, span + 1) for side in (1, -1))]
        return [order[r] for r in rows if 0 <= r < len(order)]

    def get_row(self, key: str) -> list[Cell]:
        return list(self._rows.cells(key))

    def get_cell(self, key: str, column: str) -> Cell:
        return self._rows.cells(key)[self._column_index(column)]

    def cell_text(self, key: str, column: str) -> str:
        return self.get_cell(key, column).plain

    def column_label(self, column: str) -> str:
        """The header of ``column`` as shown (with the sort mark)."""
        return self._label(self.specs[self._column_index(column)]).plain

    def column_x(self, column: str) -> int | None:
        """Where ``column`` starts, in cells from the table's left edge (unscrolled); None when
        it is dropped (too narrow a table)."""
        index = self._column_index(column)
        drawn = self._layout()
        if drawn[index] is None:
            return None
        return sum(width + 2 * PADDING for width in drawn[:index] if width is not None)

    def column_at(self, x: int) -> str | None:
        """The column at ``x`` cells from the table's left edge (unscrolled); None past the last."""
        end = 0
        for spec, width in zip(self.specs, self._layout(), strict=True):
            if width is None:
                continue
            end += width + 2 * PADDING
            if x < end:
                return spec.key
        return None

    def column_width(self, column: str) -> int | None:
        """How wide ``column`` is drawn (padding aside) at the table's width now; None when it
        is dropped."""
        return self._layout()[self._column_index(column)]

    def shown_columns(self) -> list[str]:
        """The keys of the columns drawn at the table's width now (the others are dropped)."""
        return [spec.key for spec, width in zip(self.specs, self._layout(), strict=True) if width]

    def _column_index(self, column: str) -> int:
        return next(i for i, spec in enumerate(self.specs) if spec.key == column)

    # -- updating

    def show(self, rows: TableRows | Rows, shown: Select | None = None) -> None:
        """Show exactly ``rows`` (those ``shown`` selects only, when given: a filter's
        matches), sorted; keep the cursor on the same resource when it is still there (else on
        the same line). The rows shown already, passed again with another ``shown`` (a filter
        keystroke), are not sorted again: the rows shown keep the order of the sort."""
        selected, line = self.current_key, self.cursor_row
        if not isinstance(rows, TableRows):
            rows = CellRows(rows)
        if rows is not self._rows:
            self._rows = rows
            if len(rows):  # new rows: they may be wider
                self._widths = [max(a, b) for a, b in zip(self._widths, rows.widths(), strict=True)]
            self._sorted = self._sort_order()
        self._shown = shown
        self._filter()
        self._put_cursor(selected, line)

    def _sort_order(self) -> list[str]:
        if not self.sortable:
            return list(self._rows)
        return self._rows.order(self._column_index(self.sort_column), self.sort_reverse)

    def _filter(self) -> None:
        shown = self._shown
        self._order = self._sorted if shown is None else shown(self._sorted)
        self._fitted_for = None  # rows or widths changed: the virtual size is set again
        self._layout()
        self.refresh()

    def _layout(self) -> list[int | None]:
        """The drawn width of each column (``fit_widths``) at the table's width now; sets the
        virtual size to match (the header line and the rows high)."""
        room = self.scrollable_content_region.width
        fitted_for = (room, tuple(self._widths))
        if fitted_for != self._fitted_for:
            self._fitted_for = fitted_for
            self._drawn = fit_widths(self.specs, self._widths, self._headers, room)
            width = sum(w + 2 * PADDING for w in self._drawn if w is not None)
            size = Size(width, len(self._order) + 1)
            if size != self.virtual_size:
                self._set_virtual_size(size)
        return self._drawn

    def _set_virtual_size(self, size: Size) -> None:
        """Set the virtual size (the rows and the columns' width), without a layout pass of the
        screen when the table's region does not depend on it: a filter keystroke changes the
        number of rows, and ``virtual_size`` (a reactive with ``layout=True``) would arrange
        every widget of the screen again for it. The table's height is its container's (1fr),
        its width too; only its scrollbars follow the virtual size, which ``_scroll_update``
        sets (a scrollbar shown or hidden changes the layout: ``show_*_scrollbar`` are layout
        reactives, so that still lays the screen out). An auto size, the table's or an
        ancestor's (a section with no rows, the hint under the table; a dashboard panel as
        high as its rows), or a table not laid out yet takes the ordinary path."""
        if not self.container_size or any(
            node.styles.auto_dimensions for node in self.ancestors_with_self
        ):
            self.virtual_size = size
            return
        self.set_reactive(ScrollView.virtual_size, size)
        self._scroll_update(size)
        self.refresh()

    def _put_cursor(self, selected: str | None, line: int) -> None:
        row = self.position(selected) if selected is not None else None
        self.move_cursor(min(line, max(0, self.row_count - 1)) if row is None else row)

    def move_cursor(self, row: int) -> None:
        """Put the cursor on line ``row`` (clamped), scroll it into view, and say so when it is
        on another resource."""
        self.cursor_row = max(0, min(row, self.row_count - 1))
        self._scroll_to_cursor()
        self.refresh()
        key = self.current_key
        if key != self._highlighted:
            self._highlighted = key
            self.post_message(self.RowHighlighted(self, key))

    def select(self, key: str) -> bool:
        """Put the cursor on ``key``; False when it is not shown."""
        row = self.position(key)
        if row is None:
            return False
        self.move_cursor(row)
        return True

    def _scroll_to_cursor(self) -> None:
        visible = max(1, self.scrollable_content_region.height - 1)  # rows under the header
        top = round(self.scroll_y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False, immediate=True)

    # -- keys and mouse

    def action_cursor(self, step: int) -> None:
        if not self.show_cursor:  # no cursor to move: the rows scroll
            self.scroll_relative(y=step, animate=False)
            return
        self.move_cursor(self.cursor_row + step)

    def action_page(self, direction: int) -> None:
        page = max(1, self.scrollable_content_region.height - 2)
        if not self.show_cursor:
            self.scroll_relative(y=direction * page, animate=False)
            return
        self.move_cursor(self.cursor_row + direction * page)

    def action_first(self) -> None:
        if not self.show_cursor:
            self.scroll_home(animate=False)
            return
        self.move_cursor(0)

    def action_last(self) -> None:
        if not self.show_cursor:
            self.scroll_end(animate=False)
            return
        self.move_cursor(self.row_count - 1)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:  # the header: sort by the column clicked
            column = self.column_at(offset.x + round(self.scroll_x))
            if column is not None and self.sortable:
                self.sort_by(column)
            return
        row = round(self.scroll_y) + offset.y - 1
        if row < self.row_count:
            self.move_cursor(row)

    def on_resize(self, event: events.Resize) -> None:
        self._layout()
        self._scroll_to_cursor()

    # -- sorting

    def sort_by(self, column: str, reverse: bool | None = None) -> None:
        """Sort by ``column``; the same column again reverses the order."""
        if reverse is None:
            reverse = not self.sort_reverse if column == self.sort_column else False
        self.sort_column, self.sort_reverse = column, reverse
        selected = self.current_key
        self._sorted = self._sort_order()
        self._filter()
        self._put_cursor(selected, self.cursor_row)
        self.post_message(self.SortChanged(self))

    def reverse_sort(self) -> None:
        """Sort by the same column in the other order (``S``)."""
        self.sort_by(self.sort_column, reverse=not self.sort_reverse)

    def cycle_sort(self) -> None:
        """Sort by the next column (ascending), wrapping around."""
        keys = [spec.key for spec in self.specs]
        following = keys[(keys.index(self.sort_column) + 1) % len(keys)]
        self.sort_by(following, reverse=False)

    @property
    def sort_index(self) -> tuple[int, bool] | None:
        """(the index of the sorted column, reversed), None when the rows keep their order."""
        return (self._column_index(self.sort_column), self.sort_reverse) if self.sortable else None

    @property
    def sort_label(self) -> str:
        spec = next(s for s in self.specs if s.key == self.sort_column)
        return f"{spec.label} {'▼' if self.sort_reverse else '▲'}"

    def _label(self, spec: Column) -> Text:
        if not self.sortable:  # no room kept for a mark (the cells are aligned by _line)
            return Text(spec.label, no_wrap=True)
        mark = ""
        if spec.key == getattr(self, "sort_column", None):
            mark = " ▼" if self.sort_reverse else " ▲"
        # Room for the mark is kept in every header, so sorting never changes column widths.
        # The mark follows the label in a right-aligned header too: before it, it stood at the
        # left edge of the column, next to the previous column's text ("Name     ▲ Used by").
        # Unsorted, a right-aligned label keeps the room on its left, flush over the numbers.
        if spec.numeric and not mark:
            return Text("  " + spec.label, no_wrap=True)
        return Text(spec.label + (mark or "  "), no_wrap=True)

    # -- drawing

    def render_lines(self, crop: Region) -> list[Strip]:
        # The styles, once a frame: a widget's rich_style walks up the DOM to blend backgrounds.
        base = self.rich_style
        styles = (
            base,
            base + self.get_component_rich_style("resource-table--even-row"),
            base + self.get_component_rich_style("resource-table--cursor"),
            self.get_component_rich_style("resource-table--header"),
        )
        drawn = self._layout()
        if styles != self._styles or drawn != self._cached_widths:
            self._lines.clear()  # another theme, focus or column widths: draw every row anew
            self._styles, self._cached_widths = styles, list(drawn)
        elif len(self._lines) > LINE_CACHE:
            self._lines.clear()
        # What every line of this frame shares, once (render_line is called per line, and the
        # content region is computed anew on each access).
        self._frame = self._frame_now()
        try:
            return super().render_lines(crop)
        finally:
            self._frame = None

    def _frame_now(self) -> tuple[int, int, int]:
        """The width the lines are drawn in, and the scroll offsets x and y, as they are now."""
        return self.scrollable_content_region.width, round(self.scroll_x), round(self.scroll_y)

    def render_line(self, y: int) -> Strip:
        frame = self._frame
        if frame is None:  # called on its own, not through render_lines
            if self._styles is None or self._layout() != self._cached_widths:
                self.render_lines(Region(0, 0, 0, 0))
            frame = self._frame_now()
        width, scroll_x, scroll_y = frame
        assert self._styles is not None
        base, even, cursor, header = self._styles
        if y == 0:
            texts = [(self._label(spec).plain, spec.numeric, NO_STYLE) for spec in self.specs]
            return self._in_view(self._line(texts, header), header, scroll_x, width)
        row = scroll_y + y - 1
        if row >= self.row_count:
            return Strip.blank(width, base)
        look = 2 if self.show_cursor and row == self.cursor_row else row % 2  # cursor, even, odd
        style = (base, even, cursor)[look]
        key = self._order[row]
        source = self._rows[key]
        cached = self._lines.get((key, look))
        if cached is not None and cached[0] is source:
            line = cached[1]
        else:  # rows scrolled or filtered back into view are mostly drawn already
            line = self._line(
                [(text, spec.numeric or right, _style(cell_style))
                 for (text, right, cell_style), spec in zip(self._rows.drawn(key), self.specs,
                                                              strict=True)],
                style,
            )  # fmt: skip
            self._lines[key, look] = (source, line)
        return self._in_view(line, style, scroll_x, width)

    def _line(self, cells: list[tuple[str, bool, Style]], style: Style) -> Strip:
        """One row: every column drawn, fitted to its width (``fitted``) and padded; the widths
        are those of the frame (``render_lines`` checked them against ``_layout()``)."""
        pad = " " * PADDING
        segments = []
        for (text, right, cell_style), column_width in zip(cells, self._cached_widths, strict=True):
            if column_width is not None:
                shown = fitted(text, column_width, right)
                segments.append(Segment(pad + shown + pad, style + cell_style))
        return Strip(segments)

    @staticmethod
    def _in_view(line: Strip, style: Style, scroll_x: int, width: int) -> Strip:
        """The part of ``line`` in view, filled to the widget's width."""
        return line.crop(scroll_x, scroll_x + width).extend_cell_length(width, style)
