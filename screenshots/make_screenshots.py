"""Make an SVG of every TUI section from demo data: ``python screenshots/make_screenshots.py
[DIR]`` from the checkout, with its venv's python (DIR: where to write them; by default here).

The data comes from ``core.demo.fill`` (a busy container host) with a fixed seed and a fixed
"now", written into a temporary SQLite file, and a collector's heartbeat a second before that
"now" (the dashboard as a user sees it, a collector running). The console runs headless on it
with the same fixed clock, the host, the collector's pid and the database shown pinned, so the
pictures are the same on every run and every machine: ``tests/tui/test_screenshots.py`` checks
that the ones here are current.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

from core import open_store  # noqa: E402
from core.demo import fill  # noqa: E402
from tests.tui.pilot import settle  # noqa: E402  (waits until the console is quiet)
from tui.app import SECTIONS, NodekeeperApp  # noqa: E402

SIZE = (100, 30)
SEED = 7
NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
HOST = "node1"
COLLECTOR_PID = 4242
DATABASE = "/var/lib/nodekeeper/nodekeeper.db"  # the header's: the default path, as root


async def shoot(db: Path, out: Path) -> list[Path]:
    written = []
    with open_store(db) as store:
        app = NodekeeperApp(store, refresh_every=None, clock=NOW.timestamp)
        app.title = f"nodekeeper @ {HOST}"  # the same on every machine
        app.sub_title = DATABASE
        async with app.run_test(size=SIZE) as pilot:
            for number, section in enumerate(SECTIONS, start=1):
                if section not in app.sections:
                    continue
                await pilot.press(str(number))
                await settle(pilot)
                path = out / f"{number}-{section}.svg"
                app.save_screenshot(filename=path.name, path=str(out))
                written.append(path)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", type=Path, default=HERE, metavar="DIR",
                        help="the folder to write the SVGs into (default: screenshots/)")  # fmt: skip
    out: Path = parser.parse_args(argv).out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="nodekeeper-screenshots-") as workdir:
        db = Path(workdir) / "nodekeeper.db"
        with open_store(db) as store:
            fill(store, containers=24, days=2, seed=SEED, now=NOW)
            store.telemetry.heartbeat(NOW.timestamp() - 1, 2.0, pid=COLLECTOR_PID, host=HOST)
        for old in out.glob("[0-9]-*.svg"):  # a section renamed leaves no stale picture
            old.unlink()
        for path in asyncio.run(shoot(db, out)):
            print(path)


if __name__ == "__main__":
    main()
