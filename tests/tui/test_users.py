"""Section 6, users: claim sets bound to services, their storage folder and checksum."""

from __future__ import annotations

from textual.pilot import Pilot

from core import Store

from .pilot import (
    app_on,
    ask_delete,
    cells,
    detail,
    drive,
    fill,
    form,
    press,
    put_cursor,
    save,
    section,
    settle,
    shown,
)

PAIR = '["subject2","user1"]'


def test_users_show_their_services_storage_folder_and_checksum(store: Store) -> None:
    store.users.set_current(["user1", "subject2"])
    app = app_on(store, "users")

    async def scenario(pilot: Pilot[None]) -> None:
        assert shown(app) == ['["admin"]\tsvc1', f"{PAIR}\tsvc1", f"{PAIR}\tsvc2"]
        assert cells(app, f"{PAIR}\tsvc1") == [PAIR, "svc1", "running",
                                                "/var/aos/storage/1", ""]  # fmt: skip
        assert cells(app, f"{PAIR}\tsvc2")[-1] == bytes(range(32)).hex()[:12]
        put_cursor(app, f"{PAIR}\tsvc1")
        await settle(pilot)
        text = detail(app)
        assert "current            yes  the server config's users.current" in text
        services = text.split("Services of this claim set (2)\n")[1]
        assert "svc1               running  /var/aos/storage/1" in services
        assert "svc2               stopped" in services
        assert bytes(range(32)).hex() in services

    drive(app, scenario)


def test_n_binds_a_claim_set_and_e_edits_its_folder_and_checksum(store: Store) -> None:
    app = app_on(store, "users")

    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "n")
        await save(pilot, claims="ops, admin", service="svc2", storage_folder="/srv/ops")
        key = '["admin","ops"]\tsvc2'
        assert section(app).table.current_key == key
        await press(pilot, "e")
        assert form(app).widget("claims").disabled
        await save(pilot, storage_folder="/srv/ops2", state_checksum="00ff")
        assert cells(app, key)[3:] == ["/srv/ops2", "00ff"]

    drive(app, scenario)
    entry = store.users.get(["admin", "ops"], "svc2")
    assert (entry.storage_folder, entry.state_checksum) == ("/srv/ops2", b"\x00\xff")


def test_the_binding_form_shows_cores_errors(store: Store) -> None:
    app = app_on(store, "users")

    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "n")
        await fill(pilot, claims=" ", service="svc1")
        assert form(app).errors == {"claims": "users: [] must name at least one claim"}
        await fill(pilot, claims="admin")
        assert form(app).errors == {
            "service": "claim set [\"admin\"] on service 'svc1' already exists"
        }
        await fill(pilot, claims='["a", 1]')
        assert form(app).errors == {"claims": "users: ['a', 1] has 1: each claim is a non-empty "
                                    "string"}  # fmt: skip
        await fill(pilot, claims="x", state_checksum="zz")
        assert form(app).errors == {"state_checksum": "state_checksum: 'zz' must be hexadecimal "
                                    "digits (a sha256), or empty"}  # fmt: skip

    drive(app, scenario)


def test_d_unbinds_after_a_confirmation(store: Store) -> None:
    app = app_on(store, "users")

    async def scenario(pilot: Pilot[None]) -> None:
        message = await ask_delete(pilot, f"{PAIR}\tsvc1")
        assert f"Unbind the claim set {PAIR} from service svc1?" in message
        assert "storage folder (/var/aos/storage/1)" in message and "The service stays." in message
        await press(pilot, "y")
        assert f"{PAIR}\tsvc1" not in shown(app)

    drive(app, scenario)
    assert store.users.services_of(["user1", "subject2"]) == ["svc2"]
    assert store.services.exists("svc1")
