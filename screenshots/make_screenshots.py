"""Make an SVG of every TUI section from demo data: ``python screenshots/make_screenshots.py
[DIR]`` from the checkout, with its venv's python (DIR: where to write them; by default here).

The data comes from ``core.demo.fill`` (a busy container host) with a fixed seed and a fixed
"now", written into a temporary SQLite file, and a collector's heartbeat a second before that
"now" (the dashboard as a user sees it, a collector running). The console runs headless on it
with the same fixed clock, the host, the collector's pid and the database shown pinned, so the
pictures are the same on every run and every machine: ``tests/tui/test_screenshots.py`` checks
that the ones here are current.

The Fleet section's picture comes from a database of three nodes: that busy host, a small one
and one whose collector stopped twelve minutes before "now".
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

from core import open_store  # noqa: E402
from core.demo import fill  # noqa: E402
from tests.tui.pilot import settle  # noqa: E402  (waits until the console is quiet)
from tui.app import SECTIONS, NodekeeperApp, section_key  # noqa: E402

SIZE = (100, 30)
SEED = 7
NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
HOST = "node1"
COLLECTOR_PID = 4242
DATABASE = "/var/lib/nodekeeper/nodekeeper.db"  # the header's: the default path, as root


async def shoot(db: Path, out: Path, only: set[str] | None = None) -> list[Path]:
    """Each section of the console on ``db`` (the Fleet only if it holds several nodes), or
    those ``only`` names."""
    written = []
    with open_store(db, node=HOST) as store:
        app = NodekeeperApp(store, refresh_every=None, clock=NOW.timestamp)
        app.title = f"nodekeeper @ {HOST}"  # the same on every machine
        app.sub_title = DATABASE
        async with app.run_test(size=SIZE) as pilot:
            for number, section in enumerate(SECTIONS, start=1):
                if section not in app.sections or (only is not None and section not in only):
                    continue
                await pilot.press(section_key(number))
                await settle(pilot)
                path = out / f"{number}-{section}.svg"
                app.save_screenshot(filename=path.name, path=str(out))
                written.append(path)
    return written


def fill_node(db: Path, node: str, containers: int, seen_ago: float) -> None:
    """Node ``node`` of ``db``: demo data (with ``containers``), its collector's last heartbeat
    ``seen_ago`` seconds before "now"."""
    with open_store(db, node=node) as store:
        if containers:
            fill(store, containers=containers, days=2, seed=SEED, now=NOW)
        store.telemetry.heartbeat(NOW.timestamp() - seen_ago, 2.0, pid=COLLECTOR_PID, host=node)
        store.nodes.heartbeat(
            interval=2.0, hostname=f"{node}.lan", version="0.1.0", boot_time=1, cpu_count=4,
            memory_total=16 << 30, now=NOW - timedelta(seconds=seen_ago),
        )  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", type=Path, default=HERE, metavar="DIR",
                        help="the folder to write the SVGs into (default: screenshots/)")  # fmt: skip
    out: Path = parser.parse_args(argv).out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="nodekeeper-screenshots-") as workdir:
        db = Path(workdir) / "nodekeeper.db"
        fill_node(db, HOST, 24, 1)
        fleet = Path(workdir) / "fleet.db"
        for node, containers, seen_ago in ((HOST, 24, 1), ("edge-2", 6, 2), ("storage-3", 0, 720)):
            fill_node(fleet, node, containers, seen_ago)
        for old in out.glob("[0-9]*-*.svg"):  # a section renamed leaves no stale picture
            old.unlink()
        shot = asyncio.run(shoot(db, out))
        shot += asyncio.run(shoot(fleet, out, only={"fleet"}))
        for path in shot:
            print(path)


if __name__ == "__main__":
    main()
