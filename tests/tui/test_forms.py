"""Forms at 80x24 as a user over SSH meets them: a yes/no box that says its state, Enter on a
list of choices, and keys typed in one burst (a fast typist, ``tmux send-keys``, a paste without
bracketed paste) landing in the fields they were typed for, in a pilot and in a real terminal."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Select

from core import Store
from tui.widgets.form import FormModal, YesNo

from .pilot import app_on, drive, form, press

SIZE = (80, 24)


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
