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

from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import Sparkline

BARS = "▁▂▃▄▅▆▇█"
# The colour blends from min to max in this many steps: finer than the eye tells apart in a bar,
# coarse enough that the average of the hour under way does not repaint its column (and, with
# the screen's other updates, the whole dashboard) every sample for a change of one in 256.
COLOUR_STEPS = 32
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
        # The last picture drawn, the widget's style it was drawn with, and its lines.
        self._drawn: tuple[Picture, Style, list[Strip]] | None = None
        super().__init__(data, name=name, id=id, classes=classes)  # type: ignore[arg-type]

    def set_data(self, data: Sequence[float | None], *, ceiling: float | None = None) -> None:
        """New values (and ceiling); repaints only the columns whose bars change.

        A new value does not always change the picture: a new average for the hour under way
        moves its bar by an eighth or its colour by one of COLOUR_STEPS steps only now and
        then. Then the values are kept without a repaint; when only the newest columns
        changed, only they are repainted (the terminal gets a few cells instead of the whole
        chart)."""
        values = tuple(data)
        if values == self.data and ceiling == self.ceiling:
            return
        self.ceiling = ceiling
        self.set_reactive(ScaledSparkline.data, values)  # type: ignore[arg-type]
        drawn = self._drawn[0] if self._drawn is not None else None
        if drawn is None or not self.size:
            self.refresh()
            return
        picture = self._picture(values)
        if picture == drawn:
            return
        width, height, bars = picture
        if (width, height, len(bars)) != drawn[:2] + (len(drawn[2]),):
            self.refresh()
            return
        first = next(
            x for x, (new, old) in enumerate(zip(bars, drawn[2], strict=True)) if new != old
        )
        pad = width - len(bars)
        self.refresh(Region(pad + first, 0, width - pad - first, height))

    def _picture(self, data: Sequence[float | None]) -> Picture:
        """What ``data`` looks like at the current size and colours: per column, the eighths
        filled and the colour (None: a gap), flush right in ``width`` x ``height``."""
        width, height = self.size.width, max(1, self.size.height)
        values = columns(list(data), width, stretch=self.stretch)
        present = [v for v in values if v is not None]
        ceiling = self.ceiling if self.ceiling is not None else max(present, default=1.0)
        ceiling = max(ceiling, self.floor + 1e-9)
        # visual_style: the background blended down the DOM, cached by Textual until the
        # styles change (background_colors would walk the ancestors on every call).
        base = self.visual_style.background
        low = base + self.get_component_styles("sparkline--min-color").color
        high = base + self.get_component_styles("sparkline--max-color").color
        bars: list[tuple[int, Style] | None] = []
        for value in values:
            if value is None:
                bars.append(None)
                continue
            ratio = min(1.0, max(0.0, (value - self.floor) / (ceiling - self.floor)))
            ratio = round(ratio * COLOUR_STEPS) / COLOUR_STEPS
            bars.append((levels(value, self.floor, ceiling, height), _blend(low, high, ratio)))
        return width, height, tuple(bars)

    def render_lines(self, crop: Region) -> list[Strip]:
        # The Line API: the strips are built straight from the picture (one segment per
        # column, its style the widget's plus the bar's colour), not through a Rich Text that
        # Textual would turn back into strips. Built once per picture, here, once a paint; a
        # partial repaint (set_data) takes its lines from them.
        self._lines()
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        lines = self._drawn[2] if self._drawn is not None else self._lines()
        if y < len(lines):
            return lines[y]
        return Strip.blank(self.size.width, self.visual_style.rich_style)

    def _lines(self) -> list[Strip]:
        """The lines of the current picture, drawn again only when it changed."""
        picture = self._picture(self.data or ())
        base = self.visual_style.rich_style
        if self._drawn is None or self._drawn[:2] != (picture, base):
            self._drawn = picture, base, self._draw(picture, base)
        return self._drawn[2]

    @staticmethod
    def _draw(picture: Picture, base: Style) -> list[Strip]:
        """The picture's lines, top first."""
        width, height, bars = picture
        pad = Segment(" " * (width - len(bars)), base)
        blank = Segment(" ", base)
        styles = [None if bar is None else base + bar[1] for bar in bars]
        lines = []
        for line in reversed(range(height)):  # top line first
            segments = [pad]
            for bar, style in zip(bars, styles, strict=True):
                filled = 0 if bar is None else bar[0] - line * 8
                if filled <= 0:
                    segments.append(blank)
                else:
                    segments.append(Segment(BARS[min(filled, 8) - 1], style))
            lines.append(Strip(segments, width).simplify())
        return lines


_STYLES: dict[tuple[Color, Color, float], Style] = {}


def _blend(low: Color, high: Color, ratio: float) -> Style:
    """The bar's colour, ``ratio`` of the way from ``low`` to ``high``. Kept: a chart of the
    recent minutes shifts by a column a sample, so its colours come back every repaint."""
    key = (low, high, ratio)
    style = _STYLES.get(key)
    if style is None:
        if len(_STYLES) >= 4096:
            _STYLES.clear()
        style = _STYLES[key] = Style(color=low.blend(high, ratio).rich_color)
    return style
