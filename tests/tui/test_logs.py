"""The Logs section: events paged from a real SQLite store by keyset, the newest at the bottom,
followed while at the end, filtered, counted per hour, shown literally."""

from __future__ import annotations

import json
from typing import Any

import pytest
from textual.pilot import Pilot

from core import Store
from core.store.logs import EventFilter, FilePosition
from tui.app import SECTIONS
from tui.screens.logs import KEEP, PAGE, LogsView, parse_filter, with_field

from .pilot import app_on, drive, press, settle, until

START = 1_780_000_000  # 2026-05-28 20:26:40 UTC
SOURCES = ("auth.log", "syslog", "fail2ban.log")
LEVELS = ("info", "warning", "error", "debug", "notice")
ACTIONS = (None, "login_failed", "ban", None, "sudo")
POSITION = FilePosition("/var/log/auth.log", 1, 1, 0, "")


def event_row(i: int, message: str | None = None, **given: Any) -> tuple:
    """Event ``i``: one every 37 s, fields going round their lists."""
    action = ACTIONS[i % len(ACTIONS)]
    ip = f"198.51.100.{i % 7}" if action else None
    fields = {
        "timestamp": START + 37 * i, "source": SOURCES[i % 3], "level": LEVELS[i % 5],
        "program": "sshd", "pid": 100 + i % 9, "host": "web1",
        "message": message or f"event {i} from {ip or 'nowhere'} word{i % 4}",
        "ip_address": ip, "user": "root" if action else None, "action": action,
        "metadata": json.dumps({"port": 22, "n": i}), "ingested": START + 37 * i,
    }  # fmt: skip
    fields.update(given)
    return tuple(fields.values())


def stored(store: Store, rows: list[tuple]) -> None:
    store.logs.store_batch(rows, POSITION)


@pytest.fixture
def logs_store(store: Store) -> Store:
    stored(store, [event_row(i) for i in range(1000)])
    store.logs.index_text()
    return store


def logs(app: Any) -> LogsView:
    view = app.section("logs")
    assert isinstance(view, LogsView)
    return view


def ids(view: LogsView) -> list[int]:
    return [row.event.id for row in view.lines.rows]


def run(store: Store, scenario, *, interval: float = 3600.0, size=(120, 36)) -> None:
    app = app_on(store, "logs", dashboard_every=interval)
    drive(app, scenario, size=size)


def test_logs_is_the_ninth_section_after_the_fleet_and_9_shows_it(logs_store: Store) -> None:
    assert list(SECTIONS).index("fleet") == 7 and list(SECTIONS).index("logs") == 8

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert "fleet" not in app.sections  # one node: hidden, its number kept
        await press(pilot, "9")
        assert app.active_id == "logs"
        assert app.focused is logs(app).lines
        await press(pilot, "2")
        assert app.active_id == "containers"

    drive(app_on(logs_store, "dashboard", dashboard_every=3600.0), scenario)


def test_first_page_shows_the_latest_events_newest_at_the_bottom(logs_store: Store) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        view = logs(pilot.app)
        latest = logs_store.logs.events(limit=PAGE)
        assert ids(view) == [e.id for e in latest]
        assert view.lines.current.event.id == latest[-1].id  # the cursor on the newest
        assert view.lines.lines[-1].startswith(
            "05-29 06:42:43 NOTE auth.log"
        )  # the last line drawn
        assert "event 999 " in view.lines.lines[-1]
        assert view.following and view.at_end and not view.at_start

    run(logs_store, scenario)


def test_scrolling_up_pages_back_by_keyset_holding_at_most_three_pages(logs_store: Store) -> None:
    every = [e.id for e in logs_store.logs.events(limit=2000)]

    async def scenario(pilot: Pilot[None]) -> None:
        view = logs(pilot.app)
        most = 0
        for _ in range(200):
            await press(pilot, "pageup")
            most = max(most, len(view.lines.rows))
            window = ids(view)
            start = every.index(window[0])
            assert window == every[start : start + len(window)]  # one run, in time order
            if view.at_start and view.lines.cursor == 0:
                break
        assert view.lines.current.event.id == every[0]  # reached the oldest event
        assert most <= KEEP and view.reads >= 1 + (1000 - PAGE) // PAGE
        assert not view.at_end
        for _ in range(200):
            await press(pilot, "pagedown")
            assert len(view.lines.rows) <= KEEP
            if view.following:
                break
        assert view.lines.current.event.id == every[-1]

    run(logs_store, scenario)


def test_keys_typed_in_a_burst_read_each_page_once(logs_store: Store) -> None:
    """Pages asked for while one is read wait for it, and take their key from the window
    then: no page comes twice."""
    every = [e.id for e in logs_store.logs.events(limit=2000)]

    async def scenario(pilot: Pilot[None]) -> None:
        view = logs(pilot.app)
        for _ in range(6):
            await pilot.press(*["pageup"] * 12)
            view.lines.move_to(0)
            view.lines.move_to(0)  # a second Edge, handled before the first page's read ends
            await settle(pilot)
            window = ids(view)
            assert len(set(window)) == len(window) <= KEEP
            start = every.index(window[0])
            assert window == every[start : start + len(window)]
        assert view.lines.current.event.id == every[0]

    run(logs_store, scenario)


def test_home_reads_the_oldest_page_and_end_the_latest(logs_store: Store) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        view = logs(pilot.app)
        await press(pilot, "home")
        assert view.lines.current.event.timestamp == START and view.at_start
        await press(pilot, "end")
        assert view.lines.current.event.timestamp == START + 37 * 999 and view.following

    run(logs_store, scenario)


def test_events_stored_while_at_the_end_are_followed(logs_store: Store) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        view = logs(pilot.app)
        stored(logs_store, [event_row(i, f"new event {i}") for i in (1000, 1001)])
        await until(pilot, lambda: view.lines.current.event.message == "new event 1001")
        assert [r.event.message for r in view.lines.rows[-2:]] == ["new event 1000",
                                                                   "new event 1001"]  # fmt: skip
        assert len(view.lines.rows) == PAGE + 2 and view.following
        assert "new event 1001" in view.lines.lines[-1]

    run(logs_store, scenario, interval=0.05)


def test_events_stored_while_scrolled_up_are_counted_not_shown(logs_store: Store) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        view = logs(pilot.app)
        await press(pilot, "up", "up")
        before = ids(view)
        cursor = view.lines.current
        stored(logs_store, [event_row(i, f"new event {i}") for i in (1000, 1001, 1002)])
        status = pilot.app.query_one("#logs-status")
        await until(pilot, lambda: view.new_events == 3)
        assert ids(view) == before and view.lines.current == cursor
        assert str(status.render()).startswith("3 new")
        await press(pilot, "end")
        assert view.lines.current.event.message == "new event 1002"
        assert view.new_events == 0 and view.following

    run(logs_store, scenario, interval=0.05)


FILTERS = {
    "text": ("word2 ", EventFilter(text="word2")),
    "level": ("level:error", EventFilter(level="error")),
    "source": ("source:fail2ban.log", EventFilter(source="fail2ban.log")),
    "action": ("action:ban", EventFilter(action="ban")),
    "ip": ("ip:198.51.100.3", EventFilter(ip="198.51.100.3")),
    "all": (
        "level:warning action:login_failed from",
        EventFilter(level="warning", action="login_failed", text="from"),
    ),  # fmt: skip
}


@pytest.mark.parametrize("name", FILTERS)
def test_each_filter_shows_the_latest_events_the_store_gives_for_it(
    logs_store: Store, name: str
) -> None:
    typed, f = FILTERS[name]
    expected = [e.id for e in logs_store.logs.events(f, limit=PAGE)]
    assert 0 < len(expected) < 1000

    async def scenario_keys(pilot: Pilot[None]) -> None:
        # Keys of the typed text: Pilot wants names for a space and punctuation.
        names = {" ": "space", ":": "colon", ".": "full_stop", "_": "underscore"}
        view = logs(pilot.app)
        await press(pilot, "slash")
        for char in typed:
            await pilot.press(names.get(char, char))
        await press(pilot, "enter")
        assert view.filter == f
        assert ids(view) == expected
        h = view.histogram
        assert h is not None and sum(h.counts) == len(logs_store.logs.events(f, limit=2000))
        assert pilot.app.focused is view.lines
        await press(pilot, "escape")  # clears it
        assert view.filter == EventFilter() and len(ids(view)) == PAGE

    run(logs_store, scenario_keys)


def test_l_steps_the_level_and_i_keeps_the_highlighted_events_ip(logs_store: Store) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        view = logs(pilot.app)
        await press(pilot, "l")
        assert view.filter.level == "error"
        assert {r.event.level for r in view.lines.rows} == {"error"}
        await press(pilot, "l")
        assert view.filter.level == "warning" and view.filter_input.value == "level:warning"
        await press(pilot, "l", "l")
        assert view.filter == EventFilter()
        while view.lines.current.event.ip is None:
            await press(pilot, "up")
        ip = view.lines.current.event.ip
        await press(pilot, "i")
        assert view.filter == EventFilter(ip=ip)
        assert ids(view) == [e.id for e in logs_store.logs.events(EventFilter(ip=ip), limit=PAGE)]
        await press(pilot, "i")
        assert view.filter == EventFilter()

    run(logs_store, scenario)


def test_an_unknown_level_is_said_and_the_filter_kept(logs_store: Store) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        view = logs(pilot.app)
        view.apply_filter("action:ban")
        await settle(pilot)
        view.apply_filter("level:loud")
        await settle(pilot)
        assert view.filter == EventFilter(action="ban") and view.has_class("-error")
        assert "loud" in str(pilot.app.query_one("#logs-error").render())

    run(logs_store, scenario)


def test_histogram_buckets_equal_count_by_hour(logs_store: Store) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        view = logs(pilot.app)
        h = view.histogram
        assert h is not None
        width = pilot.app.query_one("#logs-histogram").size.width
        assert len(h.counts) == width
        newest = START + 37 * 999
        assert h.start + (width - 1) * 3600 == newest - newest % 3600
        expected = logs_store.logs.count_by("hour", EventFilter(since=h.start))
        assert list(h.buckets) == expected
        assert [h.counts[(at - h.start) // 3600] for at, _ in expected] == [n for _, n in expected]
        assert sum(h.counts) == 1000  # 10 hours of events, all within the width

    run(logs_store, scenario)


def test_control_characters_are_escaped_in_the_list_and_the_detail(store: Store) -> None:
    stored(store, [event_row(0, "bad \x1b[31mred\x1b[0m\nnext\tline\x07", program="x\x1by",
                             user="a\nb")])  # fmt: skip

    async def scenario(pilot: Pilot[None]) -> None:
        view = logs(pilot.app)
        line = view.lines.lines[0]  # the one event, at the top
        assert "x\\x1by[100]: bad \\x1b[31mred\\x1b[0m\\nnext\\tline\\x07" in line
        assert not any(ord(c) < 32 for c in "".join(view.lines.lines))
        detail = view.detail.plain
        assert "bad \\x1b[31mred\\x1b[0m\\nnext\\tline\\x07" in detail
        assert "a\\nb" in detail and "\x1b" not in detail

    run(store, scenario)


def test_the_detail_shows_every_field_metadata_and_a_place_for_the_trace(store: Store) -> None:
    stored(store, [event_row(1, "Failed password for root", pid=4242)])

    async def scenario(pilot: Pilot[None]) -> None:
        view = logs(pilot.app)
        detail = view.detail.plain
        for label, value in [
            ("Time", "2026-05-28 20:27:17 UTC"), ("Level", "warning"), ("Source", "syslog"),
            ("Host", "web1"), ("Program", "sshd"), ("PID", "4242"), ("IP", "198.51.100.1"),
            ("User", "root"), ("Action", "login_failed"), ("Message", "Failed password for root"),
            ("port", "22"), ("n", "1"),
        ]:  # fmt: skip
            assert any(ln.split() == [label, *value.split()] for ln in detail.splitlines()), label
        assert "Metadata" in detail and "Trace" in detail
        await until(pilot, lambda: "no trace recorded" in view.detail.plain)
        await press(pilot, "shift+down")
        assert view.detail.scroll_y == 1
        await press(pilot, "shift+up")
        assert view.detail.scroll_y == 0
        await press(pilot, "enter")
        assert view.has_class("-zoom")
        await press(pilot, "enter")
        assert not view.has_class("-zoom")

    run(store, scenario, size=(80, 40))


def test_an_empty_store_says_so(store: Store) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        view = logs(pilot.app)
        assert view.has_class("-empty") and view.histogram is None
        assert "No log events stored" in str(pilot.app.query_one("#logs-empty").render())

    run(store, scenario, size=(80, 24))


def test_a_hidden_logs_section_does_not_read(logs_store: Store) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        view = logs(pilot.app)
        await press(pilot, "1")
        reads = view.reads
        await pilot.pause(0.4)
        await settle(pilot)
        assert view.reads == reads
        await press(pilot, "9")
        await until(pilot, lambda: view.reads > reads)

    run(logs_store, scenario, interval=0.05)


def test_the_filter_line_reads_fields_and_words() -> None:
    f = parse_filter("Failed  IP:2001:db8::1 level:WARNING since:-1h pass", now=START)
    assert f == EventFilter(ip="2001:db8::1", level="warning", since=START - 3600,
                            text="Failed pass")  # fmt: skip
    assert parse_filter("sshd:auth", now=START) == EventFilter(text="sshd:auth")
    assert with_field("a level:error b", "level", "warning") == "a b level:warning"
    assert with_field("a level:error", "level", None) == "a"


def test_the_detail_shows_the_events_trace_read_from_the_store(store: Store) -> None:
    from core.store.traces import ConnectionFacts, ErrorFacts, ProcessFacts, Trace

    stored(store, [event_row(1, "Out of memory: Killed process 4242 (java)", pid=4242)])
    event = store.logs.events()[0]
    store.traces.record([Trace(
        event.id, event.timestamp, event.timestamp + 1,
        processes=(ProcessFacts(4242, "java\x1b[2J", "java -jar app.jar", "sleeping", 1,
                                memory_rss=1 << 20, num_threads=12),),
        connections=(ConnectionFacts("10.0.0.5", 8080, "198.51.100.9", 51515, "ESTABLISHED", "tcp"),),
        errors=(ErrorFacts("oom_kill", "memory", root_cause_hints=("a process used too much",),
                           recovery_suggestions=("raise the memory limit",)),),
    )])  # fmt: skip

    async def scenario(pilot: Pilot[None]) -> None:
        view = logs(pilot.app)
        await until(pilot, lambda: "What to do" in view.detail.plain)
        detail = view.detail.plain
        assert "4242 java\\x1b[2J (sleeping)" in detail  # escaped, not drawn
        assert "tcp 10.0.0.5:8080 → 198.51.100.9:51515 ESTABLISHED" in detail
        assert "memory: oom_kill" in detail and "raise the memory limit" in detail

    run(store, scenario, size=(100, 50))
