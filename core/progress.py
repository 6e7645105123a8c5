"""The progress bar of long commands (``nodekeeper demo``, ``import-lxc``), on a terminal only.

One line on standard error, redrawn in place at most ten times a second, as admins know it
from pip, apt and tqdm: what is under way, the count, the percentage, the bar, the rate and
the time left::

    containers  9,500/20,000  47% [█████████▍          ] 1,870/s ETA 0:06

A stage (``containers``, then ``history``...) keeps its line when the next one starts, with
the time it took in place of the estimate (``in 0:10``), so the finished stages stay readable
above the one under way. The line fits the terminal's width, read at every redraw (a resized
window is followed): the bar shrinks, then goes, then the text is cut. An item shown after
the rate (the container being imported) is untrusted text: control characters are escaped.
Leaving the ``with`` block ends the line, after an error or Ctrl-C too, so that what follows
(``error: ...``, ``interrupted``, the shell's prompt) starts on a line of its own.

Plain code rather than tqdm or rich.progress: this is all the CLI needs, it adds no dependency
to the command line's start, draws without a thread, and nothing at all off a terminal.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from .table import cell_len, fitted
from .text import escape_control

REDRAW_EVERY = 0.1  # seconds: a steady line, and no time lost drawing it
BAR_CELLS = (10, 30)  # the bar's narrowest (else it goes) and widest
FALLBACK_COLUMNS = 80
# Eighths of a cell, so a slow stage still moves; ASCII where the terminal cannot show them.
BLOCKS = " ▏▎▍▌▋▊▉█"
ASCII_BLOCKS = " #"


class ProgressBar:
    """Draws ``update(stage, done, total)`` calls on ``stream``, a terminal. ``clock`` and
    ``columns`` are for tests: seconds, and the terminal's width (read from ``stream``)."""

    def __init__(
        self,
        stream: TextIO,
        *,
        clock: Callable[[], float] = time.monotonic,
        columns: Callable[[], int] | None = None,
    ):
        self._stream = stream
        self._clock = clock
        self._columns = columns or self._terminal_columns
        encoding = getattr(stream, "encoding", None) or "ascii"
        self._blocks = BLOCKS if _can_encode(BLOCKS, encoding) else ASCII_BLOCKS
        self._stage: str | None = None
        self._done = self._total = 0
        self._item = ""
        self._started = self._updated = self._drawn_at = 0.0
        self._ended_drawn = False  # the line shows the stage's last count and time taken
        self._shown = 0  # cells of the line on screen now; 0: no line under way
        self._broken = False  # the terminal went away: draw nothing more

    def update(self, stage: str, done: int, total: int, item: str = "") -> None:
        now = self._clock()
        if stage != self._stage:
            self._end_line()
            self._stage, self._started = stage, now
        self._done, self._total, self._item, self._updated = done, total, item, now
        if done >= total or now - self._drawn_at >= REDRAW_EVERY or not self._shown:
            self._draw(now)  # else drawn again soon enough; the last count is never skipped

    def close(self) -> None:
        """End the line under way, showing the last count: the stage's end, or where an
        error or Ctrl-C stopped it."""
        self._end_line()
        self._stage = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- drawing

    def _end_line(self) -> None:
        if self._stage is None or not self._shown:
            return
        if not self._ended_drawn:  # the last count, as of when it came (not this moment)
            self._draw(self._updated, ended=True)
        self._write("\n")
        self._shown = 0

    def _draw(self, now: float, *, ended: bool = False) -> None:
        width = max(1, self._columns() - 1)  # the last column would wrap on some terminals
        self._ended_drawn = ended or self._done >= self._total
        line = self._line(now, width, ended=self._ended_drawn)
        padding = " " * max(0, min(self._shown, width) - cell_len(line))
        # Counted as shown before it is written: Ctrl-C in between still ends the line.
        self._shown, self._drawn_at = cell_len(line), now
        self._write("\r" + line + padding)

    def _line(self, now: float, width: int, *, ended: bool = False) -> str:
        """The line for the state at ``now``, at most ``width`` cells; ``ended``: the time
        taken in place of the estimate."""
        done, total = self._done, self._total
        elapsed = max(0.0, now - self._started)
        ratio = 1.0 if total <= 0 else min(1.0, max(0.0, done / total))
        rate = done / elapsed if done > 0 and elapsed > 0 else None
        if ended:
            when = f"in {_duration(elapsed)}"
        elif rate:
            when = f"ETA {_duration((total - done) / rate)}"
        else:
            when = "ETA --:--"
        head = f"{escape_control(self._stage or '')}  {done:,}/{total:,} {int(ratio * 100):3d}%"
        tail = f"{_rate(rate)}/s {when}"
        room = width - cell_len(head) - len(tail) - 4  # the spaces and brackets around the bar
        line = f"{head} {tail}"
        if room >= BAR_CELLS[0]:
            line = f"{head} [{self._bar(ratio, min(room, BAR_CELLS[1]))}] {tail}"
        left = width - cell_len(line) - 1
        if self._item and left >= 4:
            line += " " + fitted(escape_control(self._item), left, right=False).rstrip()
        return line if cell_len(line) <= width else fitted(line, width, right=False)

    def _bar(self, ratio: float, cells: int) -> str:
        steps = len(self._blocks) - 1
        filled, part = divmod(round(ratio * cells * steps), steps)
        partial = self._blocks[part] if part else ""
        return (self._blocks[-1] * filled + partial).ljust(cells)

    def _terminal_columns(self) -> int:
        try:
            return os.get_terminal_size(self._stream.fileno()).columns or FALLBACK_COLUMNS
        except (OSError, ValueError, AttributeError):
            return FALLBACK_COLUMNS

    def _write(self, text: str) -> None:
        if self._broken:
            return
        try:
            self._stream.write(text)
            self._stream.flush()
        except OSError:  # the terminal was closed (ssh dropped): the work goes on without it
            self._broken = True


@contextmanager
def terminal_progress(stream: TextIO | None = None) -> Iterator[ProgressBar | None]:
    """A ProgressBar on ``stream`` (standard error) when it is a terminal, else None: nothing
    is drawn into a pipe, a file or a cron mail. The line is ended when the block ends,
    however it ends."""
    stream = sys.stderr if stream is None else stream
    if not stream.isatty():
        yield None
        return
    with ProgressBar(stream) as bar:
        yield bar


def _can_encode(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _duration(seconds: float) -> str:
    """``0:07``, ``12:30``, ``1:02:03``."""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _rate(rate: float | None) -> str:
    if rate is None:
        return "--"
    return f"{rate:,.0f}" if rate >= 100 else f"{rate:.1f}"


__all__ = ["ProgressBar", "terminal_progress"]
