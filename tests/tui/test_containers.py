"""Section 2, containers: the table, the detail pane, the form, delete."""

from __future__ import annotations

from textual.pilot import Pilot

from core import Store
from tui.widgets.form import FormModal

from .pilot import (
    FINGERPRINT,
    app_on,
    ask_delete,
    cells,
    detail,
    drive,
    fill,
    form,
    notes,
    press,
    put_cursor,
    section,
    settle,
    shown,
    type_into,
)


def test_the_table_shows_each_container_with_its_networks_and_image(store: Store) -> None:
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        assert shown(app) == ["db1", "web1"]
        # web1's own eth0 replaces the profile's; its image is shown by alias.
        assert cells(app, "web1") == ["web1", "running", "x86_64", "default, gpu", "br0, enp3s0",
                                      "ubuntu"]  # fmt: skip
        assert cells(app, "db1") == ["db1", "stopped", "aarch64", "default", "lxdbr0", ""]

    drive(app, scenario)


def test_the_detail_pane_shows_own_and_expanded_config_with_origins(store: Store) -> None:
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        put_cursor(app, "web1")
        await settle(pilot)
        text = detail(app)
        own, expanded = text.split("Expanded config")
        assert "Own config (2)" in own and "limits.cpu         4" in own
        assert "limits.memory" not in own  # that one is the profile's
        lines = {line.split()[0]: line for line in expanded.splitlines()[1:] if line.strip()}
        assert lines["limits.cpu"].split()[1:] == ["4", "own"]  # own value wins over default's 2
        assert lines["limits.memory"].split()[1:] == ["1GiB", "from", "profile", "default"]
        assert lines["eth0"].split()[1:] == ["nic", "network=br0", "own"]
        assert lines["root"].split()[-3:] == ["from", "profile", "default"]
        assert lines["gpu0"].split()[-3:] == ["from", "profile", "gpu"]
        assert f"ubuntu  {FINGERPRINT[:12]}" in text
        await press(pilot, "up")  # the pane follows the cursor
        assert detail(app).startswith("db1\n")

    drive(app, scenario)


def test_n_creates_a_container_through_the_form(store: Store) -> None:
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "n")
        assert form(app).title_text == "New container"
        await fill(pilot, name="app1", profiles="gpu", config="limits.cpu = 1\nuser.note = hi")
        form(app).widget("power_state").value = "running"  # type: ignore[attr-defined]
        await press(pilot, "ctrl+s")
        assert not isinstance(app.screen, FormModal)
        assert section(app).table.current_key == "app1"  # the new row is selected
        assert notes(app) == ["Saved container 'app1'."]

    drive(app, scenario)
    created = store.containers.get("app1")
    assert (created.profiles, created.power_state) == (["gpu"], "running")
    assert created.config == {"limits.cpu": "1", "user.note": "hi"}


def test_the_form_shows_cores_error_next_to_the_field_as_you_type(store: Store) -> None:
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "n")
        modal = form(app)
        await type_into(pilot, "name", "bad")
        assert modal.errors == {}
        await pilot.press("_")  # checked at each key
        assert modal.errors == {"name": "name: 'bad_' may contain only letters, digits and '-'"}
        await fill(pilot, name="bad_name")
        assert modal.errors == {"name": "name: 'bad_name' may contain only letters, digits and '-'"}
        assert "may contain only letters" in str(modal.query_one("#error-name").render())
        assert modal.query_one("#row-name").has_class("-invalid")
        await fill(pilot, name="web1")  # taken: core's AlreadyExists text
        assert modal.errors == {"name": "container 'web1' already exists"}
        await fill(pilot, name="web2")
        assert modal.errors == {}
        await fill(pilot, profiles="default, nope")
        assert modal.errors == {"profiles": "profile 'nope' not found"}
        await fill(pilot, profiles="default", config="limits")
        assert modal.errors == {"config": "config: 'limits' must be key = value, one per line"}
        await fill(pilot, config="cpu = 2")
        assert modal.errors == {"config": "config: 'cpu' must be dotted words "
                                "such as 'limits.cpu' (letters, digits, _ - / :)"}  # fmt: skip
        await press(pilot, "ctrl+s")  # refused: nothing is written, the field gets the focus
        assert isinstance(app.screen, FormModal)
        assert modal.widget("config").has_focus

    drive(app, scenario)
    assert not store.containers.exists("web2")


def test_saving_an_empty_form_flags_the_required_fields(store: Store) -> None:
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "n")
        await press(pilot, "ctrl+s")
        assert form(app).errors == {"name": "name: '' must not be empty"}

    drive(app, scenario)


def test_an_error_core_raises_on_save_is_shown_next_to_its_field(store: Store) -> None:
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "n")
        await fill(pilot, name="race")
        store.containers.create("race")  # someone else takes the name meanwhile
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, FormModal)
        assert form(app).errors == {"name": "container 'race' already exists"}

    drive(app, scenario)


def test_e_edits_the_highlighted_container(store: Store) -> None:
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        put_cursor(app, "web1")
        await press(pilot, "e")
        modal = form(app)
        assert modal.title_text == "Edit container 'web1'"
        assert modal.widget("name").disabled
        assert modal.raw("profiles") == "default, gpu"
        assert "limits.cpu = 4" in modal.raw("config")
        await fill(pilot, profiles="default", config=f"volatile.base_image = {FINGERPRINT}")
        modal.widget("power_state").value = "stopped"  # type: ignore[attr-defined]
        await press(pilot, "ctrl+s")
        assert cells(app, "web1")[1:4] == ["stopped", "x86_64", "default"]

    drive(app, scenario)
    web1 = store.containers.get("web1")
    assert web1.profiles == ["default"] and web1.config == {"volatile.base_image": FINGERPRINT}
    assert set(web1.devices) == {"eth0", "eth1", "data"}  # the form leaves devices alone


def test_escape_cancels_a_form_and_writes_nothing(store: Store) -> None:
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "e")
        await fill(pilot, profiles="gpu")
        await press(pilot, "escape")
        assert not isinstance(app.screen, FormModal)

    drive(app, scenario)
    assert store.containers.get("db1").profiles == ["default"]


def test_d_deletes_after_a_confirmation_naming_what_goes(store: Store) -> None:
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        message = await ask_delete(pilot, "web1")
        assert "Delete container web1?\nIt is running." in message  # so deleting forces it
        assert "2 config keys, 3 devices, its use of the profiles default, gpu" in message
        await press(pilot, "n")  # no: nothing happens
        assert "web1" in shown(app)
        await press(pilot, "d")
        await press(pilot, "enter")  # Cancel has the focus: Enter alone never deletes
        assert "web1" in shown(app)
        await press(pilot, "d", "y")
        assert shown(app) == ["db1"]
        assert notes(app)[-1] == "Deleted container 'web1'."

    drive(app, scenario)
    assert not store.containers.exists("web1")
    assert store.profiles.names() == ["default", "gpu"]  # profiles stay


def test_a_container_started_after_the_confirmation_opened_is_not_deleted(store: Store) -> None:
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        message = await ask_delete(pilot, "db1")
        assert "running" not in message  # stopped when asked: the delete is not forced
        store.containers.update("db1", power_state="running")  # another writer starts it
        await press(pilot, "y")
        assert notes(app)[-1] == (
            "container 'db1' is running: stop it first, or delete it with --force"
        )

    drive(app, scenario)
    assert store.containers.exists("db1")


def test_slash_filters_containers_incrementally(store: Store) -> None:
    app = app_on(store, "containers")

    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "slash")
        assert section(app).filter_input.has_focus
        await press(pilot, "E", "N", "P")  # any case, any column: enp3s0 is a web1 network
        assert shown(app) == ["web1"]
        await press(pilot, "escape")
        assert shown(app) == ["db1", "web1"]

    drive(app, scenario)
