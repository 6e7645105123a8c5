"""The progress bar's line: what it shows, when it redraws, how it fits and ends (the CLI's
tests run it on a real terminal; here the clock and the width are set, to check figures)."""

from __future__ import annotations

import io

import pytest

from core.progress import ProgressBar, terminal_progress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make(
    columns: int = 100, encoding: str = "utf-8"
) -> tuple[ProgressBar, io.TextIOWrapper, Clock]:
    stream = io.TextIOWrapper(io.BytesIO(), encoding=encoding, write_through=True)
    clock = Clock()
    return ProgressBar(stream, clock=clock, columns=lambda: columns), stream, clock


def shown(stream: io.TextIOWrapper) -> list[str]:
    """Every version of every line drawn, trailing padding removed."""
    text = stream.buffer.getvalue().decode(stream.encoding)
    return [part.rstrip() for part in text.replace("\n", "\r\n\r").split("\r") if part.strip()]


def test_count_percentage_bar_rate_and_time_left():
    bar, stream, clock = make()
    bar.update("containers", 0, 20_000)
    clock.now += 4
    bar.update("containers", 5_000, 20_000)
    assert shown(stream) == [
        "containers  0/20,000   0% [                              ] --/s ETA --:--",
        "containers  5,000/20,000  25% [███████▌                      ] 1,250/s ETA 0:12",
    ]


def test_redraws_at_most_ten_times_a_second_but_always_the_end():
    bar, stream, clock = make()
    for done in range(0, 101):
        bar.update("rows", done, 100)
        clock.now += 0.01
    lines = shown(stream)
    assert len(lines) == 11  # 0, then every 0.1 s, then the end, never skipped
    assert lines[-1].startswith("rows  100/100 100% [██████████████████████████████] ")
    assert lines[-1].endswith(" in 0:01")  # the time taken replaces the estimate


def test_a_finished_stage_keeps_its_line_and_the_next_starts_below():
    bar, stream, clock = make()
    bar.update("containers", 0, 2)
    clock.now += 1
    bar.update("containers", 2, 2)
    clock.now += 5  # not counted: the stage ended when its last count came
    bar.update("history", 0, 3)
    bar.close()
    text = stream.buffer.getvalue().decode()
    assert text.count("\n") == 2
    first, second = text.split("\n")[:2]
    assert first.rsplit("\r", 1)[1].rstrip().endswith("2.0/s in 0:01")
    assert second.rsplit("\r", 1)[1].startswith("history  0/3   0%")


def test_closing_mid_stage_shows_where_it_stopped_on_a_line_of_its_own():
    bar, stream, clock = make()
    with pytest.raises(KeyboardInterrupt), bar:
        bar.update("containers", 0, 1000)
        clock.now += 2
        bar.update("containers", 300, 1000)
        clock.now += 0.05
        bar.update("containers", 310, 1000)  # not drawn yet: too soon
        raise KeyboardInterrupt
    text = stream.buffer.getvalue().decode()
    assert text.endswith("\n")
    assert shown(stream)[-1] == (
        "containers  310/1,000  31% [█████████▎                    ] 151/s in 0:02"
    )


def test_nothing_drawn_nothing_to_end():
    bar, stream, _ = make()
    bar.close()
    assert stream.buffer.getvalue() == b""


@pytest.mark.parametrize("columns", [100, 60, 40, 20, 8])
def test_the_line_fits_a_narrow_terminal(columns):
    bar, stream, clock = make(columns)
    bar.update("containers", 0, 20_000, item="web-0001")
    clock.now += 1
    bar.update("containers", 1_500, 20_000, item="web-1500")
    lines = shown(stream)
    assert all(len(line) <= columns - 1 for line in lines)
    expected = {
        100: "containers  1,500/20,000   7% [██▎                           ] 1,500/s ETA 0:12 web-1500",
        60: "containers  1,500/20,000   7% [▊         ] 1,500/s ETA 0:12",  # the item goes first,
        40: "containers  1,500/20,000   7% 1,500/s …",  # then the bar, then the text is cut
        20: "containers  1,500/…",
        8: "contai…",
    }
    assert lines[-1] == expected[columns]


def test_an_item_is_shown_escaped_and_cut():
    bar, stream, _ = make(100)
    bar.update("importing", 1, 3, item="evil\x1b[2J\nname-that-goes-on-and-on-and-on")
    line = shown(stream)[-1]
    assert "\x1b" not in line and "\n" not in line
    assert line.endswith("--:-- evil\\x1b[2J\\nname-that-goes-on…") and len(line) == 99


def test_ascii_blocks_where_the_terminal_cannot_show_others():
    bar, stream, clock = make(encoding="latin-1")
    bar.update("rows", 0, 10)
    clock.now += 1
    bar.update("rows", 5, 10)
    assert shown(stream)[-1] == "rows  5/10  50% [###############               ] 5.0/s ETA 0:01"


def test_a_terminal_that_went_away_stops_the_bar_not_the_work():
    class Gone(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError(5, "Input/output error")

    bar = ProgressBar(Gone(), columns=lambda: 80)
    bar.update("rows", 0, 10)
    bar.update("rows", 10, 10)
    bar.close()  # no error


def test_no_bar_off_a_terminal():
    with terminal_progress(io.StringIO()) as bar:
        assert bar is None
