"""The log tailer's speed, measured: ``pytest -m perf tests/perf/test_tail_speed.py -s``.

``read_new`` over a file of 1,000,000 auth.log lines (about 100 MB), from the start, in its
default batches, against the plainest way Python reads the same lines, ``for line in
open(path, errors="replace")`` (a lower bound for any reader: no offsets, no batches, no
newline stripped), timed alternately, best of each. Printed: lines/s of both and the ratio; the
same over a CRLF file with bytes that are not UTF-8 in one line of ten.

Also the cost of a poll that finds nothing new (what a collector pays per file and cycle),
against ``os.stat`` of the file; target: p50 <= 1 ms.

Target: >= 500,000 lines/s (the end-to-end import, parsing and SQLite inserts included, must
reach 100,000 lines/s: the tailer may take a small share of that); asserted: >= 300,000, since
this shared 2-core machine's timings vary 2x from run to run.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

import pytest

from core.collect.logs.tail import read_new

pytestmark = pytest.mark.perf

LINES, RUNS = 1_000_000, 3
TARGET, ASSERTED = 500_000, 300_000
IDLE_POLLS, TARGET_IDLE_MS = 2000, 1.0


def write_log(path: Path, *, crlf: bool = False) -> None:
    end = b"\r\n" if crlf else b"\n"
    with open(path, "wb") as f:
        for start in range(0, LINES, 10_000):
            f.write(
                b"".join(
                    b"Dec  5 01:%02d:%02d node sshd[%d]: Failed password for invalid user "
                    b"admin%s from 203.0.%d.%d port %d ssh2%s"
                    % (
                        i // 60 % 60,
                        i % 60,
                        1000 + i % 30_000,
                        b"\xff\xfe" if crlf and i % 10 == 0 else b"",
                        i % 256,
                        i * 7 % 256,
                        1024 + i % 60_000,
                        end,
                    )  # fmt: skip
                    for i in range(start, start + 10_000)
                )
            )


def tail_all(path: Path) -> int:
    count = 0
    for batch in read_new(str(path), None):
        count += len(batch.lines)
    return count


def plain_read(path: Path) -> int:
    count = 0
    with open(path, encoding="utf-8", errors="replace") as f:
        for _line in f:
            count += 1
    return count


def rate_of(fn, path: Path) -> float:
    """Lines/s of ``fn`` over ``path``, one run."""
    start = time.perf_counter()
    assert fn(path) == LINES
    return LINES / (time.perf_counter() - start)


def line(name: str, value: str, note: str = "") -> None:
    print(f"{name:<48} {value:>16}  {note}")


@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf-and-bad-bytes"])
def test_tailer_lines_per_second(tmp_path, crlf):
    path = tmp_path / "auth.log"
    write_log(path, crlf=crlf)
    ours, plain = [], []
    for _ in range(RUNS):  # alternate, so both see the same machine
        ours.append(rate_of(tail_all, path))
        plain.append(rate_of(plain_read, path))
    rate, baseline = max(ours), max(plain)
    size = path.stat().st_size >> 20
    print(f"\nread_new over {LINES:,} lines ({size} MiB{', CRLF, bad bytes' if crlf else ''})")
    line("read_new, default batches", f"{rate:,.0f} lines/s", f"{rate / baseline:.2f}x")
    line("for line in open(..., errors='replace') (baseline)", f"{baseline:,.0f} lines/s", "1.00x")
    print(f"target: >= {TARGET:,} lines/s: {'PASS' if rate >= TARGET else 'FAIL'}")
    assert rate >= ASSERTED


def test_a_poll_that_finds_nothing_new(tmp_path):
    path = tmp_path / "auth.log"
    write_log(path)
    state = None
    for batch in read_new(str(path), None):
        state = batch.state
    polls, stats = [], []
    for _ in range(IDLE_POLLS):  # alternate, so both see the same machine
        start = time.perf_counter()
        assert next(read_new(str(path), state), None) is None
        polls.append(time.perf_counter() - start)
        start = time.perf_counter()
        os.stat(path)
        stats.append(time.perf_counter() - start)
    poll_us, stat_us = statistics.median(polls) * 1e6, statistics.median(stats) * 1e6
    print(f"\na poll that finds nothing new, median of {IDLE_POLLS}")
    line("read_new(path, state)", f"{poll_us:.1f} us", f"{poll_us / stat_us:.1f}x")
    line("os.stat(path) (baseline)", f"{stat_us:.1f} us", "1.0x")
    ok = poll_us / 1000 <= TARGET_IDLE_MS
    print(f"target: p50 <= {TARGET_IDLE_MS} ms: {'PASS' if ok else 'FAIL'}")
    assert ok
