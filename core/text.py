"""Untrusted text made safe to print: control characters shown escaped, never interpreted."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def escape_control(value: object) -> str:
    """``str(value)`` with control characters (ESC, BEL, CR...) shown as ``\\x1b`` escapes.
    Tabs and newlines stay: they cannot move the cursor or change the terminal's state."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(value))


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")
