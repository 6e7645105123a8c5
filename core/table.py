"""How a table fits a width: the one rule the CLI's tables and the console's share.

Numbers and values of a fixed format (a date, a fingerprint) are never cut: such a column is
shown whole or not at all; the least important
columns are dropped first, then text columns narrowed, least important first, their values cut
with an ellipsis, never silently.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Protocol

PADDING = 1  # spaces on each side of a cell: two between columns


class Fitted(Protocol):
    """What fitting needs of a column (core.kinds' Column and the console's both have it)."""

    priority: int
    width: int | None  # the narrowest a text column may be cut to (None: MIN_TEXT)

    @property
    def whole(self) -> bool:  # shown whole or dropped, never cut: numbers, dates, fingerprints
        ...


ELLIPSIS = "…"
IDENTITY_SHARE = 2 / 3  # at most this share of the width is kept for a priority-1 column
MIN_TEXT = 8  # a text column is not narrowed below this (or its header): "x86…" says nothing


def fit_widths(
    columns: Sequence[Fitted], natural: Sequence[int], headers: Sequence[int], room: int
) -> list[int | None]:
    """How wide each column is drawn in ``room`` cells (padding included in ``room`` but not in
    the widths), None for a column dropped.

    ``natural``: the widest cell of each column (its header included); ``headers``: its header's
    width, which a text column is never narrowed below, nor below its width hint
    (``column.width``, else ``MIN_TEXT``). Columns are dropped, least important
    first (the rightmost of equal priority first, never the first column), while they do not
    fit at their narrowest: a whole column whole, a text column at its floor, a
    priority-1 column whole up to ``IDENTITY_SHARE`` of the room. Then the text columns are
    narrowed, least important first, as far as need be. When even that does not fit, the table
    scrolls sideways."""

    def cost(widths: Iterable[int]) -> int:
        return sum(width + 2 * PADDING for width in widths)

    def floor(i: int) -> int:
        return min(natural[i], max(headers[i], columns[i].width or MIN_TEXT))

    def narrowest(i: int) -> int:
        column, width = columns[i], natural[i]
        if column.whole:
            return width
        if column.priority <= 1:
            return min(width, max(floor(i), int(room * IDENTITY_SHARE)))
        return floor(i)

    least_first = sorted(range(len(columns)), key=lambda i: (columns[i].priority, i), reverse=True)
    kept = set(range(len(columns)))
    for i in least_first:
        if cost(narrowest(j) for j in kept) <= room:
            break
        if i != 0:
            kept.discard(i)
    widths = {i: natural[i] for i in kept}
    excess = cost(widths.values()) - room
    for i in least_first:
        if excess <= 0:
            break
        if i in kept and not columns[i].whole:
            cut = min(excess, max(0, widths[i] - floor(i)))
            widths[i] -= cut
            excess -= cut
    return [widths.get(i) for i in range(len(columns))]


@lru_cache(maxsize=4096)
def _char_cells(char: str) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def cell_len(text: str) -> int:
    """The cells of a terminal ``text`` takes on one line (a CJK character takes two)."""
    if text.isascii():
        return len(text)
    return sum(_char_cells(char) for char in text)


def _cut(text: str, cells: int) -> str:
    """The start of ``text`` that takes at most ``cells`` cells, padded to exactly that."""
    kept, used = [], 0
    for char in text:
        width = _char_cells(char)
        if used + width > cells:
            break
        kept.append(char)
        used += width
    return "".join(kept) + " " * (cells - used)


def fitted(text: str, width: int, right: bool) -> str:
    """``text`` in exactly ``width`` cells: padded (on the left when ``right``), or cut with an
    ellipsis when longer."""
    length = cell_len(text)
    if length > width:
        if width <= 0:
            return ""
        return (text[: width - 1] if text.isascii() else _cut(text, width - 1)) + ELLIPSIS
    return " " * (width - length) + text if right else text + " " * (width - length)
