"""What the TUI tests share: a real SQLite file store, a headless run, waiting for workers.

Neither pytest-asyncio nor anyio is a dependency: each test plays its scenario with asyncio.run.
After a key that reads or writes, tests wait for the workers and let the screen settle (no
sleeps). Editors are real scripts written into tmp_path.
"""

from __future__ import annotations

import asyncio
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, Select, TextArea

from core import Store
from tui.app import NodekeeperApp
from tui.screens.resource import ResourceSection
from tui.widgets.confirm import ConfirmModal
from tui.widgets.form import FormModal

FINGERPRINT = "ab" * 32
Scenario = Callable[[Pilot[None]], Awaitable[None]]


def drive(app: NodekeeperApp, scenario: Scenario, *, size: tuple[int, int] = (120, 36)) -> None:
    """Run the app headless, wait for its first load, then play ``scenario``."""

    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await scenario(pilot)

    asyncio.run(main())


async def settle(pilot: Pilot[None]) -> None:
    """Wait for every worker (reads, writes, the editor) and the screen updates they cause."""
    for _ in range(3):  # a finished worker may start the next read
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def press(pilot: Pilot[None], *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


def app_on(store: Store, section: str, **kwargs: Any) -> NodekeeperApp:
    """The console opened on ``section``, no background refresh (tests refresh with r)."""
    kwargs.setdefault("refresh_every", None)
    return NodekeeperApp(store, section=section, **kwargs)


def section(app: NodekeeperApp) -> ResourceSection[Any]:
    found = app.active_resources()
    assert found is not None, f"{app.active_id} is not a resource section"
    return found


def shown(app: NodekeeperApp) -> list[str]:
    """Row keys of the active section, in the order shown."""
    return section(app).table.shown_keys()


def cells(app: NodekeeperApp, key: str) -> list[str]:
    return [cell.plain for cell in section(app).table.get_row(key)]


def detail(app: NodekeeperApp) -> str:
    return section(app).detail_pane.plain


def notes(app: NodekeeperApp) -> list[str]:
    return [n.message for n in app._notifications]


def form(app: NodekeeperApp) -> FormModal[Any]:
    assert isinstance(app.screen, FormModal), type(app.screen).__name__
    return app.screen


async def fill(pilot: Pilot[None], **values: str) -> None:
    """Set form fields (focused in turn, as a user tabbing through would); every change runs the
    form's checks. ``type_into`` types character by character instead."""
    modal = form(pilot.app)  # type: ignore[arg-type]
    for name, value in values.items():
        widget = modal.widget(name)
        widget.focus()
        await pilot.pause()
        if isinstance(widget, Input):
            widget.value = value
        elif isinstance(widget, TextArea):
            widget.text = value
        elif isinstance(widget, Select):
            widget.value = value
        await pilot.pause()


async def type_into(pilot: Pilot[None], name: str, text: str) -> None:
    """Clear a form field and type ``text`` into it, one key at a time."""
    widget = form(pilot.app).widget(name)  # type: ignore[arg-type]
    widget.focus()
    await pilot.pause()
    assert isinstance(widget, Input)
    widget.value = ""
    await pilot.press(*text)
    await pilot.pause()


def put_cursor(app: NodekeeperApp, key: str) -> None:
    assert section(app).table.select(key), key


def editor_script(tmp_path: Path, *rounds: str) -> Path:
    """A real editor: round N runs the shell commands ``rounds[N]`` on the file ("$1"); every
    round first copies what it was shown to ``tmp_path/shown-N.toml``. Past the last round it
    leaves the file as it is."""
    script = tmp_path / "editor.sh"
    cases = "\n".join(f"  {n}) {commands} ;;" for n, commands in enumerate(rounds))
    script.write_text(
        f"""#!/bin/sh
set -e
dir={str(tmp_path)!r}
n=$(cat "$dir/rounds" 2>/dev/null || echo 0)
echo $((n + 1)) > "$dir/rounds"
cp "$1" "$dir/shown-$n.toml"
case $n in
{cases}
esac
"""
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def rounds(tmp_path: Path) -> int:
    file = tmp_path / "rounds"
    return int(file.read_text()) if file.exists() else 0


async def save(pilot: Pilot[None], **values: str) -> None:
    """Fill the open form with ``values`` and save it (ctrl+s)."""
    await fill(pilot, **values)
    await press(pilot, "ctrl+s")


async def ask_delete(pilot: Pilot[None], key: str) -> str:
    """Put the cursor on ``key`` and press d: the confirmation's message (left open)."""
    app = pilot.app
    assert isinstance(app, NodekeeperApp)
    put_cursor(app, key)
    await press(pilot, "d")
    assert isinstance(app.screen, ConfirmModal), type(app.screen).__name__
    return app.screen.message.plain
