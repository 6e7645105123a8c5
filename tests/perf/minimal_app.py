"""The smallest Textual app, one Static: the baseline of the start benchmark in ``test_tui.py``.

Started the way ``nodekeeper`` is (a Python process on the same pseudo-terminal), it pays what
every Textual app pays to show its first frame: the interpreter, importing Textual, the driver
and one render. ``q`` quits, as in nodekeeper, so ``PtyApp.stop()`` ends both alike.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static

TEXT = "a minimal Textual app"


class MinimalApp(App):
    BINDINGS = [("q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Static(TEXT)


if __name__ == "__main__":
    MinimalApp().run()
