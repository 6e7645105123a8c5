"""The console's shell: sections, header, footer, help, command palette, read-only, safety.

Every test drives the real App through Textual's pilot against a real SQLite file store filled
through core's API (see ``pilot.py``).
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest
from textual import events
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import Header, Select, Static, TabbedContent
from textual.widgets._select import SelectCurrent

import core
import tui.app
from core import ReadOnly, Store
from core.cli import build_parser
from tui.app import SECTIONS, NodekeeperApp
from tui.screens.dashboard import DashboardView
from tui.screens.help import HelpScreen
from tui.widgets.confirm import ConfirmModal
from tui.widgets.form import FormModal
from tui.widgets.safe import escape_control, plain

from .pilot import (
    app_on,
    cells,
    count_checks,
    detail,
    drive,
    editor_script,
    notes,
    press,
    put_cursor,
    rounds,
    section,
    settle,
    shown,
    until,
)

EDIT_KEYS = ("n", "e", "E", "d")


def keys_in_force(app: NodekeeperApp) -> set[str]:
    return set(app.screen.active_bindings)


def keys_in_footer(app: NodekeeperApp) -> set[str]:
    return {key for key, active in app.screen.active_bindings.items() if active.binding.show}


# -- sections


def test_sections_are_numbered_in_the_order_of_the_issue() -> None:
    assert [info.label for info in SECTIONS.values()] == [
        "Dashboard", "Containers", "Profiles", "Images", "Services", "Users", "Certs", "Fleet",
        "Logs", "Threats",
    ]  # fmt: skip
    assert SECTIONS["certificates"].name == "Certificates"  # in the help and the palette


def test_the_console_opens_on_the_dashboard(store: Store) -> None:
    app = NodekeeperApp(store, refresh_every=None)

    async def scenario(pilot: Pilot[None]) -> None:
        assert app.active_id == "dashboard"
        assert isinstance(app.section("dashboard"), DashboardView)
        tabs = app.query_one(TabbedContent)
        labels = [str(tabs.get_tab(pane).label) for pane in app.sections]
        assert labels == ["1 Dashboard", "2 Containers", "3 Profiles", "4 Images", "5 Services",
                          "6 Users", "7 Certs", "9 Logs", "0 Threats"]  # fmt: skip
        assert "fleet" not in app.sections  # one node: no Fleet section (its 8 kept)

    drive(app, scenario)


def test_number_keys_switch_sections_and_load_them(store: Store) -> None:
    app = NodekeeperApp(store, refresh_every=None)

    async def scenario(pilot: Pilot[None]) -> None:
        tabs = app.query_one(TabbedContent)
        expected = {"2": ("containers", 2), "3": ("profiles", 2), "4": ("images", 1),
                    "5": ("services", 2), "6": ("users", 3)}  # fmt: skip
        for key, (name, rows) in expected.items():
            await press(pilot, key)
            assert tabs.active == name
            assert app.focused is section(app).table
            assert section(app).table.row_count == rows
            assert section(app).table.region.height > 0  # it is the one on screen
        await press(pilot, "1")
        assert tabs.active == "dashboard"

    drive(app, scenario)


@pytest.mark.parametrize("target", ["containers", "profiles"])
def test_a_section_asked_for_before_the_hidden_sections_mounted_is_still_shown(
    store: Store, target: str
) -> None:
    """The hidden sections mount just after the first frame (Lazy): a number key or a jump
    to a resource that comes first waits for its section instead of failing."""

    class Eager(NodekeeperApp):
        CSS_PATH = Path(tui.app.__file__).with_name("app.tcss")  # not beside this test

        def on_mount(self) -> None:
            super().on_mount()
            self.early = list(self.query(f"#section-{target} ResourceTable"))
            if target == "containers":
                self.action_show_section("containers")  # the key "2"
            else:
                self.jump_to("profiles", "gpu")  # the command palette's jump

    app = Eager(store, refresh_every=None)

    async def scenario(pilot: Pilot[None]) -> None:
        assert not app.early  # asked for before the section had its table
        assert app.active_id == target
        assert app.focused is section(app).table and section(app).table.row_count == 2
        if target == "profiles":
            assert section(app).table.current_key == "gpu"

    drive(app, scenario)


def test_a_key_typed_after_2_before_the_sections_mounted_acts_on_containers(
    store: Store,
) -> None:
    """ "2" then "n" read before the hidden sections mount: "n" waits for the Containers
    section "2" is still waiting for (a timer, no message) instead of finding no table."""

    class Early(NodekeeperApp):
        CSS_PATH = Path(tui.app.__file__).with_name("app.tcss")  # not beside this test

        def on_mount(self) -> None:
            super().on_mount()
            self.early = list(self.query("#section-containers ResourceTable"))
            for key in "2n":  # as the driver posts what it read at once
                self.post_message(events.Key(key, key))

    app = Early(store, refresh_every=None)

    async def scenario(pilot: Pilot[None]) -> None:
        assert not app.early  # the keys came before the section had its table
        assert isinstance(app.screen, FormModal), type(app.screen).__name__
        assert str(app.screen.title_text) == "New container"

    drive(app, scenario)


def test_number_keys_typed_in_one_burst_end_on_the_last(store: Store) -> None:
    """Keys read in one go (a fast typist, a paste, tmux send-keys) end on the section of the
    last: a late TabActivated of a section passed over must not switch back to it (focusing a
    hidden pane's table would)."""
    app = NodekeeperApp(store, refresh_every=None)

    async def scenario(pilot: Pilot[None]) -> None:
        for key in "2345":
            app.post_message(events.Key(key, key))  # as the driver posts what it read at once
        await settle(pilot)
        assert app.active_id == "services"
        assert app.focused is section(app).table and section(app).table.row_count == 2

    drive(app, scenario)


def test_clicking_a_tab_switches_section(store: Store) -> None:
    app = NodekeeperApp(store, refresh_every=None)

    async def scenario(pilot: Pilot[None]) -> None:
        tabs = app.query_one(TabbedContent)
        assert await pilot.click(tabs.get_tab("images"))
        await settle(pilot)
        assert tabs.active == "images"
        assert shown(app) == [section(app).table.current_key]  # loaded, cursor on the image

    drive(app, scenario)


def test_hidden_sections_are_not_read(store: Store) -> None:
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        assert app.resources("containers").loads == 1
        assert app.resources("services").loads == 0
        await press(pilot, "r")
        assert app.resources("containers").loads == 2
        assert app.resources("services").loads == 0

    drive(app, scenario)


def test_r_picks_up_a_container_created_after_start(store: Store) -> None:
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        assert "app1" not in shown(app)
        store.containers.create("app1", profiles=["gpu"])
        await press(pilot, "r")
        assert cells(app, "app1")[:4] == ["app1", "stopped", "x86_64", "gpu"]
        await press(pilot, "3")
        assert cells(app, "gpu")[1] == "2"  # used by web1 and app1

    drive(app, scenario)


def test_the_section_shown_refreshes_itself_on_a_timer_and_hidden_ones_do_not(
    store: Store, monkeypatch
) -> None:
    app = app_on(store, "containers", refresh_every=0.05)

    async def scenario(pilot: Pilot[None]) -> None:
        containers = app.resources("containers")
        store.containers.create("late")
        await until(pilot, lambda: "late" in shown(app))  # the timer fired and read
        assert containers.loads == 2
        await press(pilot, "3")
        profiles = count_checks(monkeypatch, app.resources("profiles"))
        store.containers.create("later")
        # The containers' timer was due before the profiles' first one: by their second, it
        # has fired, hidden.
        await until(pilot, lambda: len(profiles) >= 2)
        assert containers.loads == 2 and "later" not in containers.all_rows
        await press(pilot, "2")  # shown again: read at once, the store changed meanwhile
        assert "later" in shown(app) and containers.loads == 3

    drive(app, scenario)


def test_the_palette_offers_the_themes(store: Store) -> None:
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "ctrl+p", *"theme")
        prompts = [str(o.prompt) for o in app.screen.query_one("CommandList")._options]
        assert any(p.startswith("Theme") for p in prompts)
        await press(pilot, "escape")
        app.theme = "nord"  # a built-in theme; the console keeps working with it
        await press(pilot, "r")
        assert section(app).table.row_count == 2

    drive(app, scenario)


def test_the_store_is_read_off_the_main_thread(store: Store, monkeypatch) -> None:
    readers: list[int] = []
    list_containers = store.containers.summaries  # what the section lists

    def spy(**kwargs):
        readers.append(threading.get_ident())
        return list_containers(**kwargs)

    monkeypatch.setattr(store.containers, "summaries", spy)
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "r")
        # The first screen's rows (a large kind), the whole snapshot, then r's read.
        assert len(readers) == 3
        assert threading.get_ident() not in readers

    drive(app, scenario)


# -- header, footer, help


def test_the_header_shows_the_host_and_the_database(store: Store, db: Path) -> None:
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        shown_title = app.query_one(Header).format_title().plain
        assert socket.gethostname() in shown_title
        assert str(db) in shown_title
        assert "read-only" not in shown_title

    drive(app, scenario)


def test_the_header_says_when_the_database_is_read_only(store: Store, db: Path) -> None:
    with core.open_store(db, read_only=True) as read_only:
        app = app_on(read_only, "containers")

        async def scenario(pilot: Pilot[None]) -> None:
            shown_title = app.query_one(Header).format_title().plain
            assert shown_title.startswith("read-only · ") and shown_title.endswith(str(db))
            assert section(app).table.row_count == 2  # reading still works

        drive(app, scenario)


def test_the_footer_shows_the_bindings_in_force(store: Store) -> None:
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        table_keys = {"slash", "s", "n", "e", "E", "d"}
        assert table_keys | {"r", "question_mark", "q"} <= keys_in_force(app)
        footer = {b.binding.key for b in app.screen.active_bindings.values() if b.binding.show}
        assert {"slash", "s", "n", "e", "E", "d", "r", "q"} <= footer
        await press(pilot, "1")  # the dashboard has no table: those keys are not in force
        assert not table_keys & keys_in_force(app)
        assert {"r", "q", "question_mark", "2"} <= keys_in_force(app)

    drive(app, scenario)


@pytest.mark.parametrize("key", ["question_mark", "f1"])
def test_question_mark_and_f1_open_a_help_screen_listing_every_binding(
    store: Store, key: str
) -> None:
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, key)
        assert isinstance(app.screen, HelpScreen)
        text = help_text(app)
        for binding in NodekeeperApp.BINDINGS:
            if binding.action == "show_section('fleet')":  # type: ignore[union-attr]
                assert "go to Fleet" not in text  # one node: no Fleet section, no key for it
            elif binding.action == "all_nodes":  # type: ignore[union-attr]
                assert "on every node" not in text
            elif binding.action != "say_read_only":  # type: ignore[union-attr]
                assert HELP_LINE[binding.action] in text  # type: ignore[union-attr]
        for words in ("click a header", "Escape", "Ctrl+P", "$VISUAL"):
            assert words in text
        await press(pilot, "escape")
        assert not isinstance(app.screen, HelpScreen)

    drive(app, scenario)


def help_text(app: NodekeeperApp) -> str:
    return "\n".join(str(line.render()) for line in app.screen.query("#help-body Static"))


HELP_LINE = {
    **{f"show_section('{s}')": f"go to {info.name}" for s, info in SECTIONS.items()},
    "filter": "filter the rows", "sort": "sort by the next column", "new": "create a resource",
    "sort_reverse": "reverse the order of the sorted column",
    "edit": "edit the highlighted resource", "edit_document": "TOML document in $VISUAL",
    "delete": "delete it, once confirmed", "reload": "refresh the section now",
    "help": "this help", "quit": "quit",
}  # fmt: skip


# -- command palette


@pytest.mark.parametrize(
    ("query", "section_id", "key"),
    [
        ("db1", "containers", "db1"),
        ("profile gpu", "profiles", "gpu"),
        ("ubuntu", "images", "ab" * 32),
        ("svc2", "services", "svc2"),
        ("user admin", "users", '["admin"]\tsvc1'),
    ],
)
def test_the_command_palette_jumps_to_a_resource_by_name(
    store: Store, query: str, section_id: str, key: str
) -> None:
    app = NodekeeperApp(store, refresh_every=None)

    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await press(pilot, *query)
        await press(pilot, "enter")
        assert app.active_id == section_id
        assert section(app).table.current_key == key
        assert section(app).table.has_focus

    drive(app, scenario)


def test_the_palette_clears_a_filter_that_hides_the_resource(store: Store) -> None:
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "slash", *"web")
        assert shown(app) == ["web1"]
        app.jump_to("containers", "db1")
        await settle(pilot)
        assert section(app).table.current_key == "db1"
        assert section(app).filter_text == ""

    drive(app, scenario)


# -- read-only


@pytest.mark.parametrize("how", ["read-only store", "--read-only flag"])
def test_read_only_hides_the_edit_bindings_and_pressing_them_changes_nothing(
    store: Store, db: Path, tmp_path: Path, monkeypatch, how: str
) -> None:
    monkeypatch.setenv("EDITOR", str(editor_script(tmp_path, 'echo changed >> "$1"')))
    monkeypatch.delenv("VISUAL", raising=False)
    opened = core.open_store(db, read_only=True) if how == "read-only store" else store
    app = app_on(opened, "containers", read_only=how == "--read-only flag")

    async def scenario(pilot: Pilot[None]) -> None:
        in_footer = keys_in_footer(app)
        assert not {"n", "e", "E", "d"} & in_footer
        assert {"slash", "s", "r"} <= in_footer  # reading goes on
        for number in "23456":
            await press(pilot, number)
            for key in EDIT_KEYS:
                await press(pilot, key)
                assert not isinstance(app.screen, FormModal | ConfirmModal)
        assert rounds(tmp_path) == 0  # the editor never ran
        assert "read-only" in str(app.query_one("#section-users #status").render())

    try:
        drive(app, scenario)
    finally:
        if opened is not store:
            opened.close()
    assert [c.name for c in store.containers.list()] == ["db1", "web1"]
    assert store.containers.get("web1").config["limits.cpu"] == "4"


def test_a_read_only_store_refuses_writes_in_core_as_well(store: Store, db: Path) -> None:
    with core.open_store(db, read_only=True) as read_only, pytest.raises(ReadOnly):
        read_only.containers.delete("web1")


# -- the background collector and the command line


def test_the_background_collector_runs_while_the_console_is_open(store: Store) -> None:
    app = app_on(store, "containers", collect=True)

    async def scenario(pilot: Pilot[None]) -> None:
        await settle(pilot)
        assert app.collector is not None and app.collector.alive

    drive(app, scenario)
    assert not app.collector.alive  # stopped when the console closed
    assert app.collector.error is None


def test_a_background_collector_that_stops_by_itself_says_why(store: Store) -> None:
    from core.collect.lock import collector_lock

    app = app_on(store, "containers", collect=True)

    async def scenario(pilot: Pilot[None]) -> None:
        # Its thread ends at once, the lock being taken, and says why from there.
        await until(pilot, lambda: app.collector is not None and not app.collector.alive)
        await until(pilot, lambda: notes(app))
        assert app.collector is not None and app.collector.error
        assert any("another collector" in note for note in notes(app))

    with collector_lock(store):  # as a `nodekeeper collect` starting at the same moment would
        drive(app, scenario)


@pytest.mark.parametrize("how", ["--no-collect", "read-only"])
def test_no_collector_with_no_collect_or_read_only(store: Store, db: Path, how: str) -> None:
    opened = core.open_store(db, read_only=True) if how == "read-only" else store
    app = app_on(opened, "containers", collect=how != "--no-collect")

    async def scenario(pilot: Pilot[None]) -> None:
        await settle(pilot)
        assert app.collector is None

    drive(app, scenario)
    if opened is not store:
        opened.close()


def test_the_command_line_passes_read_only_no_collect_and_refresh_to_the_console(
    db: Path, monkeypatch
) -> None:
    import tui.app
    from core import cli

    core.open_store(db).close()
    calls: list[tuple[bool, bool, bool, float | None]] = []
    monkeypatch.setattr(
        tui.app, "run", lambda s, *, read_only, collect, refresh: calls.append(
            (s.read_only, read_only, collect, refresh))
    )  # fmt: skip
    monkeypatch.setattr(cli, "_streams_without_terminal", list)  # pytest's stdin is not a terminal
    assert cli.main(["--db", str(db)]) == 0
    assert cli.main(["--db", str(db), "--read-only", "--no-collect", "--refresh", "1"]) == 0
    assert calls == [(False, False, True, None), (True, True, False, 1.0)]
    assert build_parser().parse_args(["--no-collect"]).no_collect


@pytest.mark.parametrize("seconds", ["0", "-1", "soon", "7200"])
def test_a_refresh_period_out_of_range_is_refused(seconds: str, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["--refresh", seconds])
    assert exc.value.code == 2
    assert f"argument --refresh: {seconds!r}" in capsys.readouterr().err


def test_the_dashboard_rounds_follow_dashboard_every(store: Store) -> None:
    app = app_on(store, "dashboard", dashboard_every=0.5)

    async def scenario(pilot: Pilot[None]) -> None:
        view = app.section("dashboard")
        assert isinstance(view, DashboardView) and view.interval == 0.5
        await until(pilot, lambda: view._timer is not None)  # set when the first round ends
        assert view._timer is not None and view._timer._interval == 0.5

    drive(app, scenario)


# -- safety: store text is text


def test_markup_in_store_text_is_shown_literally(store: Store) -> None:
    store.profiles.create("marked", description="[b]x[/b] [link=http://evil]y[/link] :smile:")
    store.services.create("[b]x[/b]", service="a.service", path="[red]p[/red]")
    store.users.bind(["[i]claim[/i]"], "[b]x[/b]", storage_folder="[u]/srv[/u]")
    store.containers.create("c1", config={"user.note": "[red]bad[/]"})
    app = app_on(store, "profiles")

    async def scenario(pilot: Pilot[None]) -> None:
        cell = section(app).table.get_cell("marked", "description")
        assert cell.plain == "[b]x[/b] [link=http://evil]y[/link] :smile:"
        assert not cell.style  # no bold, no link, no emoji
        row = section(app).table.render_line(1 + shown(app).index("marked")).text
        assert "[b]x[/b] [link=http://evil]y[/link] :smile:" in row  # drawn as it is
        put_cursor(app, "marked")
        await settle(pilot)
        assert "[b]x[/b] [link=http://evil]y[/link] :smile:" in detail(app)
        await press(pilot, "5")
        assert cells(app, "[b]x[/b]")[0] == "[b]x[/b]"
        put_cursor(app, "[b]x[/b]")
        await settle(pilot)
        assert detail(app).startswith("[b]x[/b]\n")
        assert "[red]p[/red]" in detail(app)
        await press(pilot, "ctrl+p", *"[b]")  # the palette shows it literally too
        prompts = [str(o.prompt) for o in app.screen.query_one("CommandList")._options]
        assert any("service [b]x[/b]" in p for p in prompts)
        await press(pilot, "escape", "6")
        key = '["[i]claim[/i]"]\t[b]x[/b]'
        assert cells(app, key)[:2] == ['["[i]claim[/i]"]', "[b]x[/b]"]
        put_cursor(app, key)
        await settle(pilot)
        assert detail(app).startswith('["[i]claim[/i]"]\n') and "[u]/srv[/u]" in detail(app)
        await press(pilot, "2")
        put_cursor(app, "c1")
        await settle(pilot)
        assert "user.note          [red]bad[/]" in detail(app)
        await press(pilot, "6", "n")  # a form's list of services shows them literally too
        select = app.screen.query_one("#field-service", Select)
        select.value = "[b]x[/b]"
        await settle(pilot)
        current = select.query_one(SelectCurrent).query_one("#label", Static)
        assert current.render().plain == "[b]x[/b]"  # type: ignore[union-attr]

    drive(app, scenario)


def test_control_characters_are_shown_escaped(store: Store) -> None:
    store.profiles.create("ctl", description="a\x1b[31mred\x07\nnext\u202eevil")
    app = app_on(store, "profiles")

    async def scenario(pilot: Pilot[None]) -> None:
        cell = section(app).table.get_cell("ctl", "description")
        assert cell.plain == "a\\x1b[31mred\\x07\\nnext\\u202eevil"
        put_cursor(app, "ctl")
        await settle(pilot)
        assert "a\\x1b[31mred\\x07\\nnext\\u202eevil" in detail(app)
        assert "\x1b" not in detail(app)

    drive(app, scenario)


def test_plain_text_cells_escape_control_and_ignore_markup() -> None:
    assert plain("[b]x[/b]").plain == "[b]x[/b]"
    assert plain("[b]x[/b]").spans == []
    assert plain("\x1b").plain == "\\x1b"
    assert plain(None).plain == ""
    assert plain(3).plain == "3"
    assert escape_control("tab\there\r\x00\x7f\x9b") == "tab\\there\\r\\x00\\x7f\\x9b"
    assert escape_control("héllo wörld ✓") == "héllo wörld ✓"


# -- errors while reading


def test_a_store_error_while_loading_is_a_notification(store: Store, db: Path) -> None:
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        assert section(app).table.row_count == 2
        store.engine.dispose()  # drop pooled connections, then break the file under them
        for file in db.parent.glob(db.name + "*"):
            file.unlink()
        db.write_bytes(b"not a database " * 100)
        await press(pilot, "r")
        assert notes(app) == [f"{db} is not a SQLite database"]
        assert app.is_running  # no traceback, the console stays up
        assert section(app).table.row_count == 2  # the last good data stays shown

    drive(app, scenario)


def test_an_unexpected_error_while_loading_is_a_notification_too(
    store: Store, db: Path, monkeypatch
) -> None:
    app = app_on(store, "images")

    def broken() -> None:
        raise RuntimeError("disk on fire\x1b[2J")

    async def scenario(pilot: Pilot[None]) -> None:
        monkeypatch.setattr(store.images, "list", broken)
        await press(pilot, "r")
        assert notes(app) == [f"cannot read {db}: disk on fire\\x1b[2J"]
        assert app.is_running

    drive(app, scenario)


def test_an_empty_store_shows_empty_tables_with_a_hint(empty_store: Store) -> None:
    app = app_on(empty_store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        for number, name in zip("234567", list(SECTIONS)[1:7], strict=True):
            await press(pilot, number)
            assert section(app).table.row_count == 0
            assert section(app).table.render_line(0).text.strip()  # the header is drawn
            hint = section(app).hint
            assert hint.display and hint.region.height > 0, name
        await press(pilot, "2")
        text = str(section(app).hint.render())
        assert "No containers." in text and "nodekeeper import-lxc DIR" in text
        assert "Nothing selected." in detail(app)

    drive(app, scenario)


def test_the_hint_is_hidden_once_rows_exist(empty_store: Store) -> None:
    app = app_on(empty_store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        hint = section(app).hint
        assert hint.region.height > 0
        empty_store.containers.create("c1")
        await press(pilot, "r")
        assert hint.region.height == 0

    drive(app, scenario)


def test_it_works_at_80_by_24(store: Store) -> None:
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        table = section(app).table
        assert table.region.height >= 5 and section(app).detail_pane.region.height >= 5
        await press(pilot, "n")
        assert isinstance(app.screen, FormModal)
        save = app.screen.query_one("#save")
        assert save.region.bottom <= 24 and save.region.height > 0  # reachable without scrolling

    drive(app, scenario, size=(80, 24))


# -- at 80x24: notifications, help, read-only


def screen_lines(app: NodekeeperApp) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


@pytest.mark.parametrize("how", ["read-only store", "--read-only flag"])
def test_in_read_only_an_edit_key_says_why_nothing_happens(
    store: Store, db: Path, how: str
) -> None:
    opened = core.open_store(db, read_only=True) if how == "read-only store" else store
    app = app_on(opened, "containers", read_only=how == "--read-only flag")
    reason = f"you cannot write {db}" if how == "read-only store" else "started with --read-only"

    async def scenario(pilot: Pilot[None]) -> None:
        for key in EDIT_KEYS:
            app.clear_notifications()
            await press(pilot, key)
            assert not isinstance(app.screen, FormModal | ConfirmModal)
            [said] = notes(app)
            assert said.startswith("read-only: ") and reason in said, (key, said)
        await press(pilot, "1")  # the dashboard has no table: nothing to refuse there
        app.clear_notifications()
        await press(pilot, "n")
        assert notes(app) == []

    try:
        drive(app, scenario, size=(80, 24))
    finally:
        if opened is not store:
            opened.close()


def test_the_read_only_mark_fits_in_the_header_at_80_columns(tmp_path: Path) -> None:
    db = tmp_path / ("a-rather-long-directory-name-" * 3) / "nodekeeper.db"
    core.open_store(db).close()
    with core.open_store(db, read_only=True) as read_only:
        app = app_on(read_only, "containers")

        async def scenario(pilot: Pilot[None]) -> None:
            header = screen_lines(app)[0]
            assert len(header) == 80 and "read-only" in header

        drive(app, scenario, size=(80, 24))


def test_a_long_error_takes_at_most_4_lines_in_a_notification(store: Store) -> None:
    app = app_on(store, "containers")
    problems = [f"containers[{n}].architecture: unknown" for n in range(35)]

    async def scenario(pilot: Pilot[None]) -> None:
        app.notify("\n".join(problems), title="Not applied", severity="error", markup=False)
        await settle(pilot)
        [said] = notes(app)
        assert said.splitlines() == [*problems[:3], "and 32 more"]
        app.clear_notifications()
        app.notify("\n".join(problems[:4]), markup=False)  # 4 lines: shown whole
        await settle(pilot)
        assert notes(app) == ["\n".join(problems[:4])]

    drive(app, scenario, size=(80, 24))


def test_a_help_line_that_wraps_keeps_its_indentation_at_80_columns(store: Store) -> None:
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "question_mark", "end")
        lines = screen_lines(app)
        [at] = [n for n, line in enumerate(lines) if "command palette: jump" in line]
        keys, column = lines[at].index("Ctrl+P"), lines[at].index("command palette")
        wrapped = lines[at + 1]
        assert not wrapped[keys:column].strip() and wrapped[column] != " ", wrapped
        assert "theme" in wrapped  # the rest of the description, under its start

    drive(app, scenario, size=(80, 24))
