"""The dashboard view, driven through Textual's pilot against a real SQLite file store, and the
background collector thread.

Each scenario runs with asyncio.run (no pytest-asyncio). The view reads with a fixed clock
unless a test moves it, and refreshes every 20 ms so that tests wait briefly.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Static, TabbedContent, TabPane

import tui.app
from core import NodekeeperError, Store, open_store
from core.collect.lock import collector_lock
from core.samples import NetworkSample, SystemSample
from core.traffic_rules import Reading
from tui.app import NodekeeperApp
from tui.collector_thread import start_background_collector
from tui.screens.dashboard import GROUP, HISTORY_EVERY, DashboardView, ReadAhead, read_ahead
from tui.widgets.dashboard_chart import ScaledSparkline
from tui.widgets.dashboard_collector import CollectorLine
from tui.widgets.dashboard_interfaces import TOTAL_KEY, InterfacesPanel
from tui.widgets.dashboard_traffic import TrafficPanel
from tui.widgets.resource_table import ResourceTable

from .pilot import app_on, until
from .pilot import drive as drive_app

NOW = 1_700_000_000.0
MiB = 1 << 20
TICK = 0.02  # the view's refresh interval in these tests


class Clock:
    """A clock a test moves by hand."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class DashboardApp(App[None]):
    """The smallest host: the dashboard alone, or on the second tab of a TabbedContent."""

    def __init__(self, store: Store, *, clock: Callable[[], float], tabbed: bool = False):
        super().__init__()
        self.store, self.clock, self.tabbed = store, clock, tabbed

    def compose(self) -> ComposeResult:
        view = DashboardView(self.store, clock=self.clock, interval=TICK, id="dashboard")
        if not self.tabbed:
            yield view
            return
        with TabbedContent(initial="other", id="tabs"):
            with TabPane("Other", id="other"):
                yield Static("another section")
            with TabPane("Dashboard", id="dash"):
                yield view

    @property
    def view(self) -> DashboardView:
        return self.query_one(DashboardView)


Scenario = Callable[[Pilot[None], DashboardView], Awaitable[None]]


def drive(app: DashboardApp, scenario: Scenario, *, size: tuple[int, int] = (80, 24)) -> None:
    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await scenario(pilot, app.view)

    asyncio.run(main())


async def rounds_pass(pilot: Pilot[None], view: DashboardView, count: int = 5) -> None:
    """Let ``count`` more refresh rounds run (worker rounds or hidden ones)."""
    start = view.rounds + view.hidden_rounds
    await until(pilot, lambda: view.rounds + view.hidden_rounds >= start + count)
    await pilot.pause()


def text_of(widget: Static) -> str:
    content = widget.content
    return content.plain if isinstance(content, Text) else str(content)


def value(view: DashboardView, key: str) -> str:
    return text_of(view.query_one(f"#{key}-value", Static))


def cells(table: ResourceTable, key: str) -> list[str]:
    return [cell.plain for cell in table.get_row(key)]


def screen_text(pilot: Pilot[None]) -> str:
    return "\n".join(strip.text for strip in pilot.app.screen._compositor.render_strips())


# -- fixtures


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "nk.db"


@pytest.fixture
def store(db: Path) -> Iterator[Store]:
    s = open_store(db)
    yield s
    s.close()


def system_sample(ts: float, cpu: float = 42.0) -> SystemSample:
    return SystemSample(
        int(ts),
        cpu_percent=cpu,
        cpu_count=4,
        memory_total=8 << 30,
        memory_available=3 << 30,
        memory_percent=61.5,
        disk_total=100 << 30,
        disk_used=71 << 30,
        disk_percent=71.0,
        disk_read_bytes=4 * MiB,
        disk_write_bytes=MiB,
        load_1min=1.5,
        load_5min=0.75,
        load_15min=0.25,
    )


def seed(store: Store, *, interface: str = "eth0", service: str = "svc1") -> None:
    """A minute of samples 2 s apart, a running collector, traffic with a service limit."""
    store.telemetry.heartbeat(NOW - 1, 2.0)
    stamps = [NOW - 60 + 2 * i for i in range(31)]
    store.telemetry.insert_samples(
        [system_sample(t, cpu=10.0 + i) for i, t in enumerate(stamps[:-1])]
        + [system_sample(stamps[-1])],
        [NetworkSample(int(t), interface, bytes_sent=MiB, bytes_recv=4 * MiB) for t in stamps]
        + [NetworkSample(int(t), "", bytes_sent=MiB, bytes_recv=4 * MiB) for t in stamps],
    )
    store.services.create(service, ul_limit=10 * MiB)
    t0 = datetime.fromtimestamp(NOW - 100, UTC)
    t1 = datetime.fromtimestamp(NOW - 10, UTC)
    out = f"service:{service}:out"
    store.traffic.record([Reading(out, 0, 1, t0), Reading("eth0:in", 0, 1, t0)])
    store.traffic.record([Reading(out, 9 * MiB, 1, t1), Reading("eth0:in", 3 << 30, 1, t1)])


# -- what the panels show


def test_panels_show_the_values_from_the_store(store: Store) -> None:
    seed(store)

    async def scenario(pilot: Pilot[None], view: DashboardView) -> None:
        await until(pilot, lambda: view.renders == 1)
        await pilot.pause()
        assert value(view, "cpu") == "42% ×4"
        assert value(view, "memory") == "62% of 8.0G"
        assert value(view, "disk") == "71% of 100G"
        assert value(view, "load") == "1.50 0.75 0.25"
        assert text_of(view.query_one("#disk-io", Static)) == "r 2.0M w 512K"  # per 2 s
        # The bars: every sample of the last minutes, oldest first, on its own scale.
        spark = {key: view.query_one(f"#{key}-spark", ScaledSparkline)
                 for key in ("cpu", "memory", "disk", "load")}  # fmt: skip
        assert spark["cpu"].data == (*(10.0 + i for i in range(30)), 42.0)
        assert spark["cpu"].ceiling == spark["memory"].ceiling == 100
        assert spark["memory"].data == (61.5,) * 31
        assert spark["disk"].data == (2.5 * MiB,) * 31  # 4 MiB read + 1 written / 2 s
        assert spark["load"].data == (1.5,) * 31 and spark["load"].ceiling == 4  # the cores
        interfaces = view.query_one(InterfacesPanel).table
        assert cells(interfaces, "eth0")[:3] == ["eth0", "2.0M", "512K"]  # 4 MiB in, 1 out / 2 s
        assert cells(interfaces, TOTAL_KEY)[0] == "all"
        traffic = view.query_one(TrafficPanel).table
        assert cells(traffic, "service:svc1:out") == ["service:svc1:out", "9.0M", "10M", "90%",
                                                      "████▌"]  # fmt: skip
        assert cells(traffic, "eth0:in")[:3] == ["eth0:in", "3.0G", "–"]
        assert "Traffic today" in screen_text(pilot)
        history = view.query_one("#history-cpu-caption", Static)
        assert text_of(history) == "CPU avg/hour, peak 42%"
        assert text_of(view.query_one(CollectorLine)).startswith("● collector running: pid ")

    drive(DashboardApp(store, clock=Clock()), scenario)


def test_every_panel_fits_an_80_by_24_terminal(store: Store) -> None:
    seed(store, service="telemetry-agent")  # a long chain name, as on a real node

    async def scenario(pilot: Pilot[None], view: DashboardView) -> None:
        await until(pilot, lambda: view.renders == 1)
        await pilot.pause()
        screen = pilot.app.screen.region
        for selector in ("CollectorLine", "SystemPanel", "InterfacesPanel", "TrafficPanel",
                         "HistoryPanel"):  # fmt: skip
            region = view.query_one(selector).region
            assert region.height > 0 and screen.contains_region(region), selector
        text = screen_text(pilot)
        for expected in ("CPU", "Mem", "Disk", "Load", "eth0", "service:telemetry-agent:out",
                         " 90%"):  # fmt: skip
            assert expected in text  # the share of the limit too, whatever the bar loses

    drive(DashboardApp(store, clock=Clock()), scenario, size=(80, 24))


def test_markup_and_controls_in_store_names_show_literally(store: Store) -> None:
    seed(store, interface="[bold]wl\x1b[31m0[/]", service="[red]evil")

    async def scenario(pilot: Pilot[None], view: DashboardView) -> None:
        await until(pilot, lambda: view.renders == 1)
        await pilot.pause()
        interfaces = view.query_one(InterfacesPanel).table
        assert cells(interfaces, "[bold]wl\x1b[31m0[/]")[0] == "[bold]wl\\x1b[31m0[/]"
        traffic = view.query_one(TrafficPanel).table
        assert cells(traffic, "service:[red]evil:out")[0] == "service:[red]evil:out"
        text = screen_text(pilot)
        assert "[bold]wl\\x1b[31m0[/]" in text and "service:[red]evil:out" in text

    drive(DashboardApp(store, clock=Clock()), scenario, size=(120, 40))


# -- refreshing


def test_rounds_read_in_worker_threads_one_at_a_time_each_after_the_last_finished(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slow database (each change check takes 4 refresh intervals) slows the rounds down
    instead of piling them up: the next round is timed from the end of the last one."""
    import tui.screens.dashboard as module
    from core.store.dashboard import ChangeWatcher

    seed(store)
    calls: list[tuple[float, float, str]] = []  # (start, end, thread) of every check
    running = [0, 0]  # now, at most
    changed = ChangeWatcher.changed
    snapshot = module.snapshot
    readers: set[str] = set()

    def slow_changed(self: ChangeWatcher) -> bool:
        running[0] += 1
        running[1] = max(running)
        start = time.monotonic()
        time.sleep(4 * TICK)
        try:
            return changed(self)
        finally:
            running[0] -= 1
            calls.append((start, time.monotonic(), threading.current_thread().name))

    def traced_snapshot(*args: object, **kwargs: object) -> object:
        readers.add(threading.current_thread().name)
        return snapshot(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ChangeWatcher, "changed", slow_changed)
    monkeypatch.setattr(module, "snapshot", traced_snapshot)

    async def scenario(pilot: Pilot[None], view: DashboardView) -> None:
        await until(pilot, lambda: len(calls) >= 5)
        main = threading.main_thread().name
        assert running[1] == 1  # never two rounds at once
        assert readers and main not in readers  # the snapshot is read off the main thread
        assert all(thread != main for *_, thread in calls)
        for (_, end, _), (start, _, _) in zip(calls, calls[1:], strict=False):
            assert start - end >= TICK * 0.9  # the pause is counted from the end of the last

    drive(DashboardApp(store, clock=Clock()), scenario)


def test_a_refresh_picks_up_samples_another_connection_wrote(store: Store, db: Path) -> None:
    seed(store)
    clock = Clock()

    async def scenario(pilot: Pilot[None], view: DashboardView) -> None:
        await until(pilot, lambda: value(view, "cpu") == "42% ×4")
        other = open_store(db)  # as the collector process would
        try:
            other.telemetry.insert_samples([system_sample(NOW + 2, cpu=77.0)])
        finally:
            other.close()
        clock.now = NOW + 2
        await until(pilot, lambda: value(view, "cpu") == "77% ×4")
        assert view.fetches == 2

    drive(DashboardApp(store, clock=clock), scenario)


def test_nothing_is_read_while_the_database_does_not_change(store: Store) -> None:
    seed(store)

    async def scenario(pilot: Pilot[None], view: DashboardView) -> None:
        await until(pilot, lambda: view.renders == 1)
        rounds = view.rounds
        await rounds_pass(pilot, view, 10)
        assert view.rounds >= rounds + 10  # the watcher was asked every round...
        assert view.fetches == 1  # ...and said nothing changed
        store.telemetry.heartbeat(NOW, 2.0)  # a commit
        await until(pilot, lambda: view.renders == 2)
        view.refresh_now()  # the refresh key reads without a commit
        await until(pilot, lambda: view.renders == 3)
        assert view.fetches == 3

    drive(DashboardApp(store, clock=Clock()), scenario)


def test_a_hidden_view_does_not_read(store: Store) -> None:
    seed(store)

    async def scenario(pilot: Pilot[None], view: DashboardView) -> None:
        await until(pilot, lambda: view.renders == 1)
        view.display = False
        hidden = view.hidden_rounds
        # Rounds follow each other: once one was skipped, no worker is under way.
        await until(pilot, lambda: view.hidden_rounds > hidden)
        rounds, fetches = view.rounds, view.fetches
        store.telemetry.insert_samples([system_sample(NOW + 1, cpu=77.0)])
        await rounds_pass(pilot, view, 5)
        assert view.hidden_rounds >= hidden + 6
        assert (view.rounds, view.fetches) == (rounds, fetches)  # no worker, no query
        assert value(view, "cpu") == "42% ×4"
        view.display = True
        await until(pilot, lambda: value(view, "cpu") == "77% ×4")

    drive(DashboardApp(store, clock=Clock(NOW + 1)), scenario)


def test_a_view_on_an_inactive_tab_reads_only_once_its_tab_is_shown(store: Store) -> None:
    seed(store)

    async def scenario(pilot: Pilot[None], view: DashboardView) -> None:
        await rounds_pass(pilot, view, 5)
        assert not view.is_shown()
        assert (view.rounds, view.fetches) == (0, 0)
        pilot.app.query_one("#tabs", TabbedContent).active = "dash"
        await until(pilot, lambda: view.renders == 1)
        assert value(view, "cpu") == "42% ×4"

    drive(DashboardApp(store, clock=Clock(), tabbed=True), scenario)


def test_the_collector_line_follows_the_heartbeat(store: Store) -> None:
    clock = Clock()
    line = lambda view: text_of(view.query_one(CollectorLine))  # noqa: E731

    async def scenario(pilot: Pilot[None], view: DashboardView) -> None:
        await until(pilot, lambda: view.renders == 1)
        assert line(view) == "○ no collector running: run `nodekeeper collect` (none has run yet)"
        store.telemetry.heartbeat(NOW - 1, 2.0)
        await until(pilot, lambda: line(view).startswith("● collector running"))
        assert "every 2s, seen 1s ago" in line(view)
        # The collector dies: no more writes, yet the line turns within a round, unread.
        fetches = view.fetches
        clock.now = NOW + 30
        await until(pilot, lambda: line(view).startswith("○ no collector running"))
        assert line(view).endswith("(lost 31s ago)")  # this machine's: no "on HOST"
        assert view.fetches == fetches
        store.telemetry.heartbeat(NOW + 30, 2.0, state="stopped")
        await until(pilot, lambda: "(stopped 0s ago" in line(view))

    drive(DashboardApp(store, clock=clock), scenario)


def test_a_read_that_fails_is_shown_and_retried(store: Store) -> None:
    seed(store)

    async def scenario(pilot: Pilot[None], view: DashboardView) -> None:
        await until(pilot, lambda: view.renders == 1)
        real = store.telemetry.collector_status
        store.telemetry.collector_status = lambda now: (_ for _ in ()).throw(  # type: ignore[method-assign]
            RuntimeError("disk on fire")
        )
        store.telemetry.heartbeat(NOW, 2.0)
        await until(pilot, lambda: view.error is not None)
        assert "disk on fire" in view.error
        assert view.has_class("-error")
        store.telemetry.collector_status = real  # type: ignore[method-assign]
        await until(pilot, lambda: view.error is None)  # retried without a further commit
        assert not view.has_class("-error")

    drive(DashboardApp(store, clock=Clock()), scenario)


# -- the background collector


def test_a_background_collector_starts_when_none_runs_and_stops_cleanly(store: Store) -> None:
    handle = start_background_collector(store, interval=0.1)
    assert handle is not None
    try:
        deadline = time.monotonic() + 15
        while not store.telemetry.collector_status(time.time()).running:
            assert time.monotonic() < deadline, "the collector never wrote a heartbeat"
            assert handle.alive, handle.error
            time.sleep(0.05)
        assert handle.thread.daemon and handle.thread.name == "nodekeeper-collector"
        # A second console finds the heartbeat and starts nothing.
        assert start_background_collector(store) is None
    finally:
        assert handle.stop(timeout=30)
    assert not handle.alive and handle.error is None and handle.cycles >= 1
    status = store.telemetry.collector_status(time.time())
    assert not status.running and status.state == "stopped"
    assert store.telemetry.system_samples(0)


def test_no_background_collector_on_a_read_only_store(store: Store, db: Path) -> None:
    reader = open_store(db, read_only=True)
    try:
        assert start_background_collector(reader) is None
    finally:
        reader.close()


def test_a_background_collector_ends_when_another_holds_the_lock(store: Store) -> None:
    with collector_lock(store):  # another collector, its first heartbeat not written yet
        handle = start_background_collector(store, interval=0.1)
        assert handle is not None
        handle.thread.join(10)
        assert not handle.alive
        assert handle.error and "another collector" in handle.error
    assert handle.stop()
    assert any("another collector" in m for m in handle.messages)


def test_background_collector_log_lines_are_kept_not_printed(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    import logging

    log = logging.getLogger("nodekeeper")
    handler = logging.StreamHandler()  # stderr, as the CLI sets up
    log.addHandler(handler)
    try:
        with collector_lock(store):
            handle = start_background_collector(store, interval=0.1)
            assert handle is not None
            handle.thread.join(10)
        handle.stop()
        log.warning("from the console thread")
    finally:
        log.removeHandler(handler)
    err = capsys.readouterr().err
    assert "from the console thread" in err
    assert "another collector" not in err
    assert handle.messages and threading.current_thread().ident != handle.thread.ident


# -- what a round costs the screen


def test_a_round_that_reads_updates_in_place_without_a_layout(
    store: Store, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual.screen import Screen

    seed(store)
    clock = Clock()
    layouts, lines = [0], [0]
    refresh_layout = Screen._refresh_layout
    update = CollectorLine.update

    def counted_layout(self: Screen, *args: object, **kwargs: object) -> None:
        layouts[0] += 1
        refresh_layout(self, *args, **kwargs)

    def counted_update(self: CollectorLine, *args: object, **kwargs: object) -> None:
        lines[0] += 1
        update(self, *args, **kwargs)

    monkeypatch.setattr(Screen, "_refresh_layout", counted_layout)
    monkeypatch.setattr(CollectorLine, "update", counted_update)

    async def scenario(pilot: Pilot[None], view: DashboardView) -> None:
        await until(pilot, lambda: view.renders == 1)
        await pilot.pause()
        layouts[0] = lines[0] = 0
        history = view.query_one("#history-cpu", ScaledSparkline)
        drawn = history._drawn and history._drawn[0]
        clock.now = NOW + 2
        other = open_store(db)  # as the collector process would
        try:
            other.telemetry.insert_samples([system_sample(NOW + 2, cpu=77.0)])
        finally:
            other.close()
        await until(pilot, lambda: value(view, "cpu") == "77% ×4")
        await until(pilot, lambda: "77%" in screen_text(pilot))
        assert layouts[0] == 0  # values and titles keep their sizes: repainted in place
        assert lines[0] == 1  # "seen 3s ago": one update, with the rest of the round
        # The hour under way follows its samples every HISTORY_EVERY seconds, not every round:
        # its average moved, its bar not yet.
        assert history._drawn[0] == drawn
        later = NOW + 2 + HISTORY_EVERY
        clock.now = later
        other = open_store(db)
        try:
            other.telemetry.insert_samples([system_sample(later, cpu=99.0)])
        finally:
            other.close()
        await until(pilot, lambda: value(view, "cpu") == "99% ×4")
        await until(pilot, lambda: history._drawn[0] != drawn)  # the hour's average moved it
        assert layouts[0] == 0

    drive(DashboardApp(store, clock=clock), scenario, size=(120, 40))


def test_a_chart_is_repainted_only_where_its_picture_changes(store: Store) -> None:
    from textual.geometry import Region

    async def scenario(pilot: Pilot[None], view: DashboardView) -> None:
        await until(pilot, lambda: view.renders == 1)
        chart = view.query_one("#history-cpu", ScaledSparkline)
        chart.set_data([50.0] * 24, ceiling=100)
        await until(pilot, lambda: chart._drawn is not None and not chart._repaint_regions
                    and chart._drawn[0] == chart._picture(chart.data))  # fmt: skip
        assert chart._drawn is not None
        picture = chart._drawn[0]
        width, height = chart.size
        draws = [0]
        draw = chart._draw

        def counted(*args: object) -> object:
            draws[0] += 1
            return draw(*args)  # type: ignore[arg-type]

        chart._draw = counted  # type: ignore[method-assign]
        chart.set_data([50.0] * 23 + [50.01], ceiling=100)  # the same bars, the same colours
        assert not chart._repaint_regions
        await pilot.pause()
        assert draws[0] == 0 and chart.data == (50.0,) * 23 + (50.01,)

        chart.set_data([50.0] * 23 + [100.0], ceiling=100)
        # Only the columns of the last hour are repainted: stretched, 24 hours over the width.
        first = width * 23 // 24 + (1 if width * 23 % 24 else 0)
        offset = chart.content_offset
        assert chart._repaint_regions == {Region(first, 0, width - first, height).translate(offset)}
        await until(pilot, lambda: draws[0] == 1)
        assert chart._drawn[0] != picture
        bars = chart._drawn[0][2]
        assert bars[first - 1] == picture[2][first - 1] and bars[first] != picture[2][first]
        top, bottom = chart._drawn[2][0].text, chart._drawn[2][-1].text
        assert top == " " * first + "█" * (width - first)  # 100 % fills the top line
        assert bottom == "█" * width  # 50 % of 12 lines fills the bottom six

    drive(DashboardApp(store, clock=Clock()), scenario, size=(120, 40))


def test_the_first_round_knows_before_the_first_frame_whether_the_view_is_shown(
    store: Store,
) -> None:
    seed(store)

    interval = sys.getswitchinterval()

    async def shown(pilot: Pilot[None], view: DashboardView) -> None:
        await until(pilot, lambda: view.renders == 1)
        assert view._placed() is True
        # The first round reads with a short GIL switch interval; the next ones do not.
        await until(pilot, lambda: not view._busy)
        assert sys.getswitchinterval() == interval

    async def hidden(pilot: Pilot[None], view: DashboardView) -> None:
        await rounds_pass(pilot, view, 2)
        assert view._placed() is False and view.fetches == 0

    drive(DashboardApp(store, clock=Clock()), shown)
    drive(DashboardApp(store, clock=Clock(), tabbed=True), hidden)


class FirstFrame(NodekeeperApp):
    """The console, noting what its dashboard shows when the app mounts (before the first
    frame), which sections exist then and whether the cyclic garbage collector runs."""

    CSS_PATH = Path(tui.app.__file__).with_name("app.tcss")  # not beside this test

    def on_mount(self) -> None:
        super().on_mount()
        view = self.query_one(DashboardView)
        self.at_mount = (view.renders, view.fetches, view.error)
        self.gc_at_mount = gc.isenabled()
        self.sections_at_mount = sorted(self.made_sections)


def test_a_snapshot_read_ahead_is_shown_in_the_first_frame_without_a_worker_round(
    store: Store,
) -> None:
    seed(store)
    interval = sys.getswitchinterval()
    clock = Clock()
    ahead = read_ahead(store, clock=clock)
    assert sys.getswitchinterval() < interval  # the read gets the GIL back quickly
    ahead.future.result(timeout=10)  # read while Textual starts: done by the mount here
    app = FirstFrame(store, clock=clock, dashboard_ahead=ahead)

    async def scenario(pilot: Pilot[None]) -> None:
        assert app.at_mount == (1, 1, None)  # shown when mounted: in the first frame
        view = app.query_one(DashboardView)
        assert value(view, "cpu") == "42% ×4"
        assert not [w for w in app.workers if w.group == GROUP]  # no round read it again
        assert (view.rounds, view.fetches, view.renders) == (1, 1, 1)
        assert sys.getswitchinterval() == interval
        # Start-up composes the dashboard alone, with the cyclic collector paused; the other
        # sections mount once its data is drawn, and the collector runs again.
        assert app.sections_at_mount == ["dashboard"] and not app.gc_at_mount
        assert app.made_sections == set(app.sections) and gc.isenabled()

    drive_app(app, scenario)


def test_a_read_ahead_still_under_way_or_failed_is_the_first_round_s(store: Store) -> None:
    """Not done when the view mounts: the first round waits for it instead of reading; an
    error it met is shown as a round's, and the next round reads again."""
    seed(store)
    clock = Clock()
    pending: Future[tuple[float, object]] = Future()
    app = FirstFrame(store, clock=clock, dashboard_every=TICK,
                     dashboard_ahead=ReadAhead(pending, sys.getswitchinterval()))  # fmt: skip

    async def scenario(pilot: Pilot[None]) -> None:
        view = app.query_one(DashboardView)
        assert app.at_mount == (0, 0, None)
        await pilot.pause(0.1)
        assert view.fetches == 0  # waiting for the read ahead
        pending.set_exception(NodekeeperError("the disk is on fire"))
        await until(pilot, lambda: view.error is not None)
        assert view.error == "dashboard: the disk is on fire"
        await until(pilot, lambda: view.renders == 1)  # the next round read the store
        assert view.error is None and value(view, "cpu") == "42% ×4"

    asyncio.run(_run(app, scenario))


async def _run(app: NodekeeperApp, scenario: Callable[[Pilot[None]], Awaitable[None]]) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await scenario(pilot)


def test_dashboard_table_columns_only_grow() -> None:
    """A value one character shorter than before keeps the column (no relayout of the screen
    each time a rate crosses 10K), and rows shown exactly so already are not drawn again."""
    from tui.widgets.dashboard_interfaces import InterfacesPanel
    from tui.widgets.resource_table import Cell

    class OnePanel(App[None]):
        def compose(self) -> ComposeResult:
            yield InterfacesPanel()

    def row(rate: str) -> dict[str, tuple[Cell, ...]]:
        return {"eth0": (Cell("eth0"), Cell(rate), Cell("1B"), Cell("▁"))}

    async def main() -> None:
        app = OnePanel()
        async with app.run_test() as pilot:
            panel = app.query_one(InterfacesPanel)
            panel.show_rows(row("9.9K"))
            out = panel.table.column_x("out")
            panel.show_rows(row("10.0K"))
            assert panel.table.column_x("out") == out + 1
            panel.show_rows(row("9K"))
            assert panel.table.column_x("out") == out + 1
            await pilot.pause()
            first = panel.table.get_row("eth0")
            panel.show_rows(row("9K"))  # the same cells, new objects: kept as they are
            assert panel.table.get_row("eth0")[1] is first[1]
            assert "9K" in panel.table.render_line(1).text

    asyncio.run(main())


# -- at 80x24, in the whole console


def console_text(app: NodekeeperApp) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def rendered(pilot: Pilot[None], app: NodekeeperApp) -> None:
    """Wait until the console's dashboard has shown a snapshot, and that frame is drawn."""
    view = app.query_one(DashboardView)
    await until(pilot, lambda: view.renders >= 1)
    await pilot.pause()


def test_the_no_collector_hint_fits_80_columns(store: Store) -> None:
    app = app_on(store, "dashboard", clock=Clock())

    async def scenario(pilot: Pilot[None]) -> None:
        await rendered(pilot, app)
        line = next(text for text in console_text(app) if "no collector running" in text)
        assert "run `nodekeeper collect`" in line

    drive_app(app, scenario, size=(80, 24))


def test_a_chain_over_its_limit_shows_first_among_many(store: Store) -> None:
    seed(store)
    t0, t1 = datetime.fromtimestamp(NOW - 100, UTC), datetime.fromtimestamp(NOW - 10, UTC)
    chains = [f"eth{n:02}:{way}" for n in range(12) for way in ("in", "out")]
    store.traffic.record([Reading(chain, 0, 1, t0) for chain in chains])
    store.traffic.record([Reading(chain, MiB, 1, t1) for chain in chains])
    store.services.create("zz-last", ul_limit=10 * MiB)  # last by name
    store.traffic.record([Reading("service:zz-last:out", 0, 1, t0)])
    store.traffic.record([Reading("service:zz-last:out", 12 * MiB, 1, t1)])  # 120 %
    app = app_on(store, "dashboard", clock=Clock())

    async def scenario(pilot: Pilot[None]) -> None:
        await rendered(pilot, app)
        traffic = app.query_one(TrafficPanel).table
        assert traffic.shown_keys()[0] == "service:zz-last:out"
        row = next(text for text in console_text(app) if "service:zz-last:out" in text)
        assert "120%" in row
        assert "eth11:out" not in "\n".join(console_text(app))  # the many others run off

    drive_app(app, scenario, size=(80, 24))


def test_an_interface_without_a_recent_sample_is_marked_stale(store: Store) -> None:
    seed(store)  # eth0 and the total, sampled up to NOW
    store.telemetry.insert_samples(
        network=[NetworkSample(int(NOW - 300 + 2 * i), "gone0", MiB, MiB) for i in range(5)]
    )
    clock = Clock()

    def row(view: DashboardView, name: str) -> str:
        table = view.query_one(InterfacesPanel).table
        return table.render_line(1 + table.shown_keys().index(name)).text

    async def scenario(pilot: Pilot[None], view: DashboardView) -> None:
        await until(pilot, lambda: view.renders == 1)
        await pilot.pause()
        assert row(view, "gone0").split() == ["gone0", "–", "–", "stale"]  # no old rate shown
        assert row(view, "eth0").split()[:3] == ["eth0", "2.0M", "512K"]
        assert "gone0" in screen_text(pilot) and "stale" in screen_text(pilot)
        # Nothing is written any more: a minute on, eth0 is stale too, without a read.
        fetches = view.fetches
        clock.now = NOW + 61
        await until(pilot, lambda: "stale" in row(view, "eth0"))
        assert row(view, TOTAL_KEY).split() == ["all", "–", "–", "stale"]
        assert view.fetches == fetches

    drive(DashboardApp(store, clock=clock), scenario, size=(80, 24))


# -- the collector line: the console's own collector, 80 columns


def collector_row(app: NodekeeperApp) -> str:
    """The collector line as drawn (the console's row that holds it)."""
    text = text_of(app.query_one(CollectorLine))
    return next(row for row in console_text(app) if text[:12] in row).strip()


def test_while_the_console_starts_its_collector_the_line_says_so(store: Store) -> None:
    store.config.set("collector.interval", 60)  # its first heartbeat: a minute away
    app = app_on(store, "dashboard", collect=True)

    async def scenario(pilot: Pilot[None]) -> None:
        await rendered(pilot, app)
        assert app.collector is not None and app.collector.alive
        assert collector_row(app) == "◌ collector starting… (this console's)"
        assert "nodekeeper collect" not in "\n".join(console_text(app))  # it would be refused

    drive_app(app, scenario, size=(80, 24))


def test_the_console_s_collector_once_it_writes_is_running(store: Store) -> None:
    store.config.set("collector.interval", 0.2)
    app = app_on(store, "dashboard", collect=True)

    async def scenario(pilot: Pilot[None]) -> None:
        await until(pilot, lambda: "collector running" in text_of(app.query_one(CollectorLine)))
        await pilot.pause()
        assert collector_row(app).startswith(f"● collector running: pid {os.getpid()} (this")

    drive_app(app, scenario, size=(80, 24))


def test_when_the_console_s_collector_cannot_start_the_line_stops_saying_starting(
    store: Store,
) -> None:
    app = app_on(store, "dashboard", collect=True)

    async def scenario(pilot: Pilot[None]) -> None:
        await until(pilot, lambda: app.collector is not None and not app.collector.alive)
        await until(pilot, lambda: "starting" not in text_of(app.query_one(CollectorLine)))
        assert text_of(app.query_one(CollectorLine)).startswith("○ no collector running: run ")

    with collector_lock(store):  # another collector, its first heartbeat not written yet
        drive_app(app, scenario, size=(80, 24))


@pytest.mark.parametrize("how", ["--no-collect", "read-only"])
def test_the_hint_to_start_a_collector_shows_when_the_console_starts_none(
    store: Store, db: Path, how: str
) -> None:
    opened = open_store(db, read_only=True) if how == "read-only" else store
    app = app_on(opened, "dashboard", collect=how != "--no-collect")

    async def scenario(pilot: Pilot[None]) -> None:
        await rendered(pilot, app)
        assert collector_row(app) == (
            "○ no collector running: run `nodekeeper collect` (none has run yet)"
        )

    with opened if opened is not store else contextlib.nullcontext():
        drive_app(app, scenario, size=(80, 24))


@pytest.mark.parametrize(
    ("state", "seen", "shown"),
    [
        ("stopped", NOW - 6, "○ no collector running: run `nodekeeper collect` (stopped 6s ago on pve-node1)"),
        ("running", NOW - 31, "○ no collector running: run `nodekeeper collect` (lost 31s ago on pve-node1)"),
        ("running", NOW - 1, "● collector running: pid 4194304 on pve-node1, every 2s, seen 1s ago"),
    ],
)  # fmt: skip
def test_the_collector_line_fits_80_columns_whole(
    store: Store, state: str, seen: float, shown: str
) -> None:
    store.telemetry.heartbeat(seen, 2.0, state, pid=4194304, host="pve-node1")
    app = app_on(store, "dashboard", clock=Clock())

    async def scenario(pilot: Pilot[None]) -> None:
        await rendered(pilot, app)
        assert collector_row(app) == shown  # whole: not cut with an ellipsis

    drive_app(app, scenario, size=(80, 24))
