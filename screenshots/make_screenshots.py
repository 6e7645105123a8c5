"""Make an SVG of every TUI section from demo data: ``python screenshots/make_screenshots.py``.

The data comes from ``core.demo.fill`` (a busy container host) with a fixed seed and a fixed
"now", written into a temporary SQLite file; the console runs headless on it with the same
fixed clock, so the pictures are the same on every run and every machine.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

from core import open_store  # noqa: E402
from core.demo import fill  # noqa: E402
from tui.app import SECTIONS, NodekeeperApp  # noqa: E402

SIZE = (100, 30)
SEED = 7
NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
HOST = "node1"


async def shoot(db: Path) -> list[Path]:
    written = []
    with open_store(db) as store:
        app = NodekeeperApp(store, refresh_every=None, clock=NOW.timestamp)
        app.title = f"nodekeeper @ {HOST}"  # the same on every machine
        async with app.run_test(size=SIZE) as pilot:
            for number, section in enumerate(SECTIONS, start=1):
                await pilot.press(str(number))
                for _ in range(3):
                    await app.workers.wait_for_complete()
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
        fill(store, containers=24, days=2, seed=SEED, now=NOW)
    for old in HERE.glob("*.svg"):
        old.unlink()
    for path in asyncio.run(shoot(db)):
        print(path.relative_to(HERE.parent))
    shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
