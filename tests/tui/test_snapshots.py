"""Snapshot tests: every screen of the console, at 80x24 and at 120x40, compared with the SVGs
in ``__snapshots__/`` (pytest-textual-snapshot).

The data is ``core.demo.fill`` with a fixed seed and a fixed "now", and the console runs with
the same fixed clock, the host name and the database shown in the header pinned: a picture
changes only when what the console draws changes. After a deliberate change to the look, look at
the failing pictures (the plugin writes a report) and update them with
``pytest tests/tui/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.pilot import Pilot

import core
from core import Store
from core.demo import fill
from tui.app import SECTIONS, NodekeeperApp, section_key

from .pilot import settle

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
SIZES = {"80x24": (80, 24), "120x40": (120, 40)}


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("snapshots") / "nodekeeper.db"
    with core.open_store(db) as store:
        fill(store, containers=24, days=2, seed=7, now=NOW)
    return db


@pytest.fixture
def demo_store(demo_db: Path) -> Iterator[Store]:
    with core.open_store(demo_db) as store:
        yield store


def console(store: Store, *, read_only: bool = False) -> NodekeeperApp:
    app = NodekeeperApp(store, read_only=read_only, refresh_every=None, clock=NOW.timestamp)
    app.title = "nodekeeper @ node1"  # not this machine's name
    app.sub_title = "/var/lib/nodekeeper/nodekeeper.db"  # read-only: the App marks it
    return app


def keys(*pressed: str) -> Callable[[Pilot[None]], Awaitable[None]]:
    """Press ``pressed`` one at a time, letting the workers each key starts finish."""

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        for key in pressed:
            await pilot.press(key)
            await settle(pilot)

    return run_before


# Screen name -> the keys that lead there from the start (the dashboard).
SCREENS = {
    # The sections of a one-node store: the Fleet has its own store (test_fleet, below).
    **{
        section: (section_key(number),)
        for number, section in enumerate(SECTIONS, start=1)
        if section != "fleet"
    },  # fmt: skip
    "help": ("2", "question_mark"),
    "containers-filtered": ("2", "slash", *"web"),
    "container-form": ("2", "n"),
    "container-edit": ("2", "e"),
    "delete-container": ("2", "d"),
    "profile-form": ("3", "n"),
    "image-form": ("4", "n"),
    "service-form-error": ("5", "n", *"backup", "tab"),
    "delete-service": ("5", "d"),
    "user-form": ("6", "n"),
    "palette": ("ctrl+p", *"web"),
    "threats-events": ("0", "down", "enter"),  # the second IP's events, in Logs
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", SCREENS)
def test_screen(snap_compare, demo_store: Store, screen: str, size: str) -> None:
    app = console(demo_store)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=keys(*SCREENS[screen]))


@pytest.mark.parametrize("size", SIZES)
def test_read_only_containers(snap_compare, demo_store: Store, size: str) -> None:
    """The footer of a read-only console offers no edit keys, and the header says read-only."""
    app = console(demo_store, read_only=True)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=keys("2"))


@pytest.fixture(scope="module")
def fleet_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three nodes: node1 (the demo, up), edge-2 (a small demo, up), storage-3 (down 12 min)."""
    db = tmp_path_factory.mktemp("fleet") / "nodekeeper.db"
    for name, containers, ago in (("node1", 24, 1), ("edge-2", 4, 2), ("storage-3", 0, 720)):
        with core.open_store(db, node=name) as store:
            if containers:
                fill(store, containers=containers, days=1, seed=7, now=NOW)
            store.nodes.heartbeat(
                interval=2.0, hostname=f"{name}.lan", version="0.1.0", boot_time=1,
                cpu_count=4, memory_total=8 << 30, now=NOW - timedelta(seconds=ago),
            )  # fmt: skip
    return db


@pytest.mark.parametrize("size", SIZES)
def test_fleet(snap_compare, fleet_db: Path, size: str) -> None:
    """The Fleet section of a database of three nodes, node1 shown."""
    with core.open_store(fleet_db, node="node1") as store:
        app = console(store)
        assert snap_compare(app, terminal_size=SIZES[size], run_before=keys("8"))
