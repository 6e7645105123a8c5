"""Text in a pane taller than the terminal is reachable from the keyboard, at 80x24: the detail
pane (Tab to it, or Shift+arrows from the table) and the dashboard's table panels."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from textual.pilot import Pilot

from core import Store
from core.samples import NetworkSample
from core.traffic_rules import Reading
from tui.screens.dashboard import DashboardView
from tui.screens.help import HelpScreen
from tui.widgets.dashboard_format import TablePanel
from tui.widgets.dashboard_interfaces import InterfacesPanel
from tui.widgets.dashboard_traffic import TrafficPanel
from tui.widgets.detail_pane import DetailPane

from .pilot import app_on, detail, drive, press, section, until
from .test_resource_table import screen_lines

MiB = 1 << 20


def screen(app) -> str:
    return "\n".join(screen_lines(app))


def last_line(app) -> str:
    """The detail's last line, as it would be on screen (no trailing blanks)."""
    return next(line.strip() for line in reversed(detail(app).splitlines()) if line.strip())


@pytest.mark.parametrize("section_name", ["containers", "profiles"])
def test_tab_focuses_the_detail_pane_and_the_arrows_scroll_it(
    demo_store: Store, section_name: str
) -> None:
    app = app_on(demo_store, section_name)

    async def scenario(pilot: Pilot[None]) -> None:
        end = last_line(app)
        assert end not in screen(app)  # the detail is longer than its pane at 80x24
        assert DetailPane.MORE in screen(app)  # and its border says so
        await press(pilot, "tab")
        assert isinstance(app.focused, DetailPane)
        for _ in range(40):
            await press(pilot, "down")
        assert end in screen(app)
        await press(pilot, "home")
        assert end not in screen(app)
        pane = section(app).detail_pane
        await press(pilot, "pagedown")
        assert pane.scroll_y >= pane.scrollable_content_region.height - 1
        await press(pilot, "end")
        assert end in screen(app)
        assert DetailPane.MORE not in screen(app)
        await press(pilot, "shift+tab")
        assert app.focused is section(app).table

    drive(app, scenario, size=(80, 24))


def test_shift_arrows_scroll_the_detail_pane_from_the_table(demo_store: Store) -> None:
    app = app_on(demo_store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        table = section(app).table
        key, end = table.current_key, last_line(app)
        for _ in range(40):
            await press(pilot, "shift+down")
        assert end in screen(app)
        assert app.focused is table and table.current_key == key  # the cursor stayed
        for _ in range(40):
            await press(pilot, "shift+up")
        assert end not in screen(app)
        pane = section(app).detail_pane
        assert pane.scroll_y == 0
        await press(pilot, "shift+pagedown")
        assert pane.scroll_y >= pane.scrollable_content_region.height - 1
        await press(pilot, "shift+pageup")
        assert pane.scroll_y == 0
        await press(pilot, "shift+pagedown")
        await press(pilot, "r")  # a refresh keeps the place in the same resource's detail
        assert pane.scroll_y > 0
        await press(pilot, "down")  # another resource's detail shows from its top
        assert table.current_key != key and pane.scroll_y == 0

    drive(app, scenario, size=(80, 24))


def test_help_lists_the_keys_that_scroll_the_panes(demo_store: Store) -> None:
    app = app_on(demo_store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = " ".join(screen(app).split())
        assert "Shift+↑ ↓" in text and "scroll the detail pane" in text

    drive(app, scenario, size=(120, 50))


@pytest.mark.parametrize("panel", [InterfacesPanel, TrafficPanel])
def test_tab_reaches_a_dashboard_table_panel_and_the_keys_scroll_its_rows(
    empty_store: Store, panel: type[TablePanel]
) -> None:
    store, now = empty_store, 1_700_000_000.0
    if panel is InterfacesPanel:  # more than the panel holds (a cursorless table)
        stamps = [int(now - 60 + 2 * i) for i in range(31)]
        store.telemetry.insert_samples(
            [], [NetworkSample(t, f"veth{n:02}", bytes_sent=MiB, bytes_recv=MiB)
                 for t in stamps for n in range(16)]
        )  # fmt: skip
    else:  # as in the trial: 19 chains, the services' last
        t0, t1 = (datetime.fromtimestamp(now - s, UTC) for s in (100, 10))
        chains = [f"eth{n:02}:{way}" for n in range(8) for way in ("in", "out")]
        for n in range(3):
            store.services.create(f"svc{n}", ul_limit=10 * MiB)
            chains.append(f"service:svc{n}:out")
        store.traffic.record([Reading(chain, 0, 1, t0) for chain in chains])
        store.traffic.record([Reading(chain, MiB, 1, t1) for chain in chains])
    app = app_on(store, "dashboard", clock=lambda: now)

    async def scenario(pilot: Pilot[None]) -> None:
        view = app.query_one(DashboardView)
        await until(pilot, lambda: view.renders >= 1)
        await pilot.pause()
        table = app.query_one(panel).table
        last = f" {table.shown_keys()[-1]} "
        assert last not in screen(app), last
        await press(pilot, "shift+tab")  # to the tab bar, as after a click on a tab
        assert app.focused is not table
        border = app.query_one(panel).styles.border_top
        await press(pilot, "tab")
        assert app.focused is table, app.focused
        assert app.query_one(panel).styles.border_top != border  # the panel shows it has it
        await press(pilot, "end")
        assert last in screen(app)
        await press(pilot, "home")
        assert last not in screen(app)
        for _ in range(table.row_count):
            await press(pilot, "down")
        assert last in screen(app)

    drive(app, scenario, size=(80, 24))
