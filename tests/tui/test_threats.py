"""The Threats section: the IPs of a real SQLite store's log events by threat score, their counts
and their activity per hour as the store counts them, Enter opening their events in Logs,
shown literally, refreshed while shown only."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Tab, TabbedContent

import core
from core import Store
from core.text import escape_control
from tests.core.logs.threat_events import event, store_events
from tui.app import SECTIONS
from tui.screens.logs import LogsView
from tui.screens.threats import EMPTY, HOURS, MIN_SCORE, ThreatsView, spark

from .pilot import app_on, drive, press, settle, until

HOUR = 3600
NOW = 1_780_000_000 - 1_780_000_000 % HOUR + 1800  # half past an hour
ODD = "203.0.113.66\x1b[31m\x07"  # an "IP" a log line held, control characters in it
COLUMNS = ("ip", "score", "bar", "failed", "invalid", "auth", "bans", "blocks", "accepted",
           "recent", "activity", "last", "first")  # fmt: skip


def attacks() -> list[tuple]:
    """Four attackers of different weights over two days, a private address, an accepted
    login, and an IP whose text holds control characters."""
    rows = []
    # 203.0.113.9: 30 failed logins in the last hours, a ban; the heaviest
    rows += [event(NOW - 3 * HOUR + 60 * i, "login_failed", "203.0.113.9", "root")
             for i in range(30)]  # fmt: skip
    rows += [event(NOW - HOUR, "ban", "203.0.113.9"), event(NOW - 600, "login_failed",
                                                            "203.0.113.9", "admin")]  # fmt: skip
    # 198.51.100.4: invalid users, a day and a half ago and one now
    rows += [event(NOW - 36 * HOUR + i, "invalid_user", "198.51.100.4", f"u{i}") for i in range(12)]
    rows += [event(NOW - 5, "invalid_user", "198.51.100.4", "x")]
    # 2001:db8::7: firewall blocks every hour of the day
    rows += [event(NOW - h * HOUR, "firewall_block", "2001:db8::7") for h in range(24)]
    rows += [event(NOW - 20 * HOUR, "auth_failure", "192.0.2.200", "root") for _ in range(3)]
    rows += [event(NOW - 7200, "login_failed", "10.1.2.3", "root") for _ in range(9)]  # exempt
    rows += [event(NOW - 100, "login_accepted", "192.0.2.10", "me")]  # no threat
    rows += [event(NOW - 50, "login_failed", ODD, "root") for _ in range(4)]
    return rows


@pytest.fixture
def threats_store(store: Store) -> Store:
    store_events(store, attacks())
    store.threats.update()
    store.logs.index_text()
    return store


def view_of(app: Any) -> ThreatsView:
    view = app.section("threats")
    assert isinstance(view, ThreatsView)
    return view


def run(store: Store, scenario, *, interval: float = 3600.0, size=(120, 36), section="threats"):
    app = app_on(store, section, dashboard_every=interval, clock=lambda: NOW)
    drive(app, scenario, size=size)


def row(view: ThreatsView, ip: str) -> dict[str, str]:
    return dict(zip(COLUMNS, (c.plain for c in view.table.get_row(ip)), strict=True))


def test_threats_is_the_tenth_section_after_logs_and_0_shows_it(threats_store: Store) -> None:
    assert list(SECTIONS)[-2:] == ["logs", "threats"]

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        await press(pilot, "0")
        assert app.active_id == "threats"
        assert app.focused is view_of(app).table
        await press(pilot, "9")
        assert app.active_id == "logs"
        await press(pilot, "2")
        assert app.active_id == "containers"
        tabs = [str(tab.label) for tab in app.query_one("#sections").query("ContentTab")]
        assert tabs[-2:] == ["9 Logs", "0 Threats"]

    run(threats_store, scenario, section="dashboard")


def test_rows_are_the_ips_by_score_with_their_counts(threats_store: Store) -> None:
    expected = threats_store.threats.threats(min_score=MIN_SCORE, now=NOW)

    async def scenario(pilot: Pilot[None]) -> None:
        view = view_of(pilot.app)
        shown = view.table.shown_keys()
        assert shown == [t.ip for t in expected]
        assert shown[0] == "203.0.113.9" and "10.1.2.3" not in shown
        assert "192.0.2.10" not in shown  # accepted logins only: no threat
        scores = [float(row(view, ip)["score"]) for ip in shown]
        assert scores == sorted(scores, reverse=True)
        for t in expected:
            r = row(view, t.ip)
            counts = (t.failed_logins, t.invalid_users, t.auth_failures, t.bans,
                      t.firewall_blocks, t.accepted_logins)  # fmt: skip
            assert [r[c] for c in COLUMNS[3:9]] == [str(n) for n in counts]
            assert r["score"] == f"{t.score:.1f}"
        top = row(view, "203.0.113.9")
        assert (top["failed"], top["bans"], top["last"]) == ("31", "1", "10m ago")
        assert top["first"] == "3h ago"
        assert row(view, "198.51.100.4")["first"] == "1d ago"
        panel = view.query_one("#threats-ips")
        assert panel.border_title == f"Threats: {len(expected)} IPs scoring 1 or more"

    run(threats_store, scenario)


def test_activity_bar_matches_the_stores_counts_per_hour(threats_store: Store) -> None:
    until_ = NOW - NOW % HOUR + HOUR
    ips = [t.ip for t in threats_store.threats.threats(min_score=MIN_SCORE, now=NOW)]
    counted = threats_store.threats.activity(ips, until_ - HOURS * HOUR, until_, HOURS)

    async def scenario(pilot: Pilot[None]) -> None:
        view = view_of(pilot.app)
        assert view.activity == counted
        for ip in ips:
            r = row(view, ip)
            assert r["activity"] == spark(counted[ip]) and len(r["activity"]) == HOURS
            assert r["recent"] == str(sum(counted[ip]))
        # One block per hour, the current hour last; the day and a half ago is outside.
        assert counted["2001:db8::7"] == [1] * 24
        assert row(view, "2001:db8::7")["activity"] == "█" * 24
        assert counted["198.51.100.4"] == [0] * 23 + [1]
        top = counted["203.0.113.9"]  # 30 failures from 3 h ago, one a minute, then a ban
        assert top[-4:] == [30, 0, 1, 1] and sum(top) == 32
        assert row(view, "203.0.113.9")["activity"] == " " * 20 + "█ ▁▁"

    run(threats_store, scenario)


def test_enter_on_an_ip_opens_its_events_in_logs_filtered_by_it(threats_store: Store) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        view = view_of(app)
        keys = view.table.shown_keys()
        await press(pilot, "down")
        assert view.table.current_key == keys[1]
        await press(pilot, "enter")
        assert app.active_id == "logs"
        logs = app.section("logs")
        assert isinstance(logs, LogsView)
        assert logs.filter_input.value == f"ip:{keys[1]}"
        await until(pilot, lambda: logs.lines.rows and logs.filter.ip == keys[1])
        await settle(pilot)
        events = threats_store.logs.count_by("ip", logs.filter)
        assert {r.event.ip for r in logs.lines.rows} == {keys[1]}
        assert len(logs.lines.rows) == events[0][1]
        await press(pilot, "0")
        await press(pilot, "up", "enter")  # another IP: the filter follows
        assert logs.filter_input.value == f"ip:{keys[0]}"
        await until(pilot, lambda: {r.event.ip for r in logs.lines.rows} == {keys[0]})

    run(threats_store, scenario)


def test_enter_before_logs_was_ever_shown_opens_it_filtered(threats_store: Store) -> None:
    """The console opened on Threats: Logs mounts hidden and is first shown by the Enter."""

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        ip = view_of(app).table.current_key
        await pilot.press("enter")
        await settle(pilot)
        logs = app.section("logs")
        await until(pilot, lambda: logs.lines.rows and logs.filter.ip == ip)
        assert logs.filter_input.value == f"ip:{ip}"
        assert {r.event.ip for r in logs.lines.rows} == {ip}

    run(threats_store, scenario)


def test_control_characters_in_an_ip_are_escaped_and_its_events_found(
    threats_store: Store,
) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        view = view_of(app)
        assert ODD in view.table.shown_keys()
        shown = row(view, ODD)["ip"]
        assert shown == escape_control(ODD) and "\x1b" not in shown and "\\x1b" in shown
        lines = [view.table.render_line(y).text for y in range(view.table.size.height)]
        assert any(escape_control(ODD) in line for line in lines)
        assert not any("\x1b" in line or "\x07" in line for line in lines)
        assert view.table.select(ODD)
        await press(pilot, "enter")
        logs = app.section("logs")
        assert logs.filter_input.value == f"ip:{escape_control(ODD)}"
        await until(pilot, lambda: len(logs.lines.rows) == 4)
        assert {r.event.ip for r in logs.lines.rows} == {ODD}

    run(threats_store, scenario)


def test_patterns_panel_shows_the_stores_trace_patterns(threats_store: Store) -> None:
    patterns = threats_store.threats.patterns()
    assert patterns  # 30 failures in 30 minutes: brute force at least

    async def scenario(pilot: Pilot[None]) -> None:
        view = view_of(pilot.app)
        assert view.pattern_table.shown_keys() == [p.signature for p in patterns]
        brute = "brute_force:203.0.113.9"
        cells = [c.plain for c in view.pattern_table.get_row(brute)]
        found = next(p for p in patterns if p.signature == brute)
        assert cells[:3] == ["brute force", "203.0.113.9", str(found.occurrence_count)]

    run(threats_store, scenario)


def test_an_empty_store_says_threats_come_from_log_events(store: Store) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        view = view_of(pilot.app)
        assert view.rounds >= 1
        panel = view.query_one("#threats-ips")
        assert panel.has_class("-empty") and not view.table.display
        hint = panel.query_one(".empty-hint")
        assert hint.display and "nodekeeper logs import" in EMPTY and "--log" in EMPTY
        assert str(hint.render()) == EMPTY
        assert not view.query_one("#threats-patterns").display

    run(store, scenario)


def test_new_threats_appear_at_the_next_round_while_shown(threats_store: Store) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        view = view_of(pilot.app)
        assert "192.0.2.77" not in view.table.shown_keys()
        store_events(threats_store, [event(NOW - 30, "ban", "192.0.2.77")] * 3)
        threats_store.threats.update()
        await until(pilot, lambda: "192.0.2.77" in view.table.shown_keys())
        assert row(view, "192.0.2.77")["bans"] == "3"

    run(threats_store, scenario, interval=0.05)


def test_a_hidden_threats_section_does_not_read(threats_store: Store) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        view = view_of(pilot.app)
        await until(pilot, lambda: view.rounds >= 3)  # rounds follow each other while shown
        await press(pilot, "1")
        rounds = view.rounds
        await pilot.pause(0.4)
        await settle(pilot)
        assert view.rounds <= rounds + 1  # at most the read under way as it was hidden
        hidden = view.rounds
        await pilot.pause(0.4)
        assert view.rounds == hidden
        await press(pilot, "0")
        await until(pilot, lambda: view.rounds > hidden)

    run(threats_store, scenario, interval=0.05)


def test_spark_scales_each_ip_to_its_busiest_hour() -> None:
    assert spark([0, 1, 2, 4, 8]) == " ▁▂▄█"
    assert spark([0, 0]) == "  "
    assert spark([1000, 1]) == "█▁"  # one event still shows


def tab_labels(app: Any) -> list[str]:
    tabs = app.query_one(TabbedContent)
    return [str(tabs.get_tab(section).label) for section in app.sections]


def tabs_fit(app: Any) -> bool:
    width = app.size.width
    return all(tab.region.x >= 0 and tab.region.right <= width
               for tab in app.query_one(TabbedContent).query(Tab))  # fmt: skip


@pytest.mark.parametrize("nodes", [1, 2])
def test_at_80_columns_every_tab_shows_with_short_labels(tmp_path, nodes: int) -> None:
    db = tmp_path / "nk.db"
    if nodes == 2:
        with core.open_store(db, node="edge-2") as other:
            other.nodes.heartbeat(interval=2.0, hostname="edge-2", version="1", boot_time=1,
                                  cpu_count=1, memory_total=1 << 30)  # fmt: skip
    store = core.open_store(db, node="edge-1")
    store.nodes.heartbeat(interval=2.0, hostname="edge-1", version="1", boot_time=1,
                          cpu_count=1, memory_total=1 << 30)  # fmt: skip

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        fleet = ["8 Fleet"] if nodes == 2 else []
        assert tab_labels(app) == ["1 Dash", "2 Ctrs", "3 Profs", "4 Images", "5 Svcs",
                                   "6 Users", "7 Certs", *fleet, "9 Logs", "0 Threats"]  # fmt: skip
        assert tabs_fit(app)
        await press(pilot, "0")  # the last tab shown: the row does not scroll
        assert tabs_fit(app)
        await pilot.resize_terminal(160, 30)
        await settle(pilot)
        assert tab_labels(app)[:2] == ["1 Dashboard", "2 Containers"]
        assert tab_labels(app)[-1] == "0 Threats" and tabs_fit(app)
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert tab_labels(app)[0] == "1 Dash" and tabs_fit(app)

    try:
        drive(app_on(store, "dashboard", dashboard_every=3600.0), scenario, size=(80, 24))
    finally:
        store.close()
