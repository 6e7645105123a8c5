"""Views that read the store again and again while shown, and show rows only where they changed
(the Fleet and Threats sections).

``Rounds``: the view's ``_read`` (a thread worker it defines) posts a message; the handler
applies it and calls ``round_ended``, which schedules the next read ``interval`` seconds after
this one ended: never two reads at once, and a hidden view reads nothing until it is shown again
(dolphie's panels work so).

``ShownRows``: a table's rows kept as their texts; a row read as it was stays the very tuple of
cells drawn, so no cells are made for it and the table draws it from its cache.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from textual import events
from textual.timer import Timer

from .resource_table import Cell, ResourceTable

Texts = tuple[tuple[str, str], ...]  # a row as (text, style) per column


def cells_of(texts: Texts) -> tuple[Cell, ...]:
    return tuple(Cell(text, style=style) for text, style in texts)


class ShownRows:
    """What one table shows, by row key: the texts and the cells made of them."""

    def __init__(self) -> None:
        self._shown: dict[str, tuple[Texts, tuple[Cell, ...]]] = {}

    def show(self, table: ResourceTable, texts: Mapping[str, Texts]) -> bool:
        """Show ``texts`` in ``table``, drawing it again only if a row changed, came or went;
        returns whether there are rows."""
        before, shown = self._shown, {}
        for key, row in texts.items():
            old = before.get(key)
            shown[key] = old if old is not None and old[0] == row else (row, cells_of(row))
        self._shown = shown
        if list(shown) != list(before) or any(
            before.get(key) is not row for key, row in shown.items()
        ):
            table.show({key: cells for key, (_, cells) in shown.items()})
        return bool(shown)


class Rounds:
    """Mixed into a Widget that defines ``_read`` (a thread worker posting what it read) and
    ``interval``; its handler of that message calls ``round_ended`` once it applied it."""

    round_name: ClassVar[str] = "round"  # the timer's name
    interval: float
    rounds = 0  # reads applied, for tests
    _timer: Timer | None = None
    _busy = False  # a read is under way

    def _read(self) -> None:
        raise NotImplementedError

    def on_show(self, _event: events.Show) -> None:
        if not self._busy:
            self.refresh_now()

    def on_unmount(self) -> None:
        if self._timer is not None:
            self._timer.stop()

    def refresh_now(self) -> None:
        """Read now, unless a read is under way (its result comes anyway)."""
        if self._busy:
            return
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._busy = True
        self._read()

    def round_ended(self) -> None:
        self._busy = False
        self.rounds += 1
        if self.is_attached and self.display:  # type: ignore[attr-defined]
            self._timer = self.set_timer(  # type: ignore[attr-defined]
                self.interval, self._round, name=self.round_name
            )

    def _round(self) -> None:
        self._timer = None
        if not self.is_on_screen:  # type: ignore[attr-defined]  # hidden: the next Show reads
            return
        self._busy = True
        self._read()
