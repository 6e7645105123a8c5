"""The list of the Logs section: a window of log events, one line each, drawn line by line.

The widget holds only the events of the window its section read (a few pages, never the whole
log): ``rows`` in time order, the newest last, a ``cursor`` (the highlighted event) and ``top``
(the first line drawn). It draws only the lines on screen (the Line API: ``render_line``), from
text made once per event in the reading thread (``LogRow``). Moving the cursor near an end of
the window posts ``Edge``: the section then reads the next page that way and hands the rows
back (``prepend``, ``append``), the window trimmed to ``keep`` events.

Store text is shown literally: every field goes through ``escape_control`` (a newline is the two
characters ``\\n``, an escape character ``\\x1b``) and is never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import ClassVar, NamedTuple

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from core.store.logs import StoredEvent
from core.text import escape_control

# The level as a word of four letters, and its colour.
LEVEL_WORDS = {
    "emergency": ("EMRG", "bold red"), "alert": ("ALRT", "bold red"),
    "critical": ("CRIT", "bold red"), "error": ("ERR ", "red"), "warning": ("WARN", "yellow"),
    "notice": ("NOTE", "cyan"), "info": ("INFO", ""), "debug": ("DBG ", "dim"),
}  # fmt: skip
SOURCE_WIDTH = 12  # the source column, shown from WIDE columns on
WIDE = 110
EDGE = 10  # events from an end of the window: the next page that way is read


def event_time(timestamp: int) -> str:
    """An event's time as the list shows it (UTC): ``MM-DD HH:MM:SS``."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%m-%d %H:%M:%S")


class LogRow(NamedTuple):
    """An event and its line's parts, escaped (made in the reading thread)."""

    event: StoredEvent
    time: str
    level: str
    level_style: str
    source: str
    text: str  # program[pid]: message


def log_row(event: StoredEvent) -> LogRow:
    word, style = LEVEL_WORDS.get(event.level, (escape_control(event.level)[:4].ljust(4), ""))
    who = escape_control(event.program or "")
    if who and event.pid is not None:
        who += f"[{event.pid}]"
    text = f"{who}: {escape_control(event.message)}" if who else escape_control(event.message)
    source = escape_control(event.source)
    if len(source) > SOURCE_WIDTH:
        source = source[: SOURCE_WIDTH - 1] + "…"
    return LogRow(event, event_time(event.timestamp), word, style, source, text)


class LogLines(Widget, can_focus=True):
    """Log events, one a line, the newest at the bottom; ↑ ↓ PgUp PgDn move the cursor."""

    DEFAULT_CSS = """
    LogLines {
        height: 1fr;
    }
    LogLines > .log-lines--cursor {
        background: $foreground 15%;
    }
    LogLines:focus > .log-lines--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: bold;
    }
    LogLines > .log-lines--time {
        color: $text-muted;
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "log-lines--cursor",
        "log-lines--time",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("pageup", "move_page(-1)", "Page up", show=False),
        Binding("pagedown", "move_page(1)", "Page down", show=False),
    ]

    class Moved(Message):
        """The cursor is on another event (or on none: ``row`` None)."""

        def __init__(self, row: LogRow | None) -> None:
            super().__init__()
            self.row = row

    class Edge(Message):
        """The cursor is near the ``older`` (or newer) end of the window."""

        def __init__(self, older: bool) -> None:
            super().__init__()
            self.older = older

    def __init__(self, *, keep: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.keep = keep  # the most events held
        self.rows: list[LogRow] = []
        self.cursor = 0
        self.top = 0
        self._shown_id: int | None = None  # the event the detail shows

    # -- what the window holds

    @property
    def current(self) -> LogRow | None:
        return self.rows[self.cursor] if self.rows else None

    @property
    def at_last(self) -> bool:
        """Whether the cursor is on the window's last event (or there is none)."""
        return not self.rows or self.cursor == len(self.rows) - 1

    def show(self, rows: Sequence[LogRow], *, cursor: int | None = None) -> None:
        """Hold ``rows`` only; the cursor on ``cursor`` (default: the last, the newest)."""
        self.rows = list(rows)[-self.keep :] if len(rows) > self.keep else list(rows)
        self.cursor = len(self.rows) - 1 if cursor is None else cursor
        self._place()

    def prepend(self, rows: Sequence[LogRow]) -> int:
        """Older rows before the window; trimmed at the newer end. Returns how many went."""
        if not rows:
            return 0
        self.rows[:0] = rows
        self.cursor += len(rows)
        self.top += len(rows)
        dropped = max(0, len(self.rows) - self.keep)
        if dropped:
            del self.rows[-dropped:]
        self._place()
        return dropped

    def append(self, rows: Sequence[LogRow], *, follow: bool = False) -> int:
        """Newer rows after the window (``follow``: the cursor goes to the last); trimmed at
        the older end. Returns how many went."""
        if not rows:
            return 0
        self.rows.extend(rows)
        dropped = max(0, len(self.rows) - self.keep)
        if dropped:
            del self.rows[:dropped]
            self.cursor = max(0, self.cursor - dropped)
            self.top = max(0, self.top - dropped)
        if follow:
            self.cursor = len(self.rows) - 1
        self._place()
        return dropped

    # -- moving

    def action_move(self, step: int) -> None:
        self.move_to(self.cursor + step)

    def action_move_page(self, step: int) -> None:
        self.move_to(self.cursor + step * max(1, self.size.height - 1))

    def move_to(self, index: int) -> None:
        if not self.rows:
            return
        self.cursor = max(0, min(len(self.rows) - 1, index))
        self._place()
        if self.cursor < EDGE:
            self.post_message(self.Edge(older=True))
        elif self.cursor >= len(self.rows) - EDGE:
            self.post_message(self.Edge(older=False))

    def _place(self) -> None:
        """Keep the cursor in view; say so when it is on another event."""
        height = max(1, self.size.height)
        if self.cursor < self.top:
            self.top = self.cursor
        elif self.cursor >= self.top + height:
            self.top = self.cursor - height + 1
        self.top = max(0, min(self.top, max(0, len(self.rows) - height)))
        self.refresh()
        row = self.current
        shown = row.event.id if row is not None else None
        if shown != self._shown_id:
            self._shown_id = shown
            self.post_message(self.Moved(row))

    def on_resize(self, _event: events.Resize) -> None:
        self._place()

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self.move_to(self.cursor - 3)

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self.move_to(self.cursor + 3)

    def on_click(self, event: events.Click) -> None:
        self.move_to(self.top + event.y)

    # -- drawing

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        index = self.top + y
        if index >= len(self.rows):
            return Strip.blank(width, base)
        row = self.rows[index]
        if index == self.cursor:
            base = base + self.get_component_rich_style("log-lines--cursor")
        time_style = base + self.get_component_rich_style("log-lines--time", partial=True)
        segments = [
            Segment(row.time + " ", time_style),
            Segment(row.level, base + Style.parse(row.level_style) if row.level_style else base),
            Segment(" ", base),
        ]
        if width >= WIDE:
            segments.append(Segment(row.source.ljust(SOURCE_WIDTH) + " ", time_style))
        segments.append(Segment(row.text, base))
        return Strip(segments).crop(0, width).extend_cell_length(width, base)

    @property
    def lines(self) -> list[str]:
        """The lines on screen, as text (for tests)."""
        height = self.size.height
        return ["".join(s.text for s in self.render_line(y)).rstrip() for y in range(height)]
