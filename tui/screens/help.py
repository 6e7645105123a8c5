"""The help screen (``?`` or F1): every key binding, grouped by where it applies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

KEY_WIDTH = 14

# (keys, what they do) per place; the App's own bindings come first, from its BINDINGS.
WIDGET_KEYS: Sequence[tuple[str, Sequence[tuple[str, str]]]] = (
    ("In a table", (
        ("↑ ↓ PgUp PgDn", "move the cursor; the detail pane follows"),
        ("Home End", "first, last row"),
        ("click a header", "sort by that column; again to reverse"),
        ("s", "sort by the next column"),
    )),
    ("In the filter (/)", (
        ("type", "keep the rows containing the text in any column (any case)"),
        ("Enter", "back to the table, the filter kept"),
        ("Escape", "clear the filter"),
    )),
    ("In a form (n, e)", (
        ("Tab  Shift+Tab", "next, previous field"),
        ("Enter  Ctrl+S", "save (errors from core show under their field)"),
        ("Escape", "cancel, nothing is written"),
    )),
    ("In a confirmation (d)", (
        ("y", "yes, delete"),
        ("n  Escape", "no (the default)"),
    )),
    ("Editing in $EDITOR (E)", (
        ("save and quit", "apply; an invalid document reopens with the errors on top"),
        ("quit unchanged", "nothing is written"),
    )),
    ("Anywhere", (
        ("Ctrl+P", "command palette: jump to any resource by name, change the theme"),
        ("Ctrl+Q", "quit"),
    )),
)  # fmt: skip


def key_line(keys: str, description: str, note: str = "") -> Content:
    parts: list[Content | str | tuple[str, str]] = [
        "  ",
        (keys.ljust(KEY_WIDTH), "bold $accent"),
        " ",
        description,
    ]
    if note:
        parts += ["  ", (note, "dim italic")]
    return Content.assemble(*parts)


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    HelpScreen > #dialog {
        width: 84;
        max-width: 100%;
        height: 90%;
        border: thick $primary 60%;
        background: $surface;
        padding: 0 1;
    }
    HelpScreen #help-title {
        text-style: bold;
    }
    HelpScreen #help-hint {
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "close", "Close"),
    ]

    def __init__(self, app_keys: Sequence[tuple[str, str, str]]) -> None:
        """``app_keys``: (keys, description, note) of the App's bindings."""
        super().__init__()
        self.app_keys = app_keys

    def compose(self) -> ComposeResult:
        lines = [Content("Keys").stylize("bold $accent")]
        lines += [key_line(*entry) for entry in self.app_keys]
        for title, entries in WIDGET_KEYS:
            lines += [Content(""), Content(title).stylize("bold $accent")]
            lines += [key_line(keys, text) for keys, text in entries]
        with Vertical(id="dialog"):
            yield Static(Content("nodekeeper help"), id="help-title")
            with VerticalScroll(id="help-body"):
                yield Static(Content("\n").join(lines), id="help-text")
            yield Static(Content("Escape, q or ? closes this screen."), id="help-hint")

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)
