"""A kind's listing as its section's table keeps it: per row the texts of its cells, a tuple of
strings, not a Cell per value.

Built in the section's read worker, column by column, from what the columns declare
(``core.kinds.base.Column``): each column's values once, their texts (escaped, as the cells
show them; computed once per distinct value: thousands of containers share a few states,
profiles and images), the widest text of each column, and the text the filter searches. A
row's cells are built when the table draws it, what it sorts by when the table sorts.

Why: with 20,000 containers a Cell per value was 120,000 objects, 1.2 s to build and, with
their tuples, half of that in the cyclic garbage collector walking them. A tuple of strings
costs about a hundred bytes and the collector leaves it alone. The passes over the rows are
made in C where they can be (``map``, ``zip``, ``dict``, ``str.join``): a Python loop over
20,000 rows costs about 10 ms a step on the 2-core machine.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Sequence
from itertools import compress, repeat
from typing import Any

from core.kinds import Kind
from core.kinds.base import Column, Listing
from core.table import cell_len
from core.text import escape_control

from ..looks.base import TONE_STYLE
from ..widgets.resource_table import Cell, TableRows, sort_keys_of

MATCHES_KEPT = 32  # filter texts whose matches are kept (typing narrows them, erasing finds them)


class KindRows(TableRows):
    """The rows of ``data``, a listing of ``kind``: ``rows[key]`` is the tuple of the texts of
    the row's cells (then the styles of the columns with tones), ``search[key]`` what the filter
    looks in (the texts, casefolded). A row that came out as it was in ``before`` is ``before``'s
    very tuple, so the table does not draw it again. ``sort``: (column, reverse) to sort the rows
    by now, off the main thread (the table asks ``order`` for it)."""

    def __init__(
        self,
        kind: Kind[Any],
        data: Listing[Any],
        before: KindRows | None = None,
        sort: tuple[int, bool] | None = None,
    ) -> None:
        self.kind, self.data = kind, data
        self.columns: Sequence[Column[Any]] = kind.columns
        keys, items = list(data.items), list(data.items.values())
        texts, styles = [], []
        self._values: dict[int, list[object]] = {}  # kept until the sort below has used them
        for index, column in enumerate(self.columns):
            values = list(map(column.value, items, repeat(data)))
            texts.append(_texts(column, values, data))
            if column.tones:
                styles.append(_each(values, lambda v, c=column: TONE_STYLE.get(c.tone(v), "")))
            if index == 0 or (sort is not None and index == sort[0]):
                self._values[index] = values
        self._widths = [_widest(column) for column in texts]
        self._rows: dict[str, tuple[str, ...]] = dict(zip(keys, zip(*texts, *styles)))  # noqa: B905
        folded = map(str.casefold, map("\n".join, zip(*texts)))  # noqa: B905  (all in C)
        self.search: dict[str, str] = dict(zip(keys, folded))  # noqa: B905
        if before:
            self._keep_unchanged(before._rows)
        self._sorted: tuple[tuple[int, bool], list[str]] | None = None
        # Filter texts asked for (casefolded): the keys they were asked of, and their matches.
        self._matches: dict[str, tuple[list[str], list[str]]] = {}
        if sort is not None:
            self._sorted = (sort, super().order(*sort))
        self._values.clear()

    def matching(self, wanted: str, keys: list[str]) -> list[str]:
        """Those of ``keys`` whose row's text has ``wanted`` in it (casefolded: any case), in
        their order (a list not to be changed): one pass in C, over the matches of a text
        ``wanted`` holds when one was asked for (typing narrows: the rows matching "db-01"
        are among those matching "db-0"), none for a text asked for already (erasing widens
        back). A filter keystroke over 20,000 rows thus looks at a few of them mostly."""
        wanted = wanted.casefold()
        found = self._matches.get(wanted)
        if found is not None and found[0] is keys:
            return found[1]
        among = keys
        for text, (source, matched) in self._matches.items():
            if source is keys and text in wanted and len(matched) < len(among):
                among = matched
        texts = map(self.search.__getitem__, among)
        matched = list(compress(among, map(str.__contains__, texts, repeat(wanted))))
        self._matches[wanted] = (keys, matched)
        if len(self._matches) > MATCHES_KEPT:
            del self._matches[next(iter(self._matches))]
        return matched

    def _keep_unchanged(self, before: dict[str, tuple[str, ...]]) -> None:
        """Rows as they were ``before`` become its very tuples (a refresh: the first read of a
        section has nothing to compare)."""
        rows = self._rows
        for key, row in rows.items():
            old = before.get(key)
            if old == row:
                rows[key] = old  # type: ignore[assignment]

    # -- Mapping

    def __getitem__(self, key: str) -> tuple[str, ...]:
        return self._rows[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    # -- TableRows

    def cells(self, key: str) -> tuple[Cell, ...]:
        data, row = self.data, self._rows[key]
        item = data.items[key]
        styles = iter(row[len(self.columns) :])
        return tuple(
            Cell(text, sort=column.sort_value(column.value(item, data), data),
                 justify="right" if column.numeric else None,
                 style=next(styles) if column.tones else "")
            for text, column in zip(row, self.columns, strict=False)
        )  # fmt: skip

    def drawn(self, key: str) -> Iterator[tuple[str, bool, str]]:
        row = self._rows[key]  # texts, then the styles of the columns with tones
        styles = iter(row[len(self.columns) :])
        for text, column in zip(row, self.columns, strict=False):
            yield text, column.numeric, next(styles) if column.tones else ""

    def widths(self) -> list[int]:
        return self._widths

    def sort_keys(self, column: int) -> dict[str, Any]:
        spec, data = self.columns[column], self.data
        values = self._values.get(column)
        if values is None:
            values = list(map(spec.value, data.items.values(), repeat(data)))
        if not (_plain(spec) and set(map(type, values)) <= {str}):  # names sort as they are
            values = _each(values, lambda v: spec.sort_value(v, data))
        keys = sort_keys_of(values)
        return dict(zip(self._rows, keys, strict=True))

    def order(self, column: int, reverse: bool) -> list[str]:
        if self._sorted is not None and self._sorted[0] == (column, reverse):
            return self._sorted[1]
        return super().order(column, reverse)


def _texts(column: Column[Any], values: list[object], data: Listing[Any]) -> list[str]:
    """Each value as its cell shows it: ``column.text``, control characters escaped."""
    texts: list[str] | None = None
    if _plain(column):
        types = set(map(type, values))
        if types <= {str}:
            texts = values  # type: ignore[assignment]  (names: as they are)
        elif types == {list}:  # profiles, networks: as_text's "a, b", in C (text only)
            with contextlib.suppress(TypeError):
                texts = list(map(sys.intern, map(", ".join, values)))  # type: ignore[arg-type]
    if texts is None:
        texts = _each(values, lambda v: column.text(v, data))
    joined = "".join(texts)
    if escape_control(joined) == joined:  # one look in C for the column: nearly always
        return texts
    return list(map(escape_control, texts))


def _plain(column: Column[Any]) -> bool:
    """Whether a text value of ``column`` is shown and sorted as it is (``Column.text``,
    ``Column.sort_value``): no ``text_of``, the text format."""
    return column.text_of is None and column.format == "text"


_NUMBERS = frozenset({bool, int, float})  # equal across types (1 == True), not the same text


def _each(values: list[object], compute: Callable[[object], Any]) -> list[Any]:
    """``compute(value)`` for each value, once per distinct value (a list as a tuple), so that
    equal values share one result; each value on its own when they are not hashable, or
    numbers of several types."""
    types = set(map(type, values))
    if len(types & _NUMBERS) > 1:
        return [compute(value) for value in values]
    keys: list[object] = values
    if types == {list}:
        keys = list(map(tuple, values))  # type: ignore[arg-type]
    elif list in types:
        keys = [tuple(v) if type(v) is list else v for v in values]  # type: ignore[arg-type]
    try:
        distinct = dict(zip(keys, values))  # noqa: B905  (one value of each, in C)
    except TypeError:  # a dict, a list of lists
        return [compute(value) for value in values]
    computed = {key: compute(value) for key, value in distinct.items()}
    return list(map(computed.__getitem__, keys))


def _widest(texts: list[str]) -> int:
    """The cells the widest text takes (``cell_len``, as ``Cell.width``)."""
    if not texts:
        return 0
    if "".join(texts).isascii():  # one check in C for the column: then a character is a cell
        return max(map(len, texts))
    return max(map(cell_len, texts))
