"""Formatting of store values for table cells (plain strings; ``safe.plain`` makes the cell)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from core.text import counted, human_size  # the CLI's wording, so both show the same

__all__ = ["counted", "human_size", "joined", "short_id", "utc_minutes", "yes_no"]

SHORT_ID = 12  # characters of a fingerprint shown in tables, like `lxc image list`


def short_id(value: str | None) -> str:
    """The first 12 characters of a fingerprint; empty for None."""
    return "" if not value else value[:SHORT_ID]


def joined(values: Iterable[str]) -> str:
    return ", ".join(values)


def utc_minutes(when: datetime | None) -> str:
    """A timestamp as ``YYYY-MM-DD HH:MM`` in UTC; empty for None."""
    if when is None:
        return ""
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%d %H:%M")


def yes_no(value: bool) -> str:
    return "yes" if value else "no"
