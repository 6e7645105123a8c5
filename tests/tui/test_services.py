"""Section 5, services: state, limits, traffic this period, users; the form; delete."""

from __future__ import annotations

from datetime import UTC, datetime

from textual.pilot import Pilot

from core import Store
from core.traffic_rules import Reading

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


def count_traffic(store: Store, chain: str, first: int, second: int) -> None:
    boot = 1_767_225_600  # unix seconds
    for when, value in ((datetime(2026, 1, 2, 10, tzinfo=UTC), first),
                        (datetime(2026, 1, 2, 10, 1, tzinfo=UTC), second)):  # fmt: skip
        store.traffic.record([Reading(chain=chain, raw=value, time=when, boot_time=boot)])


def test_services_show_state_limits_traffic_and_users(store: Store) -> None:
    count_traffic(store, "service:svc1:out", 1000, 500_000_000 + 1000)
    app = app_on(store, "services")

    async def scenario(pilot: Pilot[None]) -> None:
        assert shown(app) == ["svc1", "svc2"]
        assert cells(app, "svc1") == ["svc1", "running", "ok", "", "476.8 MiB", "2", "30", "",
                                      "953.7 MiB", "0", "aos_svc1.service"]  # fmt: skip
        put_cursor(app, "svc1")
        await settle(pilot)
        text = detail(app)
        assert "state              running" in text
        assert "upload (out)       953.7 MiB  1000000000 bytes" in text
        assert "out (upload)       476.8 MiB  50% of 953.7 MiB" in text
        assert "in (download)      -  not counted yet" in text
        users = text.split("Users (2)\n")[1]
        assert '["admin"]' in users and '["subject2","user1"]' in users
        assert "/var/aos/storage/1" in users

    drive(app, scenario)


def test_n_creates_and_e_edits_a_service(store: Store) -> None:
    app = app_on(store, "services")

    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "n")
        await save(pilot, id="svc3", service="aos_svc3.service", ttl="7", dl_limit="1_000_000")
        assert section(app).table.current_key == "svc3"
        await press(pilot, "e")
        assert form(app).raw("dl_limit") == "1000000"
        await save(pilot, version="2", ttl="")
        assert cells(app, "svc3") == ["svc3", "stopped", "ok", "", "", "0", "", "976.6 KiB", "",
                                      "2", "aos_svc3.service"]  # fmt: skip

    drive(app, scenario)
    svc3 = store.services.get("svc3")
    assert (svc3.version, svc3.ttl, svc3.dl_limit) == (2, None, 1_000_000)


def test_the_service_form_shows_cores_errors(store: Store) -> None:
    app = app_on(store, "services")

    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "n")
        await fill(pilot, id="svc1")
        assert form(app).errors == {"id": "service 'svc1' already exists"}
        await fill(pilot, id="new", service="-bad")
        assert form(app).errors == {"service": "service: '-bad' must not start with '-' or '.'"}
        await fill(pilot, service="", ul_limit="-5")
        assert form(app).errors == {"ul_limit": "ul_limit: -5 must not be negative"}

    drive(app, scenario)


def test_deleting_a_service_names_the_claim_sets_that_go_with_it(store: Store) -> None:
    app = app_on(store, "services")

    async def scenario(pilot: Pilot[None]) -> None:
        message = await ask_delete(pilot, "svc1")
        assert "2 claim set bindings" in message
        assert '["admin"]' in message and '["subject2","user1"]' in message
        await press(pilot, "y")
        assert shown(app) == ["svc2"]

    drive(app, scenario)
    assert [e.service_id for e in store.users.entries()] == ["svc2"]
