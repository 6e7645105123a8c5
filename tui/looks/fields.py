"""Parsing form text into the values core takes; the rules themselves stay in core.

These only turn text into shapes (a list, a table, a number); a shape that cannot be made is a
``ValidationError`` named after the field, like core's own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from core import ValidationError


def lines_to_map(text: str, field: str) -> dict[str, str]:
    """``key = value`` lines (blank lines and ``#`` comments skipped) as a table."""
    table: dict[str, str] = {}
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, sep, value = stripped.partition("=")
        if not sep or not key.strip():
            raise ValidationError(field, stripped, "must be key = value, one per line")
        table[key.strip()] = value.strip()
    return table


def map_to_lines(table: Mapping[str, object]) -> str:
    return "\n".join(f"{key} = {value}" for key, value in table.items())


def split_list(text: str) -> list[str]:
    """``a, b c`` as ``["a", "b", "c"]`` (commas or spaces)."""
    return [part for part in text.replace(",", " ").split() if part]


def join_list(values: Iterable[str]) -> str:
    return ", ".join(values)


def optional_int(text: str, field: str) -> int | None:
    """A whole number, or None for an empty field."""
    stripped = text.strip().replace("_", "")
    if not stripped:
        return None
    try:
        return int(stripped)
    except ValueError:
        raise ValidationError(field, text, "must be a whole number (or empty)") from None


def int_text(value: int | None) -> str:
    return "" if value is None else str(value)


def optional_text(text: str) -> str | None:
    """The text, or None for an empty field."""
    return text if text.strip() else None
