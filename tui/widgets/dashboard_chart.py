"""A Sparkline on a fixed scale: bars measured from a floor (0) to a ceiling (100 % for CPU).

Textual's Sparkline stretches its data between the series' own minimum and maximum, so a CPU
idling between 1 and 2 % fills the whole height; this one keeps the scale the numbers next to
it use. It keeps Sparkline's colour component classes (``sparkline--min-color`` and
``sparkline--max-color``), blending from one to the other with the height of the bar.

Columns: a series longer than the widget is split into one bucket per column, each showing its
largest value (a short spike stays visible). A shorter one is drawn one column per value, flush
right (the newest value at the right edge) or, with ``stretch``, spread over the whole width
(the 24-hour chart: each hour gets the same number of columns, give or take one). ``None`` is a gap (no samples).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from rich.style import Style
from rich.text import Span, Text
from textual.app import RenderResult
from textual.widgets import Sparkline

BARS = "▁▂▃▄▅▆▇█"
# A chart as drawn: width, height, and per column the eighths filled and the colour (None: a gap).
Picture = tuple[int, int, tuple[tuple[int, Style] | None, ...]]


def columns(
    data: Sequence[float | None], width: int, *, stretch: bool = False
) -> list[float | None]:
    """One value per column (at most ``width``; fewer when not stretched)."""
    if width <= 0 or not data:
        return []
    if len(data) > width:
        step = Fraction(len(data), width)
        out: list[float | None] = []
        for column in range(width):
            bucket = [
                v for v in data[int(step * column) : int(step * (column + 1))] if v is not None
            ]
            out.append(max(bucket) if bucket else None)
        return out
    if not stretch:
        return list(data)
    return [data[len(data) * column // width] for column in range(width)]


def levels(value: float, floor: float, ceiling: float, height: int) -> int:
    """How many eighths of the ``height`` lines a value fills: at least 1 (a value is never
    drawn as a gap), at most all of them."""
    extent = ceiling - floor
    ratio = (value - floor) / extent if extent > 0 else 1.0
    return max(1, min(8 * height, round(ratio * 8 * height)))


class ScaledSparkline(Sparkline):
    """``Sparkline`` with a fixed ``floor`` and ``ceiling`` (None: the largest value, so the
    bars still start at the floor) and gaps for None."""

    DEFAULT_CSS = """
    ScaledSparkline {
        width: 1fr;
    }
    """

    def __init__(
        self,
        data: Sequence[float | None] | None = None,
        *,
        floor: float = 0.0,
        ceiling: float | None = None,
        stretch: bool = False,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        self.floor = floor
        self.ceiling = ceiling
        self.stretch = stretch
        self._drawn: Picture | None = None  # what the last render() drew
        super().__init__(data, name=name, id=id, classes=classes)  # type: ignore[arg-type]

    def set_data(self, data: Sequence[float | None], *, ceiling: float | None = None) -> None:
        """New values (and ceiling); redraws only when the picture changes.

        A new value does not always change it: the 24-hour chart gets a new average for the
        hour under way every sample, which moves its bar by an eighth or its colour by one
        step of 256 only now and then. Then the values are kept without a repaint (a repaint
        of the whole chart costs ~10 ms)."""
        values = tuple(data)
        if values == self.data and ceiling == self.ceiling:
            return
        self.ceiling = ceiling
        # Only a change of the newest value alone is worth comparing pictures for: when the
        # series moved on (the recent minutes), the picture has moved too.
        newest_only = self.data is not None and values[:-1] == tuple(self.data)[:-1]
        if newest_only and self._drawn is not None and self._picture(values) == self._drawn:
            self.set_reactive(ScaledSparkline.data, values)  # type: ignore[arg-type]
            return
        self.data = values  # type: ignore[assignment]
        self.refresh()  # the ceiling alone may have changed

    def _picture(self, data: Sequence[float | None]) -> Picture:
        """What ``data`` looks like at the current size and colours: per column, the eighths
        filled and the colour (None: a gap), flush right in ``width`` x ``height``."""
        width, height = self.size.width, max(1, self.size.height)
        values = columns(list(data), width, stretch=self.stretch)
        present = [v for v in values if v is not None]
        ceiling = self.ceiling if self.ceiling is not None else max(present, default=1.0)
        ceiling = max(ceiling, self.floor + 1e-9)
        _, base = self.background_colors
        low = base + self.get_component_styles("sparkline--min-color").color
        high = base + self.get_component_styles("sparkline--max-color").color
        bars: list[tuple[int, Style] | None] = []
        for value in values:
            if value is None:
                bars.append(None)
                continue
            ratio = min(1.0, max(0.0, (value - self.floor) / (ceiling - self.floor)))
            colour = low.blend(high, ratio).rich_color
            bars.append((levels(value, self.floor, ceiling, height), Style(color=colour)))
        return width, height, tuple(bars)

    def render(self) -> RenderResult:
        # Each column's level and colour are worked out once (_picture), not once per line, and
        # each line is built in one go: the same Text (the same spans) as appending cell by
        # cell, for less. Most of a repaint is Textual's, turning those spans into strips.
        self._drawn = width, height, bars = self._picture(self.data or ())
        pad = width - len(bars)
        lines = []
        for line in reversed(range(height)):  # top line first
            cells = [" " * pad]
            spans = []
            for x, bar in enumerate(bars, start=pad):
                filled = 0 if bar is None else bar[0] - line * 8
                if filled <= 0:
                    cells.append(" ")
                    continue
                cells.append(BARS[min(filled, 8) - 1])
                spans.append(Span(x, x + 1, bar[1]))
            lines.append(Text("".join(cells), spans=spans, end=""))
        return Text("\n", end="").join(lines)
