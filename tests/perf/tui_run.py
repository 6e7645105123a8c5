"""Run the console the way ``nodekeeper --db DB --no-collect --refresh N`` does, with what the
command line cannot set: the section shown first, and a dashboard period apart from the
sections' (``--dashboard-interval``). For the benchmarks in ``test_tui.py``, which run it in a
pseudo-terminal::

    python tests/perf/tui_run.py --db DB [--section containers] [--refresh 1] [--trace FILE]

``--trace FILE`` appends ``<seconds since $NODEKEEPER_BENCH_T0> <event>`` lines: every frame written
(the driver's flush) and the dashboard's reads and renders, to see where start-up time goes.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

# The process start, as the benchmark measured it (time.time() just before it spawned us).
STARTED = float(os.environ.get("NODEKEEPER_BENCH_T0", time.time()))

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--section", default="dashboard")
    parser.add_argument("--refresh", type=float, default=5.0, help="seconds (0: never)")
    parser.add_argument("--dashboard-interval", type=float, default=None,
                        help="seconds (default: --refresh)")  # fmt: skip
    parser.add_argument("--trace", default=None)
    args = parser.parse_args()

    from core import open_store
    from tui.app import NodekeeperApp

    if args.trace:
        _trace(Path(args.trace))
    with open_store(args.db) as store:
        app = NodekeeperApp(
            store,
            collect=False,
            section=args.section,
            refresh_every=args.refresh or None,
            dashboard_every=args.dashboard_interval or args.refresh or 2.0,
        )
        if args.trace:
            _log_line(args.trace, "app.run()")
        app.run()
    return 0


def _log_line(path: str, event: str) -> None:
    with open(path, "a", encoding="utf-8") as out:
        out.write(f"{time.time() - STARTED:.4f} {event}\n")


def _trace(path: Path) -> None:
    """Log frames and dashboard rounds with their time since the process started."""
    import threading

    from textual.drivers.linux_driver import LinuxDriver

    from tui.screens.dashboard import DashboardView

    out = path.open("a", buffering=1, encoding="utf-8")
    lock = threading.Lock()

    def log(event: str) -> None:
        with lock:
            out.write(f"{time.time() - STARTED:.4f} {event}\n")

    log("main() imported core and tui")
    write = LinuxDriver.write

    def traced_write(self: LinuxDriver, data: str) -> None:
        write(self, data)
        log(f"write {len(data)} characters")

    LinuxDriver.write = traced_write  # type: ignore[method-assign]
    for name in ("_round", "_apply"):
        original = getattr(DashboardView, name)

        def traced(self, *a, _name=name, _original=original, **k):
            log(f"dashboard {_name} start")
            try:
                return _original(self, *a, **k)
            finally:
                log(f"dashboard {_name} end")

        setattr(DashboardView, name, traced)
    from tui.screens import dashboard as module

    snapshot = module.snapshot

    def traced_snapshot(*a, **k):
        log("snapshot start")
        try:
            return snapshot(*a, **k)
        finally:
            log("snapshot end")

    module.snapshot = traced_snapshot


if __name__ == "__main__":
    raise SystemExit(main())
