"""Untrusted text (names, descriptions, config values, paths) as plain, inert text.

Values from the store are never parsed as markup, and control characters are shown escaped
("\\x1b" appears as the four characters ``\\x1b``) so that they can neither style the cell
nor reach the terminal.
"""

from __future__ import annotations

from rich.console import JustifyMethod
from rich.text import Text

from core.text import escape_control


def plain(value: object, *, justify: JustifyMethod | None = None) -> Text:
    """A Rich Text showing ``value`` literally: no markup, no emoji codes, controls escaped.

    ``None`` is an empty cell; anything else is shown as ``str(value)``.
    """
    text = "" if value is None else value if isinstance(value, str) else str(value)
    return Text(escape_control(text), justify=justify, no_wrap=True, overflow="ellipsis", end="")
