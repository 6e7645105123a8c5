"""The filter line of a resource section: an ``Input`` whose keystrokes do not lay the screen
out again.

Textual's ``Input`` sets its virtual size to its text's width on every change of its value,
and ``virtual_size`` is a reactive with ``layout=True``: each keystroke in the filter arranged
every widget of the screen (a few milliseconds of a keystroke's frame at 20,000 containers,
issue 12) although the filter's region does not depend on its text (``width: 1fr`` with a
``max-width``, one line). ``FilterInput`` sets that virtual size itself first, without the
layout pass, so that Input's own assignment finds it unchanged. An auto width (the text's) still
takes Input's path, which lays out.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.widgets import Input


class FilterInput(Input):
    """An ``Input`` of a fixed size whose value changes repaint it only; see the module."""

    def _watch_value(self, value: str) -> None:
        if not self.styles.auto_dimensions:
            self.set_reactive(Input.virtual_size, Size(self.content_width, 1))
        super()._watch_value(value)
