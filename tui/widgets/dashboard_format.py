"""Formatting shared by the dashboard panels: sizes, rates, ages, usage bars, table panels.

Every value that comes from the store (interface, chain and service names, hosts) is shown
literally, never parsed as markup, control characters escaped: through ``literal`` (a
``rich.text.Text``) or, in the tables, a ``Cell``.
"""

from __future__ import annotations

from rich.console import JustifyMethod
from rich.text import Text
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static

from core.text import escape_control, human_size

from .resource_table import ResourceTable, Rows, same_cells

DASH = "–"  # a value the store does not have (yet)
EIGHTHS = " ▏▎▍▌▋▊▉█"  # partial blocks for horizontal bars


def literal(value: object, style: str = "", *, justify: JustifyMethod | None = None) -> Text:
    """Store text as plain Text: shown literally, control characters escaped."""
    text = "" if value is None else escape_control(value)
    return Text(text, style=style, justify=justify, no_wrap=True, overflow="ellipsis", end="")


def size(value: float | None) -> str:
    return DASH if value is None else human_size(int(value))


def compact(value: float | None) -> str:
    """A byte count in at most 5 characters, binary units: ``512B``, ``4.6K``, ``977K``,
    ``12M``, ``1.5G`` (table columns on an 80-column terminal)."""
    if value is None:
        return DASH
    value = float(value)
    for unit in ("B", "K", "M", "G", "T"):
        if value < 1023.5 or unit == "T":
            if unit == "B":
                return f"{value:.0f}B"
            return f"{value:.1f}{unit}" if value < 9.95 else f"{value:.0f}{unit}"
        value /= 1024
    raise AssertionError("unreachable")


def percent(value: float | None) -> str:
    if value is None:
        return DASH
    return f"{value:.0f}%" if value >= 10 else f"{value:.1f}%"


def age(seconds: float) -> str:
    """``4s``, ``3m``, ``2h 5m``, ``3d``: how long ago, compactly."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        hours, minutes = divmod(seconds // 60, 60)
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{seconds // 86400}d"


def usage_style(fraction: float | None, *, flagged: bool = False) -> str:
    if flagged or (fraction is not None and fraction >= 1):
        return "bold red"
    if fraction is not None and fraction >= 0.8:
        return "yellow"
    return "green"


def usage_bar(fraction: float, width: int = 6) -> str:
    """A horizontal bar ``width`` cells wide, filled to ``fraction`` (capped at full)."""
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    full, part = divmod(eighths, 8)
    bar = "█" * full + (EIGHTHS[part] if part else "")
    return bar.ljust(width, "·")


def show_text(widget: Static, content: Text | str, *, layout: bool = False) -> bool:
    """Show ``content`` in ``widget`` unless it shows exactly that already; say whether it
    changed. Every ``Static.update`` repaints, and with ``layout`` (Textual's default) lays the
    whole screen out again: ``layout=False`` is for a widget whose size its text cannot change
    (a fixed width or height, one line that does not wrap)."""
    if widget.content == content:
        return False
    widget.update(content, layout=layout)
    return True


def set_border_title(widget: Widget, title: str) -> None:
    """Set a panel's border title (plain text, no markup) only when it changed: setting it
    repaints the whole panel, its table included."""
    if title != widget.border_title:
        widget.border_title = title


class TablePanel(Vertical):
    """A dashboard panel holding a ``ResourceTable`` (drawn line by line: DataTable renders each
    changed cell through Rich, which cost more than the rest of a dashboard round), with a hint
    (an ``.empty-hint`` Static) in the table's place while there are no rows.

    Column widths only grow, so a rate going from "9.9K" to "10K" and back does not move the
    columns (nor lay the screen out)."""

    DEFAULT_CSS = """
    TablePanel {
        border: round $primary 50%;
    }
    TablePanel > .empty-hint {
        padding: 0 1;
        color: $text-muted;
        display: none;
    }
    TablePanel.-empty > .empty-hint {
        display: block;
    }
    TablePanel.-empty > ResourceTable {
        display: none;
    }
    """

    @property
    def table(self) -> ResourceTable:
        return self.query_one(ResourceTable)

    def show_rows(self, rows: Rows, hint: str | None = None) -> None:
        """Show ``rows`` (key -> cells); with none, the hint (``hint`` replacing its text when
        given). Rows shown exactly so already are not drawn again."""
        table = self.table
        if not _same_rows(table, rows):
            table.show(rows)
        self.set_class(not rows, "-empty")
        if not rows and hint is not None:
            show_text(self.query_one(".empty-hint", Static), hint, layout=True)  # it may wrap


def _same_rows(table: ResourceTable, rows: Rows) -> bool:
    return list(rows) == table.shown_keys() and all(
        same_cells(cells, table.get_row(key)) for key, cells in rows.items()
    )
