"""Section 4, images: what uses them, register and edit, delete."""

from __future__ import annotations

from textual.pilot import Pilot

from core import ImageInfo, Store

from .pilot import (
    FINGERPRINT,
    app_on,
    ask_delete,
    cells,
    detail,
    drive,
    fill,
    form,
    press,
    save,
    section,
    settle,
    shown,
)

OTHER = "cd" * 32


def test_images_show_their_metadata_and_the_containers_made_from_them(store: Store) -> None:
    app = app_on(store, "images")

    async def scenario(pilot: Pilot[None]) -> None:
        fingerprint, aliases, arch, size, used, public, uploaded = cells(app, FINGERPRINT)
        assert (fingerprint, aliases, arch, size, used, public) == (
            FINGERPRINT[:12], "ubuntu", "x86_64", "123 B", "1", "no",
        )  # fmt: skip
        assert uploaded == store.images.get(FINGERPRINT).upload_date.strftime("%Y-%m-%d %H:%M")
        text = detail(app)
        assert text.startswith("ubuntu\n")
        assert f"fingerprint        {FINGERPRINT}" in text
        assert text.split("Used by (1)\n")[1].split()[0] == "web1"

    drive(app, scenario)


def test_sizes_sort_by_bytes_not_by_text(store: Store) -> None:
    store.images.create(ImageInfo(fingerprint=OTHER, filename="big", size=5 * 1024**3,
                                  architecture="x86_64"))  # fmt: skip
    store.images.create(ImageInfo(fingerprint="ef" * 32, filename="mid", size=2048,
                                  architecture="x86_64"))  # fmt: skip
    app = app_on(store, "images")

    async def scenario(pilot: Pilot[None]) -> None:
        section(app).table.sort_by("size")
        await settle(pilot)
        assert [cells(app, k)[3] for k in shown(app)] == ["123 B", "2 KiB", "5 GiB"]
        section(app).table.sort_by("size")  # again: reversed
        await settle(pilot)
        assert [cells(app, k)[3] for k in shown(app)] == ["5 GiB", "2 KiB", "123 B"]

    drive(app, scenario)


def test_n_registers_an_image_and_e_edits_its_aliases_and_properties(store: Store) -> None:
    app = app_on(store, "images")

    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "n")
        await save(pilot, fingerprint=OTHER, filename="alpine.tar.xz", size="3145728",
                   aliases="alpine", properties="os = Alpine")  # fmt: skip
        assert section(app).table.current_key == OTHER
        await press(pilot, "e")
        assert form(app).widget("fingerprint").disabled
        await fill(pilot, aliases="alpine, alpine/3.20", properties="os = Alpine\nrelease = 3.20")
        form(app).widget("public").value = True  # type: ignore[attr-defined]
        await press(pilot, "ctrl+s")
        assert cells(app, OTHER)[1:6] == ["alpine, alpine/3.20", "x86_64", "3 MiB", "0", "yes"]

    drive(app, scenario)
    image = store.images.get(OTHER)
    assert image.properties == {"os": "Alpine", "release": "3.20"}
    assert list(image.aliases) == ["alpine", "alpine/3.20"] and image.public


def test_the_image_form_shows_cores_errors(store: Store) -> None:
    app = app_on(store, "images")

    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "n")
        await fill(pilot, fingerprint="xyz")
        assert form(app).errors == {
            "fingerprint": "fingerprint: 'xyz' must be 64 hexadecimal digits (a sha256)"
        }
        await fill(pilot, fingerprint=OTHER, filename="a/b", size="1")
        assert form(app).errors == {"filename": "filename: 'a/b' must be a file name without '/'"}
        await fill(pilot, filename="ok", size="lots")
        assert form(app).errors == {"size": "size: 'lots' must be a whole number (or empty)"}
        await fill(pilot, size="1", aliases="ubuntu")  # another image's alias
        assert form(app).errors == {"aliases": "image alias 'ubuntu' already exists"}

    drive(app, scenario)


def test_deleting_an_image_names_its_aliases_and_the_containers_that_stay(store: Store) -> None:
    app = app_on(store, "images")

    async def scenario(pilot: Pilot[None]) -> None:
        message = await ask_delete(pilot, FINGERPRINT)
        assert "1 alias (ubuntu), 0 properties" in message
        assert "1 container was created from it (web1): it stays" in message
        await press(pilot, "y")
        assert shown(app) == []

    drive(app, scenario)
    assert store.images.list() == [] and store.containers.exists("web1")
