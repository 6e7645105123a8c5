"""The detail pane under a resource table: what the highlighted row holds, in full.

``Detail`` builds the text from untrusted values without ever parsing markup: every value goes
through ``safe`` (escaped, literal); only the labels and headings, written here, carry styles.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from .safe import safe

LABEL_WIDTH = 18


class Detail:
    """Lines of a detail pane: headings, ``label  value`` fields and plain lines."""

    def __init__(self, title: object = "") -> None:
        self.lines: list[Content] = []
        if title != "":
            self.lines.append(safe(title, "bold"))

    def heading(self, text: str, count: int | None = None) -> Detail:
        if self.lines:
            self.lines.append(Content(""))
        shown = text if count is None else f"{text} ({count})"
        self.lines.append(Content(shown).stylize("bold $accent"))
        return self

    def field(self, label: object, value: object, note: object = "", style: str = "") -> Detail:
        """``label  value  (note)``; an empty value shows as a dim dash."""
        name = safe(label).pad_right(max(0, LABEL_WIDTH - len(safe(label).plain)))
        shown = safe(value, style) if value not in (None, "") else Content("-").stylize("dim")
        parts: list[Content | str] = ["  ", name.stylize("$text-muted"), " ", shown]
        if note not in (None, ""):
            parts += ["  ", safe(note, "dim italic")]
        self.lines.append(Content.assemble(*parts))
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
        self.lines.append(Content.assemble("  ", safe(value, style)))
        return self

    def items(self, values: Iterable[object], empty: str = "none") -> Detail:
        shown = list(values)
        if not shown:
            return self.line(empty, "dim")
        for value in shown:
            self.line(value)
        return self

    def content(self) -> Content:
        return Content("\n").join(self.lines)


class DetailPane(VerticalScroll):
    """A scrollable pane showing one ``Detail``."""

    DEFAULT_CSS = """
    DetailPane {
        height: 1fr;
        border-top: solid $primary 50%;
        padding: 0 1;
    }
    DetailPane > Static {
        width: auto;
    }
    """

    can_focus = False

    def compose(self) -> ComposeResult:
        yield Static(Content(""), id="detail-text")

    @property
    def text(self) -> Static:
        return self.query_one("#detail-text", Static)

    def show(self, detail: Detail | Content) -> None:
        content = detail.content() if isinstance(detail, Detail) else detail
        self.text.update(content)

    @property
    def plain(self) -> str:
        """The text shown, without styles (for tests and screen readers)."""
        rendered = self.text.content
        return rendered.plain if isinstance(rendered, Content) else str(rendered)
