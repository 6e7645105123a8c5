"""The detail pane under a resource table: what the highlighted row holds, in full.

``Detail`` builds the text from untrusted values without ever parsing markup: every value goes
through ``safe`` (escaped, literal); only the labels and headings, written here, carry styles.

Values are shown whole: the pane wraps a line longer than its width, a field's value going on
under the value, not under the label (``Detail.content(width)``); a long word (a fingerprint,
a checksum) is folded. The pane wraps again when its width changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from .safe import safe

LABEL_WIDTH = 18
INDENT = "  "  # of a field or a line under its heading
MIN_WRAP = 20  # cells: narrower than this under the label, a value wraps under the indent


class Detail:
    """Lines of a detail pane: headings, ``label  value`` fields and plain lines. Each line is
    a (lead, body) pair: wrapped, the body goes on under itself, after the lead's width."""

    def __init__(self, title: object = "") -> None:
        self.lines: list[tuple[Content, Content]] = []
        if title != "":
            self.lines.append((Content(""), safe(title, "bold")))

    def heading(self, text: str, count: int | None = None) -> Detail:
        if self.lines:
            self.lines.append((Content(""), Content("")))
        shown = text if count is None else f"{text} ({count})"
        self.lines.append((Content(""), Content(shown).stylize("bold $accent")))
        return self

    def field(self, label: object, value: object, note: object = "", style: str = "") -> Detail:
        """``label  value  (note)``; an empty value shows as a dim dash."""
        name = safe(label).pad_right(max(0, LABEL_WIDTH - len(safe(label).plain)))
        shown = safe(value, style) if value not in (None, "") else Content("-").stylize("dim")
        parts: list[Content | str] = [shown]
        if note not in (None, ""):
            parts += ["  ", safe(note, "dim italic")]
        lead = Content.assemble(INDENT, name.stylize("$text-muted"), " ")
        self.lines.append((lead, Content.assemble(*parts)))
        return self

    def fields(self, values: Mapping[str, object], notes: Mapping[str, object] = {}) -> Detail:
        if not values:
            return self.line("none", "dim")
        for key, value in values.items():
            self.field(key, value, notes.get(key, ""))
        return self

    def devices(
        self, devices: Mapping[str, Mapping[str, str]], origins: Mapping[str, str] = {}
    ) -> Detail:
        """One line per device (``name  type  key=value ...``), with where it came from."""
        if not devices:
            return self.line("none", "dim")
        for name, conf in devices.items():
            keys = " ".join(f"{k}={v}" for k, v in conf.items() if k != "type")
            self.field(name, f"{conf.get('type', '')}  {keys}".rstrip(), origins.get(name, ""))
        return self

    def line(self, value: object, style: str = "") -> Detail:
        self.lines.append((Content(INDENT), safe(value, style)))
        return self

    def items(self, values: Iterable[object], empty: str = "none") -> Detail:
        shown = list(values)
        if not shown:
            return self.line(empty, "dim")
        for value in shown:
            self.line(value)
        return self

    def content(self, width: int | None = None) -> Content:
        """The lines, each wrapped to ``width`` cells (None: not wrapped)."""
        shown: list[Content] = []
        for lead, body in self.lines:
            if width is None or lead.cell_length + body.cell_length <= width:
                shown.append(lead + body)
                continue
            hang = lead.cell_length if width - lead.cell_length >= MIN_WRAP else len(INDENT)
            pieces = body.wrap(max(1, width - hang))
            shown.append(lead + pieces[0])
            shown.extend(Content(" " * hang) + piece for piece in pieces[1:])
        return Content("\n").join(shown)


class DetailPane(VerticalScroll):
    """A scrollable pane showing one ``Detail``.

    It takes the focus (Tab from the table), where ↑ ↓ PgUp PgDn Home End scroll it (the
    container's bindings), as the wheel does: on a 24-line terminal a container's detail is
    longer than the pane. From the table, its section scrolls it with Shift+↑ ↓ PgUp PgDn."""

    DEFAULT_CSS = """
    DetailPane {
        height: 1fr;
        border-top: solid $primary 50%;
        padding: 0 1;
        scrollbar-gutter: stable;  /* the width to wrap to does not depend on the length */
    }
    DetailPane {
        border-title-align: right;
        border-title-color: $text-muted;
    }
    DetailPane:focus {
        border-top: solid $accent;
        background-tint: $foreground 5%;
    }
    DetailPane > Static {
        width: auto;
    }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.detail: Detail | Content = Content("")  # what is shown, to wrap again on a resize

    def compose(self) -> ComposeResult:
        yield Static(Content(""), id="detail-text")

    @property
    def text(self) -> Static:
        return self.query_one("#detail-text", Static)

    def scroll_page(self, direction: int) -> None:
        """A page down (1) or up (-1), keeping one line of the page before in view; from
        the table beside it (``Shift+PgDn``/``PgUp``), whose keys these are while it has the
        focus."""
        self.scroll_relative(
            y=direction * max(1, self.scrollable_content_region.height - 1), animate=False
        )

    def show(self, detail: Detail | Content) -> None:
        self.detail = detail
        self._wrap()

    def on_resize(self, event: events.Resize) -> None:
        self._wrap()
        self._say_more()

    def _wrap(self) -> None:
        detail, width = self.detail, self.scrollable_content_region.width
        content = detail.content(width or None) if isinstance(detail, Detail) else detail
        self.text.update(content)

    MORE = "more ↓ Shift+↓ or Tab"  # on the border, while text is below the pane's edge

    def watch_virtual_size(self) -> None:  # the text's height
        self._say_more()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._say_more()

    def _say_more(self) -> None:
        self.border_title = self.MORE if self.max_scroll_y - self.scroll_y >= 1 else ""

    @property
    def plain(self) -> str:
        """The text shown, without styles (for tests and screen readers)."""
        rendered = self.text.content
        return rendered.plain if isinstance(rendered, Content) else str(rendered)
