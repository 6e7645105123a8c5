"""The help screen (``?`` or F1): every key binding, grouped by where it applies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

# (keys, what they do) per place; the App's own bindings come first, from its BINDINGS.
WIDGET_KEYS: Sequence[tuple[str, Sequence[tuple[str, str]]]] = (
    ("In a table", (
        ("↑ ↓ PgUp PgDn", "move the cursor; the detail pane follows"),
        ("Home End", "first, last row"),
        ("Shift+↑ ↓", "scroll the detail pane a line (Shift+PgUp PgDn: a page)"),
        ("Tab", "into the detail pane: ↑ ↓ PgUp PgDn Home End scroll it"),
        ("click a header", "sort by that column; again to reverse"),
        ("s", "sort by the next column"),
        ("S", "reverse the order; again to restore it"),
    )),
    ("On the dashboard", (
        ("Tab  Shift+Tab", "next, previous table panel (Interfaces, Traffic)"),
        ("↑ ↓ PgUp PgDn", "scroll the panel's rows; the mouse wheel too"),
    )),
    ("In Logs (9)", (
        ("↑ ↓ PgUp PgDn", "move; near an end of the pages read, the next page is read"),
        ("Home End", "oldest, newest event; at the newest, new events are followed"),
        ("/", "filter: words of the message, level: source: action: ip: user: since: until:"),
        ("l", "least level shown: all, error, warning, notice"),
        ("i", "only the highlighted event's IP; again for every IP"),
        ("Enter", "a larger detail pane; again for the usual one"),
        ("Shift+↑ ↓  Tab", "scroll the detail pane, as in a table"),
        ("Escape", "clear the filter"),
    )),
    ("In Threats (0)", (
        ("↑ ↓ PgUp PgDn", "move; the IPs by threat score, the highest first"),
        ("Enter", "the highlighted IP's log events (Logs, filtered by ip:)"),
        ("r", "read again now (it refreshes itself every 2 s while shown)"),
    )),
    ("In the filter (/)", (
        ("type", "keep the rows containing the text in any column (any case)"),
        ("Enter", "back to the table, the filter kept"),
        ("Escape", "clear the filter"),
    )),
    ("In a form (n, e)", (
        ("Tab  Shift+Tab", "next, previous field"),
        ("Enter  Ctrl+S", "save (Enter in a text field; errors show under their field)"),
        ("Enter  Space", "open a list of choices; flip a yes/no box"),
        ("type", "on a list of choices: pick the first choice starting with the text"),
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


def key_row(keys: str, description: str, note: str = "") -> Horizontal:
    """One key and what it does, side by side: a description too long for the line wraps in
    its own column, under itself, not under the keys."""
    parts: list[Content | str | tuple[str, str]] = [description]
    if note:
        parts += ["  ", (note, "dim italic")]
    return Horizontal(
        Static(Content.styled(keys, "bold $accent"), classes="keys"),
        Static(Content.assemble(*parts), classes="does"),
        classes="key-row",
    )


def heading(title: str, *, first: bool = False) -> Static:
    return Static(Content(title).stylize("bold $accent"), classes="" if first else "later")


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
    HelpScreen .later {
        margin-top: 1;
    }
    HelpScreen .key-row {
        height: auto;
    }
    HelpScreen .key-row > .keys {
        width: 17;  /* an indent of 2, the longest keys (14), a space */
        padding-left: 2;
    }
    HelpScreen .key-row > .does {
        width: 1fr;
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
        with Vertical(id="dialog"):
            yield Static(Content("nodekeeper help"), id="help-title")
            with VerticalScroll(id="help-body"):
                yield heading("Keys", first=True)
                for entry in self.app_keys:
                    yield key_row(*entry)
                for title, entries in WIDGET_KEYS:
                    yield heading(title)
                    for keys, text in entries:
                        yield key_row(keys, text)
            yield Static(Content("Escape, q or ? closes this screen."), id="help-hint")
        yield Footer(compact=True)  # its keys, over the App's (not in force here)

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)
