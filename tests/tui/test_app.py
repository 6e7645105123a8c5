"""The console, driven through Textual's pilot against a real SQLite file store.

Neither pytest-asyncio nor anyio is a dependency: each test runs its scenario with asyncio.run.
After a key that loads, tests wait for the load worker and then let the screen settle.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Header, TabbedContent

import core
from core import ImageInfo, Store
from tui.app import NodekeeperApp
from tui.widgets.containers_panel import container_networks
from tui.widgets.format import human_size
from tui.widgets.safe import escape_control, plain

FINGERPRINT = "ab" * 32
Scenario = Callable[[Pilot[None]], Awaitable[None]]


def drive(app: NodekeeperApp, scenario: Scenario, *, size: tuple[int, int] = (120, 30)) -> None:
    """Run the app headless, wait for its first load, then play ``scenario``."""

    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await loaded(pilot)
            await scenario(pilot)

    asyncio.run(main())


async def loaded(pilot: Pilot[None]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def table(app: NodekeeperApp, section: str) -> DataTable:
    return app.panel(section).table


def row(app: NodekeeperApp, section: str, key: str) -> list[str]:
    return [cell.plain for cell in table(app, section).get_row(key)]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "nk.db"


@pytest.fixture
def empty_store(db: Path) -> Iterator[Store]:
    store = core.open_store(db)
    yield store
    store.close()


@pytest.fixture
def store(empty_store: Store) -> Store:
    """Two profiles, two containers, one image."""
    s = empty_store
    s.profiles.create(
        "default",
        description="Default profile",
        config={"limits.cpu": "2", "limits.memory": "1GiB"},
        devices={
            "root": {"type": "disk", "path": "/", "pool": "default"},
            "eth0": {"type": "nic", "network": "lxdbr0"},
        },
    )
    s.profiles.create("gpu", description="", devices={"gpu0": {"type": "gpu"}})
    s.images.create(
        ImageInfo(
            fingerprint=FINGERPRINT,
            filename="x.tar.xz",
            size=123,
            architecture="x86_64",
            aliases={"ubuntu": ""},
        )
    )
    s.containers.create(
        "web1",
        power_state="running",
        profiles=["default", "gpu"],
        devices={
            "eth0": {"type": "nic", "network": "br0"},
            "eth1": {"type": "nic", "nictype": "macvlan", "parent": "enp3s0"},
            "data": {"type": "disk", "path": "/srv", "source": "/tank"},
        },
        config={"volatile.base_image": FINGERPRINT},
    )
    s.containers.create("db1", architecture="aarch64", profiles=["default"])
    return s


def test_the_three_tables_show_the_seeded_rows(store: Store) -> None:
    app = NodekeeperApp(store)

    async def scenario(pilot: Pilot[None]) -> None:
        assert table(app, "containers").row_count == 2
        assert row(app, "containers", "web1") == [
            "web1", "running", "x86_64", "default, gpu", "br0, enp3s0", FINGERPRINT[:12],
        ]  # fmt: skip
        # db1's only nic comes from its profile; web1's own eth0 replaces the profile's.
        assert row(app, "containers", "db1") == [
            "db1", "stopped", "aarch64", "default", "lxdbr0", "",
        ]  # fmt: skip

        assert table(app, "profiles").row_count == 2
        assert row(app, "profiles", "default") == [
            "default", "Default profile", "2", "eth0, root", "2",
        ]  # fmt: skip
        assert row(app, "profiles", "gpu") == ["gpu", "", "0", "gpu0", "1"]

        assert table(app, "images").row_count == 1
        fingerprint, aliases, arch, size, public, uploaded = row(app, "images", FINGERPRINT)
        assert (fingerprint, aliases, arch, size, public) == (
            FINGERPRINT[:12], "ubuntu", "x86_64", "123 B", "no",
        )  # fmt: skip
        uploaded_at = store.images.get(FINGERPRINT).upload_date
        assert uploaded == uploaded_at.strftime("%Y-%m-%d %H:%M")

    drive(app, scenario)


def test_number_keys_switch_sections(store: Store) -> None:
    app = NodekeeperApp(store)

    async def scenario(pilot: Pilot[None]) -> None:
        tabs = app.query_one(TabbedContent)
        assert tabs.active == "containers"
        assert app.focused is table(app, "containers")
        for key, section in (("2", "profiles"), ("3", "images"), ("1", "containers")):
            await pilot.press(key)
            await pilot.pause()
            assert tabs.active == section
            assert app.focused is table(app, section)
            assert table(app, section).region.height > 0  # it is the one on screen

    drive(app, scenario)


def test_clicking_a_tab_switches_section(store: Store) -> None:
    app = NodekeeperApp(store)

    async def scenario(pilot: Pilot[None]) -> None:
        tabs = app.query_one(TabbedContent)
        assert await pilot.click(tabs.get_tab("images"))
        await pilot.pause()
        assert tabs.active == "images"

    drive(app, scenario)


def test_r_picks_up_a_container_created_after_start(store: Store) -> None:
    app = NodekeeperApp(store)

    async def scenario(pilot: Pilot[None]) -> None:
        assert "app1" not in table(app, "containers").rows
        store.containers.create("app1", profiles=["gpu"])
        await pilot.press("r")
        await loaded(pilot)
        assert row(app, "containers", "app1")[:4] == ["app1", "stopped", "x86_64", "gpu"]
        assert row(app, "profiles", "gpu")[-1] == "2"  # used by web1 and app1

    drive(app, scenario)


def test_refresh_keeps_the_cursor_on_the_same_container(store: Store) -> None:
    app = NodekeeperApp(store)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("down")  # db1 -> web1
        containers = table(app, "containers")
        assert containers.get_row_at(containers.cursor_row)[0].plain == "web1"
        store.containers.create("aaa", profiles=[])  # sorts first, shifts web1 down
        await pilot.press("r")
        await loaded(pilot)
        assert containers.get_row_at(containers.cursor_row)[0].plain == "web1"

    drive(app, scenario)


def test_the_store_is_read_off_the_main_thread(store: Store, monkeypatch) -> None:
    readers: list[int] = []
    list_containers = store.containers.list

    def spy(**kwargs):
        readers.append(threading.get_ident())
        return list_containers(**kwargs)

    monkeypatch.setattr(store.containers, "list", spy)
    app = NodekeeperApp(store)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("r")
        await loaded(pilot)
        assert len(readers) == 2
        assert threading.get_ident() not in readers

    drive(app, scenario)


def test_markup_in_a_description_is_shown_literally(store: Store) -> None:
    store.profiles.create("marked", description="[b]x[/b] [link=http://evil]y[/link] :smile:")
    store.containers.create("c1", config={"volatile.base_image": "[red]bad[/]"})
    app = NodekeeperApp(store)

    async def scenario(pilot: Pilot[None]) -> None:
        cell = table(app, "profiles").get_cell("marked", "description")
        assert cell.plain == "[b]x[/b] [link=http://evil]y[/link] :smile:"
        assert cell.spans == [] and not cell.style  # no bold, no link, no emoji
        image = table(app, "containers").get_cell("c1", "image")
        assert image.plain == "[red]bad[/]"
        assert image.spans == []

    drive(app, scenario)


def test_control_characters_are_shown_escaped(store: Store) -> None:
    store.profiles.create("ctl", description="a\x1b[31mred\x07\nnext\u202eevil")
    app = NodekeeperApp(store)

    async def scenario(pilot: Pilot[None]) -> None:
        cell = table(app, "profiles").get_cell("ctl", "description")
        assert cell.plain == "a\\x1b[31mred\\x07\\nnext\\u202eevil"

    drive(app, scenario)


def test_the_header_shows_the_host_and_the_database(store: Store, db: Path) -> None:
    app = NodekeeperApp(store)

    async def scenario(pilot: Pilot[None]) -> None:
        shown = app.query_one(Header).format_title().plain
        assert socket.gethostname() in shown
        assert str(db) in shown
        assert "read-only" not in shown

    drive(app, scenario)


def test_the_header_says_when_the_database_is_read_only(store: Store, db: Path) -> None:
    with core.open_store(db, read_only=True) as read_only:
        app = NodekeeperApp(read_only)

        async def scenario(pilot: Pilot[None]) -> None:
            shown = app.query_one(Header).format_title().plain
            assert shown.endswith(f"{db} (read-only)")
            assert table(app, "containers").row_count == 2  # reading still works

        drive(app, scenario)


def test_an_empty_store_shows_empty_tables_with_a_hint(empty_store: Store) -> None:
    app = NodekeeperApp(empty_store)

    async def scenario(pilot: Pilot[None]) -> None:
        for section in ("containers", "profiles", "images"):
            panel = app.panel(section)
            assert panel.table.row_count == 0
            assert len(panel.table.columns) > 0
        hint = app.panel("containers").hint
        assert hint.display and hint.region.height > 0
        assert "No containers." in str(hint.render())
        assert "nodekeeper import-lxc DIR" in str(hint.render())

    drive(app, scenario)


def test_the_hint_is_hidden_once_rows_exist(empty_store: Store) -> None:
    app = NodekeeperApp(empty_store)

    async def scenario(pilot: Pilot[None]) -> None:
        hint = app.panel("containers").hint
        assert hint.region.height > 0
        empty_store.containers.create("c1")
        await pilot.press("r")
        await loaded(pilot)
        assert hint.region.height == 0
        assert app.panel("images").hint.display  # still empty there

    drive(app, scenario)


def test_a_store_error_while_loading_is_a_notification(store: Store, db: Path) -> None:
    app = NodekeeperApp(store)
    notes: list[tuple[str, str]] = []
    notify = app.notify

    def record(message: str, **kwargs) -> None:
        notes.append((message, kwargs.get("severity", "information")))
        notify(message, **kwargs)

    app.notify = record  # type: ignore[method-assign]

    async def scenario(pilot: Pilot[None]) -> None:
        assert table(app, "containers").row_count == 2
        store.engine.dispose()  # drop pooled connections, then break the file under them
        for file in db.parent.glob(db.name + "*"):
            file.unlink()
        db.write_bytes(b"not a database " * 100)
        await pilot.press("r")
        await loaded(pilot)
        assert notes == [(f"{db} is not a SQLite database", "error")]
        assert app.is_running  # no traceback, the console stays up
        assert table(app, "containers").row_count == 2  # the last good data stays shown

    drive(app, scenario)


def test_an_unexpected_error_while_loading_is_a_notification_too(
    store: Store, db: Path, monkeypatch
) -> None:
    app = NodekeeperApp(store)
    notes: list[str] = []
    monkeypatch.setattr(app, "notify", lambda message, **kwargs: notes.append(message))

    def broken() -> None:
        raise RuntimeError("disk on fire\x1b[2J")

    async def scenario(pilot: Pilot[None]) -> None:
        monkeypatch.setattr(store.images, "list", broken)
        await pilot.press("r")
        await loaded(pilot)
        assert notes == [f"cannot read {db}: disk on fire\\x1b[2J"]
        assert app.is_running

    drive(app, scenario)


def test_plain_text_cells_escape_control_and_ignore_markup() -> None:
    assert plain("[b]x[/b]").plain == "[b]x[/b]"
    assert plain("[b]x[/b]").spans == []
    assert plain("\x1b").plain == "\\x1b"
    assert plain(None).plain == ""
    assert plain(3).plain == "3"
    assert escape_control("tab\there\r\x00\x7f\x9b") == "tab\\there\\r\\x00\\x7f\\x9b"
    assert escape_control("héllo wörld ✓") == "héllo wörld ✓"


def test_a_profile_missing_from_the_snapshot_falls_back_to_the_containers_own_nics() -> None:
    container = core.ContainerInfo(
        name="c1",
        architecture="x86_64",
        profiles=["deleted-meanwhile"],
        devices={"eth0": {"type": "nic", "parent": "enp3s0"}},
    )
    assert container_networks(container, {}) == ["enp3s0"]


@pytest.mark.parametrize(
    ("size", "shown"),
    [(0, "0 B"), (1023, "1023 B"), (1024, "1.0 KiB"), (1536, "1.5 KiB"), (5 * 1024**3, "5.0 GiB")],
)
def test_sizes_are_human_readable(size: int, shown: str) -> None:
    assert human_size(size) == shown
