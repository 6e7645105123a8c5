"""Untrusted text made safe to print: control characters shown escaped, never interpreted."""

from __future__ import annotations

import re

# C0 controls, DEL and C1 controls; the Unicode line/paragraph separators; bidirectional
# embeddings, overrides and isolates (they reorder what follows them on screen).
_OTHER_CONTROLS = "\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069"
_ONE_LINE = re.compile(f"[\x00-\x1f{_OTHER_CONTROLS}]")
# A document keeps its line structure: newlines and tabs stay.
_DOCUMENT = re.compile(f"[\x00-\x08\x0b-\x1f{_OTHER_CONTROLS}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _one_line(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}")


def escape_control(value: object, *, one_line: bool = True) -> str:
    """``str(value)`` with every control character written as an escape, so that it can neither
    move the cursor, restyle the terminal nor fake extra lines.

    ``one_line`` (table cells, names) escapes newlines and tabs too, as ``\\n`` and ``\\t``;
    otherwise (TOML documents) they stay, and the rest become ``\\uXXXX``, a valid TOML escape
    that reads back as the same character.
    """
    text = value if isinstance(value, str) else str(value)
    if one_line:
        return _ONE_LINE.sub(_one_line, text)
    return _DOCUMENT.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")
