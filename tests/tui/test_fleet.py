"""The Fleet section: there when the database holds more than one node, each node with its
status and bars, Enter opening a node in every section (a real SQLite file holding two nodes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import TabbedContent

import core
from core import Store
from tui.app import NodekeeperApp
from tui.screens.fleet import FleetView
from tui.widgets.dashboard_collector import CollectorLine

from .pilot import app_on, drive, press, section, settle, shown, until


def _beat(store: Store, ago: timedelta) -> None:
    store.nodes.heartbeat(
        interval=2.0, hostname=f"{store.node}.lan", version="1.0", boot_time=1,
        cpu_count=4, memory_total=8 << 30, now=datetime.now(UTC) - ago,
    )  # fmt: skip


def two_nodes(db: Path) -> Store:
    """edge-1 (up, container web1) and edge-2 (down 5 minutes, container db9); the store of
    edge-1 returned."""
    with core.open_store(db, node="edge-2") as other:
        other.containers.create("db9")
        _beat(other, timedelta(minutes=5))
    store = core.open_store(db, node="edge-1")
    store.containers.create("web1")
    _beat(store, timedelta(seconds=1))
    return store


def fleet_rows(app: NodekeeperApp) -> dict[str, list[str]]:
    table = app.query_one(FleetView).table
    return {key: [c.plain for c in table.get_row(key)] for key in table.shown_keys()}


def test_a_database_of_two_nodes_has_a_fleet_section_listing_them(db: Path) -> None:
    store = two_nodes(db)
    app = app_on(store, "dashboard")

    async def scenario(pilot: Pilot[None]) -> None:
        assert "fleet" in app.sections
        assert str(app.query_one(TabbedContent).get_tab("fleet").label) == "8 Fleet"
        await press(pilot, "8")
        view = app.query_one(FleetView)
        await until(pilot, lambda: view.rounds > 0 and len(fleet_rows(app)) == 2)
        rows = fleet_rows(app)
        assert rows["edge-1"][:2] == ["● edge-1", "up"]  # the node shown, marked
        # Five minutes since its heartbeat, by the real clock: a second more on a slow run.
        assert rows["edge-2"][0] == "  edge-2" and rows["edge-2"][1] in ("down 5m 0s", "down 5m 1s")
        assert view.query_one("TablePanel").border_title == "Nodes: 2, 1 up"

    drive(app, scenario)
    store.close()


def test_enter_opens_the_node_in_every_section_and_the_header(db: Path) -> None:
    store = two_nodes(db)
    app = app_on(store, "fleet")

    async def scenario(pilot: Pilot[None]) -> None:
        view = app.query_one(FleetView)
        await until(pilot, lambda: len(fleet_rows(app)) == 2)
        assert app.title == "nodekeeper @ edge-1"
        view.table.focus()
        await press(pilot, "down", "enter")
        await until(pilot, lambda: app.store.node == "edge-2")
        await settle(pilot)
        assert app.title == "nodekeeper @ edge-2"
        assert app.active_id == "dashboard"
        # edge-2's collector runs on edge-2's host, not in this console: the advice says so.
        line = app.query_one(CollectorLine)
        await until(pilot, lambda: "on its host" in str(line.render()))
        assert "run `nodekeeper collect --node edge-2` on its host" in str(line.render())
        await press(pilot, "2")
        assert shown(app) == ["db9"]  # edge-2's containers, not edge-1's web1
        assert section(app).store.node == "edge-2"
        await press(pilot, "8")
        await until(pilot, lambda: fleet_rows(app)["edge-2"][0] == "● edge-2")

    drive(app, scenario)
    store.close()


def test_a_one_node_database_has_no_fleet_section(store: Store) -> None:
    app = app_on(store, "dashboard")

    async def scenario(pilot: Pilot[None]) -> None:
        assert "fleet" not in app.sections
        await press(pilot, "8")  # no such section: nothing happens
        assert app.active_id == "dashboard"
        assert not app.query(FleetView)

    drive(app, scenario)


def test_a_on_a_resource_section_lists_the_kind_on_every_node_and_enter_opens_one(
    db: Path,
) -> None:
    store = two_nodes(db)
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        from tui.screens.fleet_listing import FleetListing

        assert "a" in app.screen.active_bindings  # a fleet: the key is in force
        await press(pilot, "a")
        listing = app.screen
        assert isinstance(listing, FleetListing)
        await until(pilot, lambda: listing.rows is not None)
        table = listing.table
        assert [c.plain for c in table.get_row(table.shown_keys()[0])][:2] == ["edge-1", "web1"]
        assert [[c.plain for c in table.get_row(k)][:2] for k in table.shown_keys()] == [
            ["edge-1", "web1"],
            ["edge-2", "db9"],
        ]
        await press(pilot, "down", "enter")
        await until(pilot, lambda: app.store.node == "edge-2")
        await settle(pilot)
        assert app.active_id == "containers"
        assert shown(app) == ["db9"]
        assert section(app).table.current_key == "db9"

    drive(app, scenario)
    store.close()


def test_a_one_node_database_has_no_all_nodes_key(store: Store) -> None:
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        binding = app.screen.active_bindings.get("a")
        assert binding is None or not binding.enabled  # not in force: not in the footer
        await press(pilot, "a")
        assert app.screen is app.screen_stack[0]  # nothing opened

    drive(app, scenario)
