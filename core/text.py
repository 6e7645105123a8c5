"""Text for people: untrusted text made safe to print (control characters shown escaped, never
interpreted), byte counts in IEC units and counts with their noun, as the CLI and the console
both show them."""

from __future__ import annotations

import re
from datetime import UTC, datetime

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


IEC_UNITS = ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB")


def human_size(size: int) -> str:
    """A byte count in IEC units: ``512 B`` and ``400 GiB`` exactly, ``1.5 KiB`` and ``953.7
    MiB`` to a tenth. A whole number of its unit has no decimal, so ``10.0 GiB`` says that the
    value is near, not exactly, 10 GiB."""
    if size < 0:
        return "-" + human_size(-size)
    if size < 1024:
        return f"{size} B"
    for power, unit in enumerate(IEC_UNITS, start=1):
        value = size / 1024**power
        if round(value, 1) < 1024 or unit == IEC_UNITS[-1]:  # not "1024.0 KiB": the next unit
            whole, rest = divmod(size, 1024**power)
            return f"{whole} {unit}" if rest == 0 else f"{value:.1f} {unit}"
    raise AssertionError("unreachable")


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``1 row``, ``2 rows``, ``0 config keys``: a count with its noun in number."""
    return f"{count} {in_number(count, noun, plural)}"


def in_number(count: int, noun: str, plural: str | None = None) -> str:
    """The noun as ``count`` of it is said: ``row`` for 1, ``rows`` for any other count."""
    return noun if count == 1 else plural or noun + "s"


SHORT_ID = 12  # characters of a fingerprint or checksum shown in tables, like `lxc image list`


def short_id(value: str | None) -> str:
    """The first 12 characters of a fingerprint; empty for None."""
    return "" if not value else value[:SHORT_ID]


def utc_minutes(when: datetime | None) -> str:
    """A timestamp as ``YYYY-MM-DD HH:MM`` in UTC; empty for None."""
    if when is None:
        return ""
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%d %H:%M")


def yes_no(value: bool) -> str:
    return "yes" if value else "no"
