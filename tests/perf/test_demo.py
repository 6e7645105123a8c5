"""``nodekeeper demo`` at 2,000 and 20,000 containers, end to end through the command (issue 12:
5.5 s and 36 s, the containers saved one per transaction). The 2,000-container demo is the
baseline of the 20,000 one, measured in the same run: the target is linear growth, at most
10 times the time for 10 times the containers.

Run on demand: ``.venv/bin/pytest -m perf tests/perf/test_demo.py -s``. Prints the wall time
and peak RSS of each (the best of ``RUNS``), with the default 3 days of history and with
``--days 0`` (the containers alone, start-up included), the ratios, then holds them to the
target. ``NODEKEEPER_PERF_BEFORE=/path/to/checkout`` (a checkout with its own ``.venv``, such as
the code before a change) measures its demo in the same run too, once, and prints the speed-up.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

import pytest

from .measure import NODEKEEPER, measured

pytestmark = pytest.mark.perf

SIZES = (2_000, 20_000)
RUNS = 2  # the best of: the machine's speed varies from run to run
TARGET_RATIO = 10  # 10 times the containers: at most 10 times the time


def demo(tmp_path: Path, containers: int, days: int, checkout: Path | None = None):
    """Wall seconds and peak RSS (MB) of ``nodekeeper demo`` into a new SQLite file."""
    db = tmp_path / f"demo-{containers}-{days}-{len(list(tmp_path.iterdir()))}.db"
    argv = ("demo", "--db", str(db), "--containers", str(containers), "--days", str(days))
    if checkout is None:
        return measured(NODEKEEPER, *argv)
    return measured(NODEKEEPER, *argv, python=str(checkout / ".venv/bin/python"), cwd=checkout)


def best(measures: list[tuple[float, float]]) -> tuple[float, float]:
    """The best time of the runs, and the highest peak."""
    return min(s for s, _ in measures), max(mb for _, mb in measures)


def test_the_demo_grows_linearly_with_the_containers(tmp_path: Path):
    before_dir = os.environ.get("NODEKEEPER_PERF_BEFORE")
    checkout = Path(before_dir) if before_dir else None
    runs: dict[tuple[str, int], list[tuple[float, float]]] = defaultdict(list)
    for _ in range(RUNS):  # interleaved, so that a busy moment of the machine hits them all
        for n in SIZES:
            for days in (3, 0):
                runs[f"--days {days}", n].append(demo(tmp_path, n, days))
            if checkout is not None and not runs["before", n]:
                runs["before", n].append(demo(tmp_path, n, 3, checkout))
    labels = ["--days 3", "--days 0"] + (["before"] if checkout is not None else [])
    figures = {label: [best(runs[label, n]) for n in SIZES] for label in labels}
    before = figures.get("before")

    small, large = (f"{n:,} containers" for n in SIZES)
    print(f"\nnodekeeper demo, SQLite file; best of {RUNS}; seconds (peak RSS MB)")
    if before:
        print(f"before: the checkout {before_dir}")
    print(f"{'':28}{small:>18}{large:>18}{'ratio':>8}")
    rows = [("--days 3 (default)", figures["--days 3"]), ("--days 0", figures["--days 0"])]
    if before:
        rows.append(("before (--days 3, one run)", before))
    for label, ((s1, mb1), (s2, mb2)) in rows:
        print(f"{label[:28]:28}{f'{s1:.2f} s ({mb1:.0f})':>18}{f'{s2:.2f} s ({mb2:.0f})':>18}"
              f"{s2 / s1:7.1f}x")  # fmt: skip
    if before:
        speedups = [b[0] / a[0] for a, b in zip(figures["--days 3"], before, strict=True)]
        print(f"{'speed-up against before':28}{speedups[0]:17.1f}x{speedups[1]:17.1f}x")
    else:
        print("(NODEKEEPER_PERF_BEFORE=CHECKOUT measures another checkout's demo beside it)")
    print(f"target: ratio <= {TARGET_RATIO} (linear)")
    for label in ("--days 3", "--days 0"):
        (small_s, _), (large_s, _) = figures[label]
        assert large_s / small_s <= TARGET_RATIO, label
