"""Make an SVG of every TUI screen from seeded data: ``python screenshots/make_screenshots.py``.

The data is written through core's public API into a temporary SQLite file, so the pictures
show what an admin sees on a small container host.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from core import ImageInfo, open_store
from tui.app import SECTIONS, NodekeeperApp

HERE = Path(__file__).resolve().parent
SIZE = (100, 30)


def seed(store) -> None:
    store.profiles.create(
        "default",
        description="Every container: bridged nic and root disk",
        devices={
            "eth0": {"type": "nic", "network": "lxdbr0"},
            "root": {"type": "disk", "path": "/", "pool": "default"},
        },
    )
    store.profiles.create(
        "web", description="Web tier limits", config={"limits.cpu": "2", "limits.memory": "2GiB"}
    )
    store.profiles.create(
        "dmz", devices={"eth1": {"type": "nic", "parent": "br-dmz", "nictype": "bridged"}}
    )
    ubuntu = "8e3f1c0a" * 8
    alpine = "2b7d94e1" * 8
    for fp, alias, size in (
        (ubuntu, "ubuntu/24.04", 348_127_232),
        (alpine, "alpine/3.20", 3_145_728),
    ):
        store.images.create(
            ImageInfo(
                fingerprint=fp,
                filename=f"{alias.replace('/', '-')}.tar.xz",
                size=size,
                architecture="x86_64",
                public=alias.startswith("ubuntu"),
                aliases={alias: ""},
                upload_date=datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
            )  # fmt: skip
        )
    for name, profiles, image, state in (
        ("web1", ["default", "web"], ubuntu, "running"),
        ("web2", ["default", "web", "dmz"], ubuntu, "running"),
        ("db1", ["default"], ubuntu, "running"),
        ("cache1", ["default"], alpine, "stopped"),
        ("build", ["default"], alpine, "stopped"),
    ):
        store.containers.create(name, profiles=profiles, power_state=state,
                                config={"volatile.base_image": image})  # fmt: skip


async def shoot(db: Path) -> list[Path]:
    written = []
    with open_store(db) as store:
        app = NodekeeperApp(store)
        async with app.run_test(size=SIZE) as pilot:
            await app.workers.wait_for_complete()
            for number, section in enumerate(SECTIONS, start=1):
                await pilot.press(str(number))
                await pilot.pause()
                path = HERE / f"{number}-{section}.svg"
                app.save_screenshot(filename=path.name, path=str(HERE))
                written.append(path)
    return written


def main() -> None:
    # A fixed path, so the header (which shows the database) is the same on every run.
    workdir = Path(tempfile.gettempdir()) / "nodekeeper-screenshots"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir()
    db = workdir / "nodekeeper.db"
    with open_store(db) as store:
        seed(store)
    for path in asyncio.run(shoot(db)):
        print(path.relative_to(HERE.parent))
    shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
