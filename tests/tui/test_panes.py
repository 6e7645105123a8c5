"""Text in a pane taller than the terminal is reachable from the keyboard, at 80x24: the detail
pane (Tab to it, or Shift+arrows from the table) and the dashboard's table panels."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.pilot import Pilot

import core
from core import Store
from core.demo import fill
from tui.screens.help import HelpScreen
from tui.widgets.detail_pane import DetailPane

from .pilot import app_on, detail, drive, press, section


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("demo") / "nk.db"
    with core.open_store(db) as store:
        fill(store, containers=24, days=1, seed=7, now=datetime(2026, 11, 2, 9, 30, tzinfo=UTC))
    return db


@pytest.fixture
def demo_store(demo_db: Path) -> Iterator[Store]:
    with core.open_store(demo_db) as store:
        yield store


def screen(app) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


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

    drive(app, scenario, size=(80, 24))


def test_help_lists_the_keys_that_scroll_the_panes(demo_store: Store) -> None:
    app = app_on(demo_store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = " ".join(screen(app).split())
        assert "Shift+↑ ↓" in text and "scroll the detail pane" in text

    drive(app, scenario, size=(120, 50))
