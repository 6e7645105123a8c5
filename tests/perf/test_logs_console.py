"""The console's Logs section with 1,000,000 events stored (issue 14). Run on demand::

    .venv/bin/pytest -m perf tests/perf/test_logs_console.py -s -q

The events (one every 2.6 s: 30 days; 1 in 10 with an action and an IP out of 5,000, the
messages of a few kinds with a word out of 1,000 in each) go into a SQLite file with one
``executemany``, then into the text index (``store.logs.index_text``). The console runs
headless on the dashboard; then, wall time, median of RUNS, each beside its baseline (the bare
store call the section makes, in the same run) and the ratio to its target:

- the section shown (as "9" does) to its first page shown (the Logs section's read: ``last_id`` and ``events``),
  target <= 200 ms; the histogram, read after it, is printed too;
- a filter by IP, and one by action, typed (``apply_filter``) to their first page shown,
  target <= 100 ms;
- a text search, a word of 1 event in 1,000 and one of 1 in 10, target <= 300 ms.

Only the results are asserted (the section shows what the store gives), not the timings: this
2-core machine is shared, and they vary from run to run.
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

import core
from core.store.logs import EventFilter, FilePosition
from tui.app import NodekeeperApp
from tui.screens.logs import PAGE, LogsView

from ..tui.pilot import settle

pytestmark = pytest.mark.perf

EVENTS = 1_000_000
START = 1_780_000_000
STEP = 2.6  # seconds between two events: 30 days
RUNS = 5
TARGET_FIRST_PAGE, TARGET_FILTER, TARGET_TEXT = 0.200, 0.100, 0.300
IP = "203.0.113.77"
ACTIONS = ("login_failed", "invalid_user", "ban", "sudo", "firewall_block")


def line(name: str, value: str, note: str = "") -> None:
    print(f"  {name:<44} {value:>12}  {note}")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def verdict(seconds: float, target: float) -> str:
    return f"{seconds / target:.2f}x of the {target * 1000:.0f} ms target, " + (
        "PASS" if seconds <= target else "FAIL"
    )


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("logs") / "nk.db"
    with core.open_store(path) as store:  # the schema, and the node (its first event)
        store.logs.store_batch(
            [(START - 1, "auth.log", "info", "sshd", 1, "h", "first", None, None, None, None,
              START - 1)], FilePosition("/var/log/auth.log", 1, 1, 0, ""),
        )  # fmt: skip
    rnd = random.Random(14)
    started = time.perf_counter()
    conn = sqlite3.connect(path)
    node = conn.execute("SELECT node_id FROM log_events").fetchone()[0]

    def rows():
        for i in range(EVENTS):
            ts = START + int(i * STEP)
            if i % 10 == 0:
                ip = IP if i % 10_000 == 0 else f"198.51.{rnd.randrange(20)}.{rnd.randrange(250)}"
                action = ACTIONS[(i // 10) % len(ACTIONS)]
                message = f"Failed password for root from {ip} port {rnd.randrange(65536)} ssh2"
                meta = json.dumps({"port": 22})
                user = "root"
            else:
                ip = action = meta = user = None
                message = f"session w{i % 1000} opened for unit u{rnd.randrange(100)} rare{i}"
            yield (node, ts, "auth.log", "info" if i % 7 else "warning", "sshd", 1000 + i % 900,
                   "host1", message, ip, user, action, meta, ts)  # fmt: skip

    conn.executemany(
        "INSERT INTO log_events (node_id, timestamp, source, level, program, pid, host, message, "
        'ip_address, "user", action, metadata, ingested) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)',
        rows(),
    )
    conn.commit()
    conn.close()
    filled = time.perf_counter() - started
    with core.open_store(path) as store:
        started = time.perf_counter()
        store.logs.index_text()
        indexed = time.perf_counter() - started
    print(f"\n  {EVENTS:,} events stored in {filled:.1f} s, text index in {indexed:.1f} s")
    return path


def median(fn: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def waited(pilot: Pilot[None], done: Callable[[], bool]) -> float:
    """Seconds until ``done()`` (looked at every 5 ms), from now."""
    started = time.perf_counter()
    deadline = started + 60
    while not done():
        assert time.perf_counter() < deadline, "waited 60 s in vain"
        await pilot.pause(0.005)
    return time.perf_counter() - started


def test_logs_section_with_a_million_events(db: Path) -> None:
    with core.open_store(db) as store:
        assert store.logs.count() == EVENTS + 1
        bare_first = median(lambda: (store.logs.last_id(), store.logs.events(limit=PAGE)))
        bare = {
            name: median(lambda f=f: store.logs.events(f, limit=PAGE))
            for name, f in {
                "ip": EventFilter(ip=IP),
                "action": EventFilter(action="ban"),
                "rare word": EventFilter(text="w7 opened"),
                "common word": EventFilter(text="failed password"),
            }.items()
        }
        newest = START + int((EVENTS - 1) * STEP)
        since = newest - newest % 3600 - 117 * 3600  # 118 columns at 120x40
        bare_histogram = median(lambda: store.logs.count_by("hour", EventFilter(since=since)))
        last = store.logs.last_id()
        follow = {
            name: median(lambda f=f: (store.logs.newer(last, f, limit=PAGE), store.logs.last_id()))
            for name, f in {
                "no filter": EventFilter(),
                "ip": EventFilter(ip=IP),
                "level warning": EventFilter(level="warning"),
                "rare word": EventFilter(text="w7 opened"),
            }.items()
        }
        section: dict[str, list[float]] = {name: [] for name in bare}
        first: list[float] = []
        store_part: dict[str, list[float]] = {name: [] for name in ("first", *bare)}
        histogram: list[float] = []

        async def main() -> None:
            for _ in range(RUNS):
                app = NodekeeperApp(store, refresh_every=None, dashboard_every=3600.0)
                async with app.run_test(size=(120, 40)) as pilot:
                    await settle(pilot)
                    view = app.section("logs")
                    assert isinstance(view, LogsView) and not view.loaded
                    # As "9" does, without waiting for the tabs' underline to slide (Pilot.press
                    # waits for every animation: 0.3 s, whatever the section).
                    started = time.perf_counter()
                    app.action_show_section("logs")
                    await waited(pilot, lambda v=view: v.loaded)
                    first.append(time.perf_counter() - started)
                    store_part["first"].append(view.read_seconds)
                    await settle(pilot)
                    await waited(pilot, lambda v=view: v.histogram is not None)
                    histogram.append(view.histogram_seconds)
                    latest = store.logs.events(limit=PAGE)
                    assert [r.event.id for r in view.lines.rows] == [e.id for e in latest]
                    await settle(pilot)
                    for name, typed in (("ip", f"ip:{IP}"), ("action", "action:ban"),
                                        ("rare word", "w7 opened"), ("common word", "failed password")):  # fmt: skip
                        reads = view.reads
                        started = time.perf_counter()
                        view.apply_filter(typed)
                        await waited(pilot, lambda v=view, n=reads: v.reads > n)
                        section[name].append(time.perf_counter() - started)
                        store_part[name].append(view.read_seconds)
                        wanted = store.logs.events(view.filter, limit=PAGE)
                        assert [r.event.id for r in view.lines.rows] == [e.id for e in wanted]
                        await settle(pilot)
                        view.apply_filter("")
                        await settle(pilot)

        asyncio.run(main())

    targets = {"ip": TARGET_FILTER, "action": TARGET_FILTER, "rare word": TARGET_TEXT,
               "common word": TARGET_TEXT}  # fmt: skip
    print("  each run (ms):", {k: [round(t * 1000) for t in v] for k, v in section.items()})
    print(f"\n  Logs section, {EVENTS:,} events, SQLite, median of {RUNS}:")
    shown = statistics.median(first)
    line("first page (section shown to rows shown)", ms(shown), verdict(shown, TARGET_FIRST_PAGE))
    line("  baseline: last_id() + events(limit=200)", ms(bare_first),
         f"section/bare {shown / bare_first:.1f}x")  # fmt: skip
    line("  of which the store's reads (in the worker)", ms(statistics.median(store_part["first"])))
    line("  then the histogram's read (in its worker)", ms(statistics.median(histogram)))
    line("  baseline: count_by('hour', since=118 h back)", ms(bare_histogram))
    for name, times in section.items():
        value = statistics.median(times)
        line(f"filter by {name} (typed to rows shown)", ms(value), verdict(value, targets[name]))
        line(
            "  of which the store's reads (in the worker)", ms(statistics.median(store_part[name]))
        )
        line(f"  baseline: events({name}, limit=200)", ms(bare[name]),
             f"section/bare {value / bare[name]:.1f}x")  # fmt: skip
    print("  following, each round while shown (newer() + last_id(), nothing new):")
    for name, seconds in follow.items():
        line(f"  {name}", ms(seconds))
