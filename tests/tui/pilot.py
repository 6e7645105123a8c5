"""What the TUI tests share: a real SQLite file store, a headless run, waiting for conditions.

Neither pytest-asyncio nor anyio is a dependency: each test plays its scenario with asyncio.run.
After a key, tests wait for a condition, never for a fixed number of rounds or a fixed time:
``settle`` until the console is quiet (every section mounted, no worker running, no section
waiting to mount), ``until`` for what a timer or another thread brings about. Editors are real
scripts written into tmp_path.
"""

from __future__ import annotations

import asyncio
import inspect
import stat
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.css.query import NoMatches
from textual.pilot import Pilot
from textual.widgets import Input, Select, TextArea
from textual.worker import WorkerState

from core import Store
from tui.app import NodekeeperApp
from tui.screens.resource import ResourceSection
from tui.widgets.confirm import ConfirmModal
from tui.widgets.form import FormModal

if TYPE_CHECKING:  # pytest: not needed by screenshots/make_screenshots.py, which uses settle
    import pytest

FINGERPRINT = "ab" * 32
Scenario = Callable[[Pilot[None]], Awaitable[None]]
TIMEOUT = 30.0  # seconds: generous, for a loaded machine; a wait that passes returns at once
POLL = 0.01  # seconds between two looks at a condition


def drive(app: NodekeeperApp, scenario: Scenario, *, size: tuple[int, int] = (120, 36)) -> None:
    """Run the app headless, wait for its first load, then play ``scenario``."""

    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await scenario(pilot)

    asyncio.run(main())


async def until(
    pilot: Pilot[None], predicate: Callable[[], object], timeout: float = TIMEOUT, *, what: str = ""
) -> None:
    """Wait until ``predicate()`` is true, letting the app run; after ``timeout`` seconds fail
    naming what was waited for (``what``, or the predicate's source)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:g} s in vain for {what or _source(predicate)}")
        await pilot.pause(POLL)


def _source(predicate: Callable[[], object]) -> str:
    try:
        return inspect.getsource(predicate).strip()
    except (OSError, TypeError):
        return repr(predicate)


def quiet(app: NodekeeperApp) -> bool:
    """Whether the console has nothing under way: no key typed left to handle, every section
    mounted (the hidden ones mount just after the first frame), no section waiting to be, no
    worker pending or running."""
    try:
        mounted = all(app.section(name).is_mounted for name in app.sections)
    except NoMatches:
        mounted = False
    busy = (WorkerState.PENDING, WorkerState.RUNNING)
    return (
        mounted
        and not app.keys_pending  # a burst typed ahead: its keys are handled one by one
        and not app.pending_section_waits
        and not any(worker.state in busy for worker in app.workers)
    )


async def settle(pilot: Pilot[None]) -> None:
    """Wait until the console is quiet, and still quiet once the messages in flight (a worker's
    result, a TabActivated) are handled: they may start the next read."""
    app = pilot.app
    assert isinstance(app, NodekeeperApp)
    deadline = time.monotonic() + TIMEOUT
    while True:
        left = max(0.0, deadline - time.monotonic())
        await until(pilot, lambda: quiet(app), left, what=f"a quiet console ({TIMEOUT:g} s)")
        await pilot.pause()
        if quiet(app):
            return


async def press(pilot: Pilot[None], *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


def app_on(store: Store, section: str, **kwargs: Any) -> NodekeeperApp:
    """The console opened on ``section``, no background refresh (tests refresh with r)."""
    kwargs.setdefault("refresh_every", None)
    return NodekeeperApp(store, section=section, **kwargs)


def section(app: NodekeeperApp) -> ResourceSection:
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


def count_checks(monkeypatch: pytest.MonkeyPatch, sec: ResourceSection) -> list[None]:
    """One item per change check of ``sec`` from now on: a timed refresh's first step, read
    or not, so that a test sees the real timer fire (the checks still run)."""
    checks: list[None] = []
    revision = sec.revision
    monkeypatch.setattr(sec, "revision", lambda: checks.append(None) or revision())
    return checks


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
