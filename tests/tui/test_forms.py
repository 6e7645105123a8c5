"""Forms at 80x24 as a user over SSH meets them: a yes/no box that says its state, Enter on a
list of choices, and keys typed in one burst (a fast typist, ``tmux send-keys``, a paste without
bracketed paste) landing in the fields they were typed for, in a pilot and in a real terminal."""

from __future__ import annotations

from pathlib import Path

from textual import events
from textual.pilot import Pilot
from textual.widgets import Footer, Select
from textual.widgets._footer import FooterKey

import core
from core import Store
from tests.perf.tui_pty import PtyApp, nodekeeper
from tui.app import NodekeeperApp
from tui.widgets.confirm import ConfirmModal
from tui.widgets.form import FormModal, YesNo

from .pilot import app_on, drive, form, notes, press, settle, until

SIZE = (80, 24)
CHARACTERS = {"tab": "\t", "enter": "\r", "space": " "}
NAMES = {"/": "slash", ".": "full_stop", "_": "underscore", " ": "space"}


def burst(app: NodekeeperApp, *keys: str) -> None:
    """Keys as one read of the terminal brings them: all queued at once, nothing handled in
    between (``pilot.press`` waits for the app after each key). A one-character key is that
    character; ``*"text"`` types a text."""
    for key in keys:
        if len(key) == 1:
            app.post_message(events.Key(NAMES.get(key, key), key))
        else:
            app.post_message(events.Key(key, CHARACTERS.get(key)))


def values(modal: FormModal[str], *names: str) -> list[object]:
    return [modal.raw(name) for name in names]


# -- yes/no boxes


def test_a_checkbox_says_yes_or_no_as_it_is(store: Store) -> None:
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "n")
        box = form(app).widget("ephemeral")
        assert isinstance(box, YesNo)
        assert box.value is False and box.render().plain.split()[-1] == "no"
        box.focus()
        await press(pilot, "space")
        assert box.value is True and box.render().plain.split()[-1] == "yes"
        await press(pilot, "space")
        assert box.value is False and box.render().plain.split()[-1] == "no"

    drive(app, scenario, size=SIZE)


def test_an_edit_form_shows_a_ticked_box_as_yes(store: Store) -> None:
    store.containers.create("eph1", ephemeral=True)
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        app.active_resources().table.select("eph1")  # type: ignore[union-attr]
        await press(pilot, "e")
        assert form(app).widget("ephemeral").render().plain.split()[-1] == "yes"

    drive(app, scenario, size=SIZE)


# -- Enter on a list of choices


def test_enter_opens_a_select_as_space_does_and_saves_nothing(store: Store) -> None:
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "n", *"web9", "tab")
        select = form(app).widget("architecture")
        assert isinstance(select, Select) and app.focused is select
        for key in ("enter", "space"):
            await press(pilot, key)
            assert select.expanded, key
            await press(pilot, "escape")  # closes the list, the form stays
            assert not select.expanded and isinstance(app.screen, FormModal)
        await press(pilot, "enter", "down", "enter")  # open, the next choice, take it
        assert select.value == "armv7l" and isinstance(app.screen, FormModal)
        assert "web9" not in store.containers.names()

    drive(app, scenario, size=SIZE)


# -- keys typed in one burst


def test_a_line_typed_in_one_burst_lands_in_its_fields(store: Store) -> None:
    app = app_on(store, "services")

    async def scenario(pilot: Pilot[None]) -> None:
        # "n" opens the form, the rest is typed before it has even mounted.
        burst(app, "n", *"svc9", "tab", *"aos_svc9.service", "tab", *"7", "tab", *"/opt/a",
              "tab", *"aos")  # fmt: skip
        await settle(pilot)
        modal = form(app)
        fields = ("id", "service", "version", "path", "user", "permissions")
        assert values(modal, *fields) == ["svc9", "aos_svc9.service", "7", "/opt/a", "aos", ""]
        assert app.focused is modal.widget("user")
        burst(app, "ctrl+s")
        await settle(pilot)
        saved = store.services.get("svc9")
        assert (saved.service, saved.version, saved.path, saved.user) == (
            "aos_svc9.service", 7, "/opt/a", "aos")  # fmt: skip

    drive(app, scenario, size=SIZE)


def test_tab_then_enter_in_one_burst_opens_the_select_instead_of_saving(store: Store) -> None:
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        burst(app, "n", *"web9", "tab", "enter", "down", "enter", "tab", "tab", "space")
        await settle(pilot)
        modal = form(app)
        assert values(modal, "name", "architecture", "ephemeral") == ["web9", "armv7l", True]
        assert "web9" not in store.containers.names()  # Enter went to the list, not the name

    drive(app, scenario, size=SIZE)


def test_a_burst_that_shows_a_section_waits_for_its_rows(store: Store) -> None:
    """ "2" then "n": the containers are read in a worker first. Handed on before the rows
    were there, "n" said "Still reading the store" and the "e" of "web9" opened an edit form
    on the first container, which the rest of the burst then changed."""
    app = app_on(store, "dashboard")

    async def scenario(pilot: Pilot[None]) -> None:
        burst(app, "2", "n", *"web9", "tab", "tab", "tab", "space")
        await settle(pilot)
        modal = form(app)
        assert str(modal.title_text) == "New container"
        assert values(modal, "name", "ephemeral") == ["web9", True]

    drive(app, scenario, size=SIZE)


def test_keys_typed_in_one_burst_after_slash_still_filter(store: Store) -> None:
    """The filter needs no case of its own: "/" then text is the same burst as above."""
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        burst(app, "/", *"web", "enter", "d")
        await settle(pilot)
        section = app.active_resources()
        assert section is not None and section.filter_input.value == "web"
        # Enter went back to the table, where d is the delete key: it asks.
        assert isinstance(app.screen, ConfirmModal)
        await press(pilot, "escape")

    drive(app, scenario, size=SIZE)


def test_a_burst_typed_into_a_real_terminal_lands_in_its_fields(store: Store, db: Path) -> None:
    """The same as ``tmux send-keys``: one write to a pseudo-terminal at 80x24."""
    with PtyApp(nodekeeper("--db", str(db), "--no-collect"), cols=80, rows=24) as app:
        app.wait_for("Dashboard", timeout=60)
        app.write(b"5")
        app.wait_for("Services 2 ", start=app.offset, timeout=30)
        offset = app.offset
        app.write(b"nsvc9\taos_svc9.service\t7\t/opt/a\taos\x13")  # ..., then ctrl+s
        app.wait_for("Saved service 'svc9'", start=offset, timeout=30)
    with core.open_store(db, read_only=True) as reader:
        saved = reader.services.get("svc9")
    assert (saved.service, saved.version, saved.path, saved.user) == (
        "aos_svc9.service", 7, "/opt/a", "aos")  # fmt: skip


# -- a field's own text selected when entered, so typing replaces it


def test_typing_into_a_prefilled_field_replaces_its_text(store: Store) -> None:
    """The trial: "n", a name, four Tabs, "default, web" showed "defaultdefault, web"."""
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        burst(app, "n", *"trial-1", "tab", "tab", "tab", "tab", *"default, gpu")
        await settle(pilot)
        assert values(form(app), "name", "profiles") == ["trial-1", "default, gpu"]
        await press(pilot, "escape", "5", "n", "tab", "tab", "3")  # typed slowly: the same
        assert form(app).raw("version") == "3"

    drive(app, scenario, size=SIZE)


# -- every field's problem, as typed and on a save


def error_shown(modal: FormModal[str], name: str) -> str:
    return str(modal.errors.get(name, ""))


def test_each_field_left_with_a_problem_shows_it_at_once(store: Store) -> None:
    """The trial: only the size's problem showed; the fingerprint's came after a save."""
    app = app_on(store, "images")

    async def scenario(pilot: Pilot[None]) -> None:
        burst(app, "n", *"abc123", "tab", *"trial.tar.xz", "tab", *"200MiB", "tab")
        await settle(pilot)
        modal = form(app)
        assert "64 hexadecimal digits" in error_shown(modal, "fingerprint")
        assert "whole number" in error_shown(modal, "size")
        assert error_shown(modal, "filename") == ""

    drive(app, scenario, size=SIZE)


def test_a_field_core_rejects_shows_while_another_does_not_parse(store: Store) -> None:
    """The trial: "Upload limit 1 GiB" hid "Download limit -5" until a save."""
    app = app_on(store, "services")

    async def scenario(pilot: Pilot[None]) -> None:
        burst(app, "n", *"svc9", *["tab"] * 7, *"1 GiB", "tab", *"-5", "tab")
        await settle(pilot)
        modal = form(app)
        assert "whole number" in error_shown(modal, "ul_limit")
        assert "must not be negative" in error_shown(modal, "dl_limit")
        assert error_shown(modal, "id") == ""

    drive(app, scenario, size=SIZE)


def test_a_save_shows_every_problem_core_reports_each_under_its_field(store: Store) -> None:
    app = app_on(store, "services")

    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "n")
        modal = form(app)
        for name, text in (("id", "svc9"), ("ttl", "-1"), ("dl_limit", "-5")):
            modal.widget(name).value = text  # type: ignore[attr-defined]
        await press(pilot, "ctrl+s")
        assert "must not be negative" in error_shown(modal, "ttl")
        assert "must not be negative" in error_shown(modal, "dl_limit")
        assert app.focused is modal.widget("ttl")  # the first field with a problem
        assert "svc9" not in [s.id for s in store.services.list()]

    drive(app, scenario, size=SIZE)


# -- text typed on a list of choices


def test_text_typed_on_a_closed_select_picks_the_choice_it_starts(store: Store) -> None:
    """The trial: "alice, bob⇥trial-svc" lost the text; the save said a service is required."""
    store.services.create("trial-svc")
    app = app_on(store, "users")

    async def scenario(pilot: Pilot[None]) -> None:
        burst(app, "n", *"alice, bob", "tab", *"trial-svc", "tab", *"/srv/a", "ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, FormModal)
        assert [e.service_id for e in store.users.entries() if "alice" in e.claims] == ["trial-svc"]

    drive(app, scenario, size=SIZE)


def test_text_that_matches_no_choice_is_said_not_dropped(store: Store) -> None:
    app = app_on(store, "users")

    async def scenario(pilot: Pilot[None]) -> None:
        burst(app, "n", *"alice", "tab", *"s", "backspace", *"zz")
        await settle(pilot)
        assert form(app).raw("service") == "svc1"  # "s" picked the first; "zz" matches none
        assert notes(app) == ["no choice matches 'z'"]  # said once, when it stopped matching

    drive(app, scenario, size=SIZE)


# -- the footer shows the keys in force


def footer_keys(app: NodekeeperApp) -> list[str]:
    """The keys the footer on top shows: the active screen's own footer."""
    return [
        f"{key.key_display} {key.description}"
        for key in app.screen.query_one(Footer).query(FooterKey)
        if key.display
    ]


def test_a_modal_screen_s_footer_shows_its_own_keys(store: Store) -> None:
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "n")
        await until(pilot, lambda: footer_keys(app))
        assert footer_keys(app) == ["^s Save", "esc Cancel"]
        await press(pilot, "escape", "d")
        assert isinstance(app.screen, ConfirmModal)
        await until(pilot, lambda: footer_keys(app))
        assert footer_keys(app) == ["y Yes", "n No"]
        await press(pilot, "escape", "question_mark")
        await until(pilot, lambda: footer_keys(app))
        assert footer_keys(app) == ["esc Close"]

    drive(app, scenario, size=SIZE)
