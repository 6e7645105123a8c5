"""Section 7, certificates: a kind with no look of its own (core/kinds/certificates.py alone),
shown with the generic detail; no form, so n and e are off and E edits it."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from core import Store
from tests.helpers import make_certificate

from .pilot import (
    app_on,
    ask_delete,
    cells,
    detail,
    drive,
    editor_script,
    notes,
    press,
    put_cursor,
    settle,
)


@pytest.fixture
def certs(store: Store) -> dict[str, str]:
    """name -> fingerprint of two certificates."""
    added = {}
    for name, kind in (("ops-laptop", "client"), ("scraper", "metrics")):
        added[name] = store.certificates.add(make_certificate(name)[0], type=kind).fingerprint
    return added


def test_certificates_show_type_expiry_and_fingerprint(store: Store, certs) -> None:
    app = app_on(store, "certificates")

    async def scenario(pilot: Pilot[None]) -> None:
        row = cells(app, certs["scraper"])
        assert row[:2] == ["scraper", "metrics"] and row[3] == certs["scraper"][:12]
        assert row[2][:4].isdigit() and len(row[2]) == len("2036-09-01 00:00")  # expires
        put_cursor(app, certs["ops-laptop"])
        await settle(pilot)
        assert detail(app).startswith("ops-laptop\n")
        assert f"fingerprint        {certs['ops-laptop'][:40]}" in detail(app)

    drive(app, scenario)


def test_n_and_e_are_off_without_a_form_and_the_footer_does_not_offer_them(
    store: Store, certs
) -> None:
    app = app_on(store, "certificates")

    async def scenario(pilot: Pilot[None]) -> None:
        assert app.check_action("new", ()) is False and app.check_action("edit", ()) is False
        assert app.check_action("edit_document", ()) and app.check_action("delete", ())
        footer = {b.binding.action for b in app.screen.active_bindings.values() if b.enabled}
        assert {"edit_document", "delete"} <= footer and not {"new", "edit"} & footer
        await press(pilot, "n", "e")
        assert app.screen is app.screen_stack[0] and notes(app) == []  # nothing opened
        await press(pilot, "2")  # containers have forms: on again
        assert app.check_action("new", ()) and app.check_action("edit", ())

    drive(app, scenario)


def test_E_edits_a_certificate_named_by_its_name(
    store: Store, certs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = editor_script(tmp_path, 'sed -i \'s/^type = "client"/type = "server"/\' "$1"')
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", str(script))
    app = app_on(store, "certificates")

    async def scenario(pilot: Pilot[None]) -> None:
        put_cursor(app, certs["ops-laptop"])
        await press(pilot, "E")

    drive(app, scenario)
    assert notes(app) == ["Certificate 'ops-laptop' updated"]
    assert store.certificates.get("ops-laptop").type == "server"


def test_d_deletes_after_a_confirmation(store: Store, certs) -> None:
    app = app_on(store, "certificates")

    async def scenario(pilot: Pilot[None]) -> None:
        message = await ask_delete(pilot, certs["scraper"])
        assert message.startswith("Delete the metrics certificate scraper (")
        await press(pilot, "y")
        assert certs["scraper"] not in section_keys(app)

    def section_keys(app):
        return app.active_resources().table.shown_keys()

    drive(app, scenario)
    assert [c.name for c in store.certificates.list()] == ["ops-laptop"]
