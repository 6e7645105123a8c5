"""The console's speed and weight as a user meets them: the real app on a pseudo-terminal, on a
store of 2,000 containers and 30 days of history (``core.demo.fill``, built once per session),
and, for what grows with the containers, on one of 20,000 as well. Run on demand::

    .venv/bin/pytest -m perf tests/perf/test_tui.py -s -q

- Start to the first full frame: from spawning ``nodekeeper --db DB --no-collect`` (imports
  count) to the first output in which every dashboard panel shows data from the store;
  median of RUNS runs after a warm-up, against the baseline of a minimal Textual app (one
  Static, ``minimal_app.py``) started the same way on the same pty, the runs alternating:
  target ratio <= 1.3 (issue 12).
- Idle CPU with the sections refreshing every 1 s, over ``$NODEKEEPER_BENCH_SECONDS`` (30) s
  after the app settled, dashboard and containers section, with no collector and with
  ``nodekeeper collect --interval 1`` writing to the same database: target <= 2% of a core.
  These run ``tests/perf/tui_run.py --refresh 1``: the App ``nodekeeper --refresh 1`` builds,
  plus what the command line cannot choose, the section shown first (``--section``).
- Peak RSS (Linux VmHWM) of ``nodekeeper`` after visiting the six sections (keys 1..6) and
  filtering the containers: target <= 100 MiB at 2,000 containers; and once key 2 has filled
  the containers section with its whole snapshot (what grows with the containers): target
  <= 100 MiB at 20,000.
- A keystroke in the containers filter to the frame that shows the filtered table (its
  "Containers N/2000" status line, drawn with the rows in one batch): p50 over 24 keystrokes,
  typing and erasing two names: target <= 50 ms at 2,000 containers, <= 30 ms at 20,000 (p90
  printed).
- Key ``2`` (from the dashboard, filled) to the frame that shows the filled containers table
  (its status line with the number of containers, drawn with the rows in one batch; the
  section reads the store then: the first screen of rows at once, "reading…" until the whole
  snapshot follows): median of KEY_RUNS fresh consoles: target <= 300 ms at 20,000
  containers.

Each prints its figure, what it is held against and the ratio, then asserts the target: the
start against its baseline measured in the same run, the others against absolute targets; the
figures measured at 2,000 and 20,000 containers also against each other, the 2,000 one the
baseline measured in the same run: what grows with the containers grows at most 10x from
2,000 to 20,000 (linearly, or better). ``NODEKEEPER_BENCH_BASELINE=DIR``, a checkout of
nodekeeper with its ``.venv`` (the code before a change), measures its console as well on the
same stores, in the same run, for the last three (printed, not asserted). The timings are taken
from the terminal's side: when the pty delivered the bytes of that frame. Single figures:
``pytest -m perf tests/perf/test_tui.py -s -q -k start`` (or ``idle``, ``rss``, ``keystroke``,
``key_2``).
"""

from __future__ import annotations

import compileall
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from .minimal_app import TEXT as MINIMAL_TEXT
from .tui_pty import PtyApp, copy_store, demo_store, nodekeeper

pytestmark = pytest.mark.perf

CONTAINERS, DAYS = 2000, 30
LARGE = 20_000  # containers: what grows with them is measured at both sizes
RUNS = 5
KEY_RUNS = 3  # key 2 in a fresh console each time (the section reads the store only once)
IDLE_SECONDS = float(os.environ.get("NODEKEEPER_BENCH_SECONDS", "30"))
SETTLE_SECONDS = 5.0
# Issue 12's target, not met yet: measured on the 2-core machine under load from other test
# runs (load average 4), 1.091 s against 0.431 s, a ratio of 2.53 (3.05 before the dashboard
# was read ahead and the hidden sections mounted after it). Importing SQLAlchemy, which the
# first snapshot needs, is about 0.3 s of it on a quiet machine: more than the 30 % allowed.
TARGET_START_RATIO = 1.3
TARGET_CPU_PERCENT, TARGET_RSS_MIB, TARGET_KEY_MS = 2.0, 100.0, 50.0
TARGET_LARGE_KEY_MS, TARGET_SECTION_MS, TARGET_GROWTH = 30.0, 300.0, 10.0  # at 20,000 containers
# Another checkout (its .venv), the console before a change: measured in the same run too.
BASELINE = os.environ.get("NODEKEEPER_BENCH_BASELINE")
RUNNER = Path(__file__).with_name("tui_run.py")
MINIMAL_APP = Path(__file__).with_name("minimal_app.py")

# Drawn only once DashboardView._apply has shown a snapshot (one batch, one frame): the collector
# line judged, the System title, an interface row with rates (not the "lxdbr0:in" traffic
# chain), the Traffic title with its period, the 24-hour CPU caption with its peak.
DASHBOARD_FILLED = (
    re.compile(r"collector running"),
    re.compile(r"System[,:] "),
    re.compile(r"\blxdbr0 {2,}\S"),
    re.compile(r"Traffic (?:this hour|today|this month|this period)"),
    re.compile(r"CPU avg/hour[,:]"),
)
BACKSPACE, ESCAPE = b"\x7f", b"\x1b"


def line(name: str, value: str, note: str = "") -> None:
    print(f"{name:<46} {value:>14}  {note}")


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def status(section: str, shown: int | None, total: int) -> re.Pattern[str]:
    """A resource section's status line: ``Containers 2000 ·`` or ``Containers 99/2000 ·``."""
    count = f"{total}" if shown is None else f"{shown}/{total}"
    return re.compile(rf"{section} {count} ·")


def whole(section: str, total: int) -> re.Pattern[str]:
    """The status line once the section's whole snapshot is in: a large kind shows its first
    screen of rows at once, its status line saying ``reading…`` until then."""
    return re.compile(rf"{section} {total} · sort [^·\n]*?[▲▼](?! · reading)")


@pytest.fixture(scope="session", autouse=True)
def compiled() -> None:
    """The project's modules compiled, as ``pip install`` leaves them: an editable checkout
    under PYTHONDONTWRITEBYTECODE=1 (set on this machine) would otherwise compile core/ and
    tui/ on every start, about 0.25 s that no installed nodekeeper pays."""
    root = Path(__file__).resolve().parents[2]
    for package in ("core", "tui"):
        compileall.compile_dir(root / package, quiet=1)


def bench_store(factory: pytest.TempPathFactory, containers: int) -> Path:
    path = factory.mktemp(f"tui-bench-{containers}") / "demo.db"
    started = time.perf_counter()
    summary = demo_store(path, containers, DAYS)
    print(f"\nbench store in {time.perf_counter() - started:.1f} s: {summary}")
    return path


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bench_store(tmp_path_factory, CONTAINERS)


@pytest.fixture(scope="session")
def large_demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20,000 containers (and the same history): built once per session (a minute or more)."""
    return bench_store(tmp_path_factory, LARGE)


@pytest.fixture
def db(demo_db: Path, tmp_path: Path) -> Path:
    return copy_store(demo_db, tmp_path / "store")


@pytest.fixture
def dbs(demo_db: Path, large_demo_db: Path, tmp_path: Path) -> dict[int, Path]:
    """A copy of each store, by its number of containers."""
    return {CONTAINERS: copy_store(demo_db, tmp_path / "store"),
            LARGE: copy_store(large_demo_db, tmp_path / "large")}  # fmt: skip


Console = Callable[..., list[str]]  # its command line, given nodekeeper's arguments


def consoles() -> dict[str, Console]:
    """The console measured, then the baseline checkout's (NODEKEEPER_BENCH_BASELINE)."""
    found: dict[str, Console] = {"this checkout": nodekeeper}
    if BASELINE:
        script = Path(BASELINE) / ".venv" / "bin" / "nodekeeper"
        assert script.exists(), f"NODEKEEPER_BENCH_BASELINE: no {script}"
        found[f"baseline {BASELINE}"] = lambda *args: [str(script), *args]
    return found


def growth(name: str, figures: dict[int, float], unit: str, fmt: str = ".1f") -> float:
    """Print the figure at each size and the ratio 20,000 / 2,000 (the 2,000 figure is the
    baseline measured in the same run); returns the ratio."""
    ratio = figures[LARGE] / figures[CONTAINERS]
    for size, figure in figures.items():
        line(f"{name}, {size:,} containers", f"{figure:{fmt}} {unit}")
    line(f"{name}: {LARGE:,} / {CONTAINERS:,}", f"{ratio:.2f}x",
         f"target <= {TARGET_GROWTH:g}x (the containers grow {LARGE // CONTAINERS}x)")  # fmt: skip
    return ratio


# -- 1. start to the first full frame


def test_start_to_the_first_full_frame(db: Path):
    """Against the first frame of a minimal Textual app on the same pty: the runs alternate, so
    both see the machine as it is at the time (its speed varies from run to run)."""
    starts, fulls, minimal = [], [], []
    for run in range(RUNS + 1):  # the first warms the page cache and the .pyc files
        with PtyApp([sys.executable, str(MINIMAL_APP)]) as app:
            first = app.wait_for(MINIMAL_TEXT, timeout=30)
        if run:
            minimal.append(first.at - app.started)
        with PtyApp(nodekeeper("--db", str(db), "--no-collect")) as app:
            first = app.wait_for("1 Dashboard", timeout=30)
            full = app.wait_for(*DASHBOARD_FILLED, timeout=30)
        if run:
            starts.append(first.at - app.started)
            fulls.append(full.at - app.started)
    imports = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import core.cli, tui.app"], check=True)
        imports.append(time.perf_counter() - started)
    median, baseline = statistics.median(fulls), statistics.median(minimal)
    ratio = median / baseline
    print(f"\nstart of `nodekeeper --no-collect` in a 160x48 pty, {CONTAINERS} containers, "
          f"{DAYS} days, median of {RUNS} runs after a warm-up")  # fmt: skip
    line("python -c 'import core.cli, tui.app'", f"{statistics.median(imports):.3f} s",
         "median of 3 (part of the nodekeeper figures below)")  # fmt: skip
    line("first frame (the tabs drawn)", f"{statistics.median(starts):.3f} s",
         f"min {min(starts):.3f}, max {max(starts):.3f}")  # fmt: skip
    line("first full frame (every panel filled)", f"{median:.3f} s",
         f"min {min(fulls):.3f}, max {max(fulls):.3f}, ratio to the baseline {ratio:.2f}")  # fmt: skip
    line("baseline: minimal Textual app, first frame", f"{baseline:.3f} s",
         f"min {min(minimal):.3f}, max {max(minimal):.3f} (one Static, same pty)")  # fmt: skip
    print(f"target: ratio <= {TARGET_START_RATIO:g}: {verdict(ratio <= TARGET_START_RATIO)}")
    assert ratio <= TARGET_START_RATIO


# -- 2. idle CPU with live refresh at 1 s


def test_idle_cpu_with_a_1s_refresh(db: Path, tmp_path: Path):
    """Four apps at once over the same window (2 cores; each idles far below one): dashboard
    and containers, on a database left alone and on one a collector writes every second."""
    collected = copy_store(db, tmp_path / "collected")
    collector = subprocess.Popen(
        nodekeeper("--db", str(collected), "collect", "--interval", "1"),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    apps: dict[tuple[str, str], PtyApp] = {}
    try:
        for store, label in ((db, "no collector"), (collected, "collector at 1 s")):
            for section in ("dashboard", "containers"):
                argv = [sys.executable, str(RUNNER), "--db", str(store), "--refresh", "1",
                        "--section", section]  # fmt: skip
                apps[section, label] = PtyApp(argv)
        for (section, _), app in apps.items():
            if section == "dashboard":
                app.wait_for(*DASHBOARD_FILLED, timeout=60)
            else:
                app.wait_for(whole("Containers", CONTAINERS), timeout=60)
        time.sleep(SETTLE_SECONDS)
        watched = psutil.Process(collector.pid)
        before = {key: app.cpu_seconds() for key, app in apps.items()}
        collector_before = sum(watched.cpu_times()[:2])
        t0 = time.perf_counter()
        time.sleep(IDLE_SECONDS)
        elapsed = time.perf_counter() - t0
        shares = {
            key: (app.cpu_seconds() - before[key]) / elapsed * 100 for key, app in apps.items()
        }
        collector_share = (sum(watched.cpu_times()[:2]) - collector_before) / elapsed * 100
        alive = {key: app.proc.poll() is None for key, app in apps.items()}
    finally:
        for app in apps.values():
            app.stop()
        collector.send_signal(signal.SIGTERM)
        collector.communicate(timeout=30)
    print(f"\nCPU share of one core over {elapsed:.0f} s, {SETTLE_SECONDS:g} s after the data was "
          f"drawn; sections refresh every 1 s (tui_run.py --refresh 1)")  # fmt: skip
    for (section, label), share in shares.items():
        line(f"{section}, {label}", f"{share:.2f} %",
             f"ratio to the 2% target {share / TARGET_CPU_PERCENT:.2f}")  # fmt: skip
    line("(the collector process itself)", f"{collector_share:.2f} %", "not a target here")
    worst = max(shares.values())
    print(f"target: each <= {TARGET_CPU_PERCENT:g}% of a core: "
          f"{verdict(worst <= TARGET_CPU_PERCENT)} (worst {worst:.2f} %)")  # fmt: skip
    assert all(alive.values()), alive
    assert collector.returncode == 0
    assert worst <= TARGET_CPU_PERCENT, shares


# -- 3. peak RSS


def open_the_containers_filter(app: PtyApp, containers: int = CONTAINERS) -> None:
    """Press 2, wait for the whole containers table, then / (each followed by a quiet spell)."""
    start = app.offset
    app.write(b"2")
    app.wait_for(whole("Containers", containers), start=start, timeout=120)
    app.quiet(0.5)
    app.write(b"/")
    app.quiet(0.5)


def peak_rss(console: Console, db: Path) -> tuple[int, list[tuple[str, int, int]]]:
    """Visit every section, then filter the containers and clear the filter: the peak RSS,
    and (what, RSS, peak so far) after each step."""
    from core import open_store

    with open_store(db, read_only=True) as store, store.reading():
        totals = {
            "Containers": len(store.containers.names()),
            "Profiles": len(store.profiles.names()),
            "Images": len(store.images.list()),
            "Services": len(store.services.ids()),
            "Users": len(store.users.entries()),
            "Certificates": len(store.certificates.list()),
        }
    containers = totals["Containers"]
    filtered = filter_counts(db)["db-0"]
    visits = []
    with PtyApp(console("--db", str(db), "--no-collect")) as app:
        app.wait_for(*DASHBOARD_FILLED, timeout=60)
        visits.append(("1 dashboard", app.ps.memory_info().rss, app.peak_rss()))
        for key, section in zip("234567", totals, strict=True):
            start = app.offset
            app.write(key.encode())
            app.wait_for(whole(section, totals[section]), start=start, timeout=120)
            visits.append((f"{key} {section.lower()}", app.ps.memory_info().rss, app.peak_rss()))
        start = app.offset
        app.write(b"1")
        app.wait_for(*DASHBOARD_FILLED, start=start, timeout=30)
        open_the_containers_filter(app, containers)
        start = app.offset
        app.write(b"db-0")  # one burst, like a paste
        app.wait_for(status("Containers", filtered, containers), start=start, timeout=60)
        start = app.offset
        app.write(ESCAPE)
        app.wait_for(status("Containers", None, containers), start=start, timeout=60)
        time.sleep(1)
        visits.append(("2 containers, filtered, cleared", app.ps.memory_info().rss, app.peak_rss()))
        return app.peak_rss(), visits


def test_peak_rss_after_every_section_and_the_filter(dbs: dict[int, Path]):
    """Two figures of each tour: the peak once the containers section is filled (key 2: what
    grows with the containers, the issue's "RSS after Containers") and at the tour's end."""
    mib = 1 << 20
    peaks: dict[str, dict[str, dict[int, float]]] = {}  # console -> figure -> size -> MiB
    for label, console in consoles().items():
        for size, db in dbs.items():
            peak, visits = peak_rss(console, db)
            figures = peaks.setdefault(label, {"after 2": {}, "tour": {}})
            figures["after 2"][size] = visits[1][2] / mib  # the peak once key 2's table is in
            figures["tour"][size] = peak / mib
            print(f"\nRSS of `nodekeeper --no-collect` ({label}), {size:,} containers, {DAYS} days")
            for name, rss, high in visits:
                line(f"after {name}", f"{rss / mib:.1f} MiB", f"peak so far {high / mib:.1f} MiB")
    print()
    mine = peaks["this checkout"]
    names = {"after 2": "peak RSS after key 2 (containers)", "tour": "peak RSS over the tour"}
    for figure, name in names.items():
        for label, figures in peaks.items():
            for size, mib_used in figures[figure].items():
                note = f"ratio to the 100 MiB target {mib_used / TARGET_RSS_MIB:.2f}"
                if label != "this checkout":
                    note = f"this checkout's is {mine[figure][size] / mib_used:.2f} of it"
                line(f"{name}, {label}, {size:,}", f"{mib_used:.1f} MiB", note)
    ratio = growth("peak RSS after key 2", mine["after 2"], "MiB")
    growth("peak RSS over the tour", mine["tour"], "MiB")
    ok = (mine["after 2"][LARGE] <= TARGET_RSS_MIB and mine["tour"][CONTAINERS] <= TARGET_RSS_MIB
          and ratio <= TARGET_GROWTH)  # fmt: skip
    print(f"target: after key 2 at {LARGE:,} <= {TARGET_RSS_MIB:g} MiB, the tour at "
          f"{CONTAINERS:,} <= {TARGET_RSS_MIB:g} MiB, growth <= {TARGET_GROWTH:g}x: "
          f"{verdict(ok)}")  # fmt: skip
    assert mine["after 2"][LARGE] <= TARGET_RSS_MIB
    assert mine["tour"][CONTAINERS] <= TARGET_RSS_MIB
    assert ratio <= TARGET_GROWTH


# -- 4. a keystroke in the filter to the next frame

# Typed, then erased: every step changes the number of rows shown, so each step's frame is
# told apart from the previous one's by the status line alone.
WORDS = ("db-012", "db-034")


def filter_counts(db: Path) -> dict[str, int]:
    """How many containers each filter text shows, by the section's own rows and rule."""
    from core import kinds, open_store
    from tui.screens.resource import ResourceSection

    with open_store(db, read_only=True) as store:
        section = ResourceSection(store, kinds.by_name("containers"))
        search = section.rows(section.fetch()).search  # each row's text, casefolded
    texts = {word[:i] for word in WORDS for i in range(len(word) + 1)} | {"db-0"}
    return {t: sum(t.casefold() in text for text in search.values()) for t in texts}


def keystrokes(console: Console, db: Path, containers: int) -> list[tuple[str, int | None, float]]:
    """Type and erase WORDS in the containers filter: (filter text, rows shown, ms) each."""
    counts = filter_counts(db)
    steps: list[tuple[bytes, str]] = []  # (key, the filter text after it)
    for word in WORDS:
        steps += [(word[i - 1].encode(), word[:i]) for i in range(1, len(word) + 1)]
        steps += [(BACKSPACE, word[:i]) for i in range(len(word) - 1, -1, -1)]
    shown = [None if not text else counts[text] for _, text in steps]
    assert all(a != b for a, b in zip([None, *shown], shown, strict=False)), shown
    latencies = []
    with PtyApp(console("--db", str(db), "--no-collect")) as app:
        app.wait_for(*DASHBOARD_FILLED, timeout=60)
        open_the_containers_filter(app, containers)
        for (key, text), rows in zip(steps, shown, strict=True):
            start = app.offset
            typed = app.write(key)
            seen = app.wait_for(status("Containers", rows, containers), start=start, timeout=30)
            latencies.append((text, rows, (seen.at - typed) * 1000))
            app.quiet(0.1)
    return latencies


def test_keystroke_in_the_filter_to_the_next_frame(dbs: dict[int, Path]):
    p50s: dict[str, dict[int, float]] = {}
    for label, console in consoles().items():
        for size, db in dbs.items():
            latencies = keystrokes(console, db, size)
            ms = [latency for _, _, latency in latencies]
            p50, p90 = statistics.median(ms), statistics.quantiles(ms, n=10)[-1]
            p50s.setdefault(label, {})[size] = p50
            print(f"\nkeystroke in the containers filter to the frame showing the filtered "
                  f"table ({label}), {size:,} rows, 160x48 pty, {len(ms)} keystrokes")  # fmt: skip
            for text, rows, latency in latencies:
                line(f"filter {text!r} ({rows if rows is not None else size} rows)",
                     f"{latency:.1f} ms")  # fmt: skip
            target = TARGET_KEY_MS if size == CONTAINERS else TARGET_LARGE_KEY_MS
            line(f"keystroke to frame p50, {size:,}", f"{p50:.1f} ms",
                 f"p90 {p90:.1f} ms, max {max(ms):.1f} ms, ratio to the {target:g} ms target "
                 f"{p50 / target:.2f}")  # fmt: skip
    print()
    mine = p50s["this checkout"]
    for label, figures in p50s.items():
        if label != "this checkout":
            for size, figure in figures.items():
                line(f"p50, {label}, {size:,}", f"{figure:.1f} ms",
                     f"this checkout's is {mine[size] / figure:.2f} of it")  # fmt: skip
    ratio = growth("keystroke to frame p50", mine, "ms")
    ok = (mine[CONTAINERS] <= TARGET_KEY_MS and mine[LARGE] <= TARGET_LARGE_KEY_MS
          and ratio <= TARGET_GROWTH)  # fmt: skip
    print(f"target: p50 <= {TARGET_KEY_MS:g} ms at {CONTAINERS:,}, <= {TARGET_LARGE_KEY_MS:g} ms "
          f"at {LARGE:,}, growth <= {TARGET_GROWTH:g}x: {verdict(ok)}")  # fmt: skip
    assert mine[CONTAINERS] <= TARGET_KEY_MS
    assert mine[LARGE] <= TARGET_LARGE_KEY_MS
    assert ratio <= TARGET_GROWTH


# -- 5. key 2 to the filled containers table


def key_2(console: Console, db: Path, containers: int) -> tuple[float, float]:
    """Seconds from typing 2 on the filled dashboard of a fresh console to the frame that shows
    the containers table filled (its status line with the count, drawn with the rows on screen
    in one batch: the first screen of them, the whole snapshot still being read), and to the
    frame that shows the whole snapshot in (printed, not a target)."""
    with PtyApp(console("--db", str(db), "--no-collect")) as app:
        app.wait_for(*DASHBOARD_FILLED, timeout=60)
        app.quiet(0.5)
        start = app.offset
        typed = app.write(b"2")
        seen = app.wait_for(status("Containers", None, containers), start=start, timeout=120)
        done = app.wait_for(whole("Containers", containers), start=start, timeout=120)
        return seen.at - typed, done.at - typed


def test_key_2_to_the_filled_containers_table(dbs: dict[int, Path]):
    """Sizes and consoles alternate, so that each sees the machine as it is then."""
    runs: dict[str, dict[int, list[float]]] = {}
    wholes: dict[str, dict[int, list[float]]] = {}  # to the whole snapshot in
    for _ in range(KEY_RUNS):
        for label, console in consoles().items():
            for size, db in dbs.items():
                first, done = key_2(console, db, size)
                runs.setdefault(label, {}).setdefault(size, []).append(first)
                wholes.setdefault(label, {}).setdefault(size, []).append(done)
    ms = {label: {size: statistics.median(times) * 1000 for size, times in sizes.items()}
          for label, sizes in runs.items()}  # fmt: skip
    print(f"\nkey 2 on the filled dashboard to the filled containers table, 160x48 pty, median "
          f"of {KEY_RUNS} fresh consoles")  # fmt: skip
    mine = ms["this checkout"]
    for label, figures in ms.items():
        for size, figure in figures.items():
            times = runs[label][size]
            note = f"min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}"
            if label != "this checkout":
                note += f"; this checkout's is {mine[size] / figure:.2f} of it"
            line(f"{label}, {size:,} containers", f"{figure:.0f} ms", note)
            done = statistics.median(wholes[label][size]) * 1000
            line("  then the whole snapshot in (not a target)", f"{done:.0f} ms")
    ratio = growth("key 2 to the filled table", mine, "ms", ".0f")
    line(f"key 2 at {LARGE:,}", f"{mine[LARGE]:.0f} ms",
         f"ratio to the {TARGET_SECTION_MS:g} ms target {mine[LARGE] / TARGET_SECTION_MS:.2f}")  # fmt: skip
    ok = mine[LARGE] <= TARGET_SECTION_MS and ratio <= TARGET_GROWTH
    print(f"target: <= {TARGET_SECTION_MS:g} ms at {LARGE:,}, growth <= {TARGET_GROWTH:g}x: "
          f"{verdict(ok)}")  # fmt: skip
    assert mine[LARGE] <= TARGET_SECTION_MS
    assert ratio <= TARGET_GROWTH
