"""A yes/no question in a modal: ``ConfirmModal`` is dismissed with True (confirmed) or False.

Cancel has the focus, so Enter alone never deletes anything; ``y`` or the red button confirms,
``n`` or Escape cancels.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static

from .safe import safe


class ConfirmModal(ModalScreen[bool]):
    DEFAULT_CSS = """
    ConfirmModal {
        align: center middle;
    }
    ConfirmModal > #dialog {
        width: 70;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: thick $error 60%;
        background: $surface;
        padding: 0 1;
    }
    ConfirmModal #title {
        text-style: bold;
        padding-bottom: 1;
    }
    ConfirmModal #message {
        height: auto;
        max-height: 14;
        overflow-y: auto;
    }
    ConfirmModal #buttons {
        height: auto;
        align-horizontal: right;
        padding-top: 1;
    }
    ConfirmModal Button {
        margin-left: 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", "Yes"),
        Binding("n,escape", "cancel", "No"),
    ]

    def __init__(self, title: object, message: Content, *, confirm: str = "Delete") -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        self.confirm_label = confirm

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(safe(self.title_text), id="title")
            yield Static(self.message, id="message")
            with Horizontal(id="buttons"):
                yield Button(
                    f"{self.confirm_label} (y)", variant="error", id="confirm", compact=True
                )
                yield Button("Cancel (n)", id="cancel", compact=True)
        yield Footer(compact=True)  # its keys, over the App's (not in force here)

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
