"""Section 3, profiles: what uses them, the form, delete (refused while in use)."""

from __future__ import annotations

from textual.pilot import Pilot

from core import Store
from tui.widgets.confirm import ConfirmModal
from tui.widgets.form import FormModal

from .pilot import (
    app_on,
    cells,
    detail,
    drive,
    fill,
    form,
    notes,
    press,
    put_cursor,
    save,
    section,
    settle,
    shown,
)


def test_profiles_show_their_config_devices_and_what_uses_them(store: Store) -> None:
    app = app_on(store, "profiles")

    async def scenario(pilot: Pilot[None]) -> None:
        assert cells(app, "default") == ["default", "2", "2", "eth0, root", "Default profile"]
        assert cells(app, "gpu") == ["gpu", "1", "0", "gpu0", ""]
        put_cursor(app, "default")
        await settle(pilot)
        text = detail(app)
        used = text.split("Used by (2)\n")[1].split("\n\n")[0]
        assert used.split() == ["db1", "web1"]
        assert "networks           lxdbr0" in text
        assert "root               disk  path=/ pool=default" in text

    drive(app, scenario)


def test_n_creates_and_e_edits_a_profile(store: Store) -> None:
    app = app_on(store, "profiles")

    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "n")
        await save(pilot, name="web", description="Web tier", config="limits.cpu = 2")
        assert section(app).table.current_key == "web"
        await press(pilot, "e")
        assert form(app).raw("description") == "Web tier"
        await save(pilot, description="Web tier, bigger", config="limits.cpu = 4")
        assert cells(app, "web") == ["web", "0", "1", "", "Web tier, bigger"]

    drive(app, scenario)
    web = store.profiles.get("web")
    assert (web.description, web.config) == ("Web tier, bigger", {"limits.cpu": "4"})


def test_an_edit_form_does_not_overwrite_a_change_made_while_it_was_open(store: Store) -> None:
    app = app_on(store, "profiles")

    async def scenario(pilot: Pilot[None]) -> None:
        put_cursor(app, "gpu")
        await press(pilot, "e")
        store.profiles.update("gpu", description="set by another admin")  # meanwhile
        await save(pilot, config="limits.cpu = 8")
        assert isinstance(app.screen, FormModal)  # still open, the reason shown
        assert "changed in the store since this form opened" in form(app).errors[""]
        assert store.profiles.get("gpu").config == {}  # nothing written
        await press(pilot, "escape")
        await press(pilot, "e")  # opened again on the new version: saved
        assert form(app).raw("description") == "set by another admin"
        await save(pilot, config="limits.cpu = 8")
        assert not isinstance(app.screen, FormModal)

    drive(app, scenario)
    gpu = store.profiles.get("gpu")
    assert (gpu.description, gpu.config) == ("set by another admin", {"limits.cpu": "8"})


def test_the_profile_form_validates_with_cores_rules(store: Store) -> None:
    app = app_on(store, "profiles")

    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "n")
        await fill(pilot, name="gpu")
        assert form(app).errors == {"name": "profile 'gpu' already exists"}
        await fill(pilot, name="-x")
        assert form(app).errors == {"name": "name: '-x' must not start or end with '-'"}
        await fill(pilot, name="ok", config="nodots = 1")
        assert form(app).errors["config"].startswith("config: 'nodots' must be dotted words")

    drive(app, scenario)


def test_a_profile_in_use_is_not_deleted_and_the_error_names_the_containers(
    store: Store,
) -> None:
    app = app_on(store, "profiles")

    async def scenario(pilot: Pilot[None]) -> None:
        put_cursor(app, "default")
        await press(pilot, "d")
        assert not isinstance(app.screen, ConfirmModal)
        assert notes(app) == [
            "profile 'default' is still used by containers: db1, web1: remove it from them first."
        ]

    drive(app, scenario)
    assert "default" in store.profiles.names()


def test_an_unused_profile_is_deleted_after_confirmation(store: Store) -> None:
    store.profiles.create("spare", config={"limits.cpu": "1"}, devices={"d": {"type": "gpu"}})
    app = app_on(store, "profiles")

    async def scenario(pilot: Pilot[None]) -> None:
        put_cursor(app, "spare")
        await press(pilot, "d")
        assert isinstance(app.screen, ConfirmModal)
        assert "1 config key, 1 device" in app.screen.message.plain
        await press(pilot, "y")
        assert shown(app) == ["default", "gpu"]

    drive(app, scenario)
    assert store.profiles.names() == ["default", "gpu"]


def test_a_profile_that_became_used_meanwhile_is_refused_by_core(store: Store) -> None:
    store.profiles.create("spare")
    app = app_on(store, "profiles")

    async def scenario(pilot: Pilot[None]) -> None:
        put_cursor(app, "spare")
        await press(pilot, "d")
        store.containers.create("late", profiles=["spare"])  # after the table was read
        await press(pilot, "y")
        assert not isinstance(app.screen, FormModal | ConfirmModal)
        assert notes(app)[-1] == "profile 'spare' is still used by containers: late"
        assert "spare" in shown(app)

    drive(app, scenario)
