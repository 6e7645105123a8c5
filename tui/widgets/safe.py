"""Untrusted text (names, descriptions, config values, paths) as plain, inert text.

Values from the store are never parsed as markup, and control characters are shown escaped
("\\x1b" appears as the four characters ``\\x1b``) so that they can neither style the cell
nor reach the terminal. Rich ``Text`` (table cells) and Textual ``Content`` (everything else)
are both built from the escaped string directly, never through a markup parser.
"""

from __future__ import annotations

from rich.console import JustifyMethod
from rich.text import Text
from textual.content import Content

from core.text import escape_control

__all__ = ["escape_control", "plain", "safe", "text_of"]


def text_of(value: object) -> str:
    """``value`` as one escaped line: ``None`` is empty, anything else ``str(value)``."""
    if value is None:
        return ""
    return escape_control(value if isinstance(value, str) else str(value))


def plain(value: object, *, justify: JustifyMethod | None = None, style: str = "") -> Text:
    """A Rich Text showing ``value`` literally: no markup, no emoji codes, controls escaped."""
    return Text(
        text_of(value), style=style, justify=justify, no_wrap=True, overflow="ellipsis", end=""
    )


def safe(value: object, style: str = "") -> Content:
    """A Textual Content showing ``value`` literally (markup is not parsed), controls escaped."""
    content = Content(text_of(value))
    return content.stylize(style) if style else content
