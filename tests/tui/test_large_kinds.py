"""A large kind's section (``Kind.large``): its rows come from ``read_columns``, whose items
lack what only the detail and the documents need; the detail pane, the form and the delete
plan read the highlighted resource whole with ``Kind.get``. The kind here is the containers'
own, declared large, its listed items without their config: what the section shows of the
config can only come from reading the resource whole."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import replace
from typing import Any

import pytest
from textual.pilot import Pilot

from core import Store, StoreError
from core.kinds.base import Listing
from core.kinds.containers import ContainersKind
from tui.app import SECTIONS, Section, _resources
from tui.screens.kind_rows import KindRows
from tui.screens.resource import FIRST_MARGIN

from .pilot import (
    app_on,
    ask_delete,
    cells,
    detail,
    drive,
    form,
    notes,
    press,
    put_cursor,
    section,
    settle,
    shown,
    until,
)


class ColumnsOnly(ContainersKind):
    """Containers as a large kind: listed without their config; ``get`` reads one whole (and
    notes on which thread; with ``gate`` set it waits for it first)."""

    large = True

    def __init__(self) -> None:
        self.readers: list[int] = []
        self.gate: threading.Event | None = None

    def read_columns(self, store: Store, **filters: Any) -> Listing[Any]:
        listing = self.read(store, **filters)
        items = {key: replace(item, config={}) for key, item in listing.items.items()}
        return Listing(items, listing.context)

    def get(self, store: Store, name: str, scope: str | None = None):
        self.readers.append(threading.get_ident())
        if self.gate is not None:
            self.gate.wait(10)
        return super().get(store, name, scope)


@pytest.fixture
def kind(monkeypatch: pytest.MonkeyPatch) -> ColumnsOnly:
    """The containers section, of the large kind."""
    large = ColumnsOnly()
    monkeypatch.setitem(SECTIONS, "containers", Section("Containers", _resources(large)))
    return large


def test_the_detail_pane_reads_the_highlighted_resource_whole_off_the_main_thread(
    store: Store, kind: ColumnsOnly
) -> None:
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        assert section(app).data.items["web1"].config == {}  # type: ignore[union-attr]
        put_cursor(app, "web1")
        await settle(pilot)
        text = detail(app)
        assert text.startswith("web1\n")
        assert "Own config (2)" in text and "limits.cpu         4" in text
        assert kind.readers and threading.get_ident() not in kind.readers

    drive(app, scenario)


def test_until_it_is_read_the_pane_names_the_resource_and_never_shows_another(
    store: Store, kind: ColumnsOnly
) -> None:
    for n in range(10):
        store.containers.create(f"x{n}", config={"user.note": f"note {n}"})
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        assert detail(app).startswith("db1\n") and "Own config (0)" in detail(app)
        kind.gate = threading.Event()  # reads from now on wait for it
        await pilot.press("end")
        await pilot.pause()
        assert section(app).table.current_key == "x9"
        assert detail(app) == "x9\n  Reading it from the store…"
        kind.gate.set()
        await settle(pilot)
        assert detail(app).startswith("x9\n") and "user.note          note 9" in detail(app)

    drive(app, scenario)


def test_a_change_to_what_no_column_shows_is_in_the_detail_after_a_refresh(
    store: Store, kind: ColumnsOnly
) -> None:
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        put_cursor(app, "web1")
        await settle(pilot)
        rows = section(app).all_rows
        assert "limits.cpu         4" in detail(app)
        store.containers.update("web1", config={"limits.cpu": "8"})
        await press(pilot, "r")
        assert section(app).all_rows["web1"] is rows["web1"]  # the row shows the same...
        assert "limits.cpu         8" in detail(app)  # ...the detail the resource as it is now

    drive(app, scenario)


def test_a_resource_gone_from_the_store_says_so_and_the_rows_follow(
    store: Store, kind: ColumnsOnly
) -> None:
    for n in range(10):
        store.containers.create(f"x{n}")
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        store.containers.delete("x9")  # behind the console's back
        await press(pilot, "end")  # x9, still listed: reading it finds it gone
        assert "x9" not in shown(app)  # the section read the store again
        assert section(app).table.current_key == "x8"
        assert detail(app).startswith("x8\n") and "Own config (0)" in detail(app)

    drive(app, scenario)


def test_e_fills_the_form_from_the_resource_read_whole(store: Store, kind: ColumnsOnly) -> None:
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        put_cursor(app, "web1")
        await press(pilot, "e")
        modal = form(app)
        assert "limits.cpu = 4" in modal.raw("config")  # not in the listed item: read whole
        modal.widget("power_state").value = "stopped"  # type: ignore[attr-defined]
        await press(pilot, "ctrl+s")
        assert cells(app, "web1")[1] == "stopped"

    drive(app, scenario)
    web1 = store.containers.get("web1")
    assert web1.power_state == "stopped" and web1.config["limits.cpu"] == "4"  # config kept


def test_an_edit_form_still_refuses_to_overwrite_a_change_made_meanwhile(
    store: Store, kind: ColumnsOnly
) -> None:
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        put_cursor(app, "web1")
        await press(pilot, "e")
        store.containers.update("web1", config={"limits.cpu": "16"})  # another admin
        form(app).widget("power_state").value = "stopped"  # type: ignore[attr-defined]
        await press(pilot, "ctrl+s")
        assert "changed in the store since this form opened" in form(app).errors[""]

    drive(app, scenario)
    assert store.containers.get("web1").config == {"limits.cpu": "16"}


def test_d_names_what_goes_from_the_resource_read_whole(store: Store, kind: ColumnsOnly) -> None:
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        message = await ask_delete(pilot, "web1")
        assert "2 config keys, 3 devices, its use of the profiles default, gpu" in message
        await press(pilot, "y")
        assert shown(app) == ["db1"]
        assert notes(app)[-1] == "Deleted container 'web1'."

    drive(app, scenario)


def test_the_table_builds_lines_for_the_rows_it_draws_only(
    store: Store, kind: ColumnsOnly, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(300):
        store.containers.create(f"extra-{n:03}", profiles=["default"])
    drawn: list[str] = []
    drawn_of = KindRows.drawn
    monkeypatch.setattr(
        KindRows, "drawn", lambda rows, key: drawn.append(key) or drawn_of(rows, key)
    )
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        table = section(app).table
        assert table.row_count == 302
        on_screen = table.scrollable_content_region.height - 1
        assert 0 < len(set(drawn)) <= on_screen  # not 302 rows
        drawn.clear()
        section(app).filter_input.value = "extra-1"  # 100 rows shown: those on screen drawn
        await settle(pilot)
        assert table.row_count == 100 and len(set(drawn)) <= on_screen

    drive(app, scenario)


def gated_whole_read(
    store: Store, kind: ColumnsOnly, monkeypatch: pytest.MonkeyPatch, *, fails: bool
) -> tuple[list[str], threading.Event]:
    """300 more containers, and the kind's whole read held until the gate opens, then read
    (or failing, ``fails``): the names in the table's order, and the gate."""
    for n in range(300):
        store.containers.create(f"extra-{n:03}", profiles=["default"])
    gate = threading.Event()
    read_columns = kind.read_columns

    def gated(store: Store, **filters: Any) -> Listing[Any]:
        gate.wait(10)
        if fails:
            raise StoreError("database is locked")
        return read_columns(store, **filters)

    monkeypatch.setattr(kind, "read_columns", gated)
    return sorted(store.containers.names(), key=str.casefold), gate


def test_the_first_screen_of_rows_is_shown_before_the_whole_read(
    store: Store, kind: ColumnsOnly, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first rows by name (a screenful and a margin) come at once, with how many there are
    in all; the whole snapshot, read meanwhile, replaces them and keeps the cursor."""
    names, gate = gated_whole_read(store, kind, monkeypatch, fails=False)
    app = app_on(store, "containers")

    async def main() -> None:
        async with app.run_test(size=(120, 36)) as pilot:
            await until(pilot, lambda: app.resources("containers").table.row_count > 0)
            found = app.resources("containers")
            first = 36 + FIRST_MARGIN
            assert shown(app) == names[:first] and found.loads == 0
            status = str(found.query_one("#status").render())
            assert status.startswith("Containers 302 · sort Name ▲ · reading…"), status
            found.table.move_cursor(5)
            found.action_edit()  # not on rows of a read still under way
            await pilot.pause()
            assert notes(app)[-1].startswith("Still reading the store")
            gate.set()
            await settle(pilot)
            assert shown(app) == names and found.loads == 1
            assert found.table.current_key == names[5]
            assert "reading" not in str(found.query_one("#status").render())

    asyncio.run(main())


def test_when_the_whole_read_fails_the_first_rows_say_so_and_r_reads_again(
    store: Store, kind: ColumnsOnly, monkeypatch: pytest.MonkeyPatch
) -> None:
    read_columns = kind.read_columns
    names, gate = gated_whole_read(store, kind, monkeypatch, fails=True)
    app = app_on(store, "containers")

    async def main() -> None:
        async with app.run_test(size=(120, 36)) as pilot:
            await until(pilot, lambda: app.resources("containers").table.row_count > 0)
            found = app.resources("containers")
            gate.set()
            await until(pilot, lambda: any("database is locked" in n for n in notes(app)))
            await settle(pilot)
            status = str(found.query_one("#status").render())
            assert status.startswith("Containers 302 · sort Name ▲ · first rows only"), status
            assert shown(app) == names[: 36 + FIRST_MARGIN]
            found.action_edit()
            await pilot.pause()
            assert notes(app)[-1].startswith("Only the first rows could be read")
            monkeypatch.setattr(kind, "read_columns", read_columns)
            await pilot.press("r")
            await until(pilot, lambda: found.loads == 1)
            await settle(pilot)
            assert shown(app) == names
            assert "first rows" not in str(found.query_one("#status").render())

    asyncio.run(main())
