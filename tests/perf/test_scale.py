"""Listing containers at scale: 2,000 and 20,000 containers (``core.demo.fill``, built once per
session), on SQLite and, beside it, PostgreSQL (the same rows copied into a schema of the local
server; skipped with the reason when there is none). Run on demand::

    .venv/bin/pytest -m perf tests/perf/test_scale.py -s -q

- ``store.containers.list()``, whole containers: CPU seconds, median of RUNS, against the baseline of the
  same rows read with the bare driver into dicts (sqlite3 or psycopg, no nodekeeper) in the
  same run. ``read_columns`` (what a table and the console need) is printed beside it.
- ``nodekeeper list containers --format json`` and ``--format csv``: wall time, CPU time and
  peak RSS (VmHWM) of the command, median of RUNS, against the baseline of ``python -c "import
  sqlalchemy"`` (what any nodekeeper command pays first) in the same run; issue 12's targets at
  20,000, each printed with PASS or FAIL: <= 0.6 s and <= 80 MiB, JSON and CSV.
  ``NODEKEEPER_PERF_BEFORE=/path/to/checkout`` (a checkout with its own ``.venv``, such as the
  code before a change): its command runs alternating with this one's, its figures and the
  speed-up printed beside them, and its output must be the same text.
- Growth from 2,000 to 20,000: each figure's ratio (CPU time), target <= 10 (linear).

Each prints its figure, its baseline and the ratio, and PASS or FAIL against its target. Only
what does not depend on the machine's load is asserted (the output, the memory): this 2-core
machine is shared, and its timings vary 2x from run to run.
"""

from __future__ import annotations

import compileall
import contextlib
import json
import os
import resource
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import core
from core import kinds, open_store

from .measure import NODEKEEPER, PEAK, measured_with_output
from .pg_copy import copied_to_postgresql, plain_url
from .tui_pty import demo_store

pytestmark = pytest.mark.perf

SIZES = (2000, 20000)
RUNS = 3
TARGET_LIST_S, TARGET_LIST_MIB, TARGET_GROWTH = 0.6, 80.0, 10.0
KIND = kinds.by_name("containers")
IMPORT_SQLALCHEMY = "import sys\nimport sqlalchemy\n" + PEAK


# -- the stores


@pytest.fixture(scope="module", autouse=True)
def compiled_core() -> None:
    """core's modules compiled to bytecode, as installing the package (pip) leaves them: where
    Python may not write bytecode (PYTHONDONTWRITEBYTECODE, as on the machine these run on),
    every command would otherwise compile them again, 0.1 s that no installed nodekeeper pays,
    while the baseline's SQLAlchemy loads compiled."""
    compileall.compile_dir(Path(core.__file__).parent, quiet=1)


@pytest.fixture(scope="module")
def sqlite_stores(tmp_path_factory: pytest.TempPathFactory) -> dict[int, str]:
    stores = {}
    for size in SIZES:
        path = tmp_path_factory.mktemp(f"scale{size}") / "nk.db"
        demo_store(path, containers=size, days=0)
        stores[size] = str(path)
    return stores


@pytest.fixture(scope="module")
def pg_stores(sqlite_stores: dict[int, str], pg_server: str) -> Iterator[dict[int, str]]:
    """The same rows in a schema of the PostgreSQL server per size."""
    with contextlib.ExitStack() as stack:
        yield {
            size: stack.enter_context(copied_to_postgresql(path, pg_server))
            for size, path in sqlite_stores.items()
        }


# -- measuring


def median_seconds(fn, clock=time.process_time, runs: int = RUNS) -> float:
    """CPU seconds of ``fn`` in this process, median of ``runs`` after a warm-up: CPU time,
    not wall time, so that other processes on the machine weigh less on the figure (a query
    on PostgreSQL also spends the server's time: there ``clock`` is the wall clock)."""
    fn()  # warm: the page cache, compiled statements
    samples = []
    for _ in range(runs):
        started = clock()
        fn()
        samples.append(clock() - started)
    return statistics.median(samples)


def median_runs(
    code: str, *argv: str, checkouts: dict[str, Path | None]
) -> dict[str, tuple[float, float, float, str]]:
    """Per checkout (None: this one): wall seconds, CPU seconds (user and system), peak MiB
    and output of the command, medians of RUNS (the peak: the highest), the checkouts'
    runs alternating so that a busy moment of the machine weighs on each alike."""
    results: dict[str, list[tuple[float, float, str]]] = {label: [] for label in checkouts}
    cpu: dict[str, list[float]] = {label: [] for label in checkouts}
    for _ in range(RUNS):
        for label, checkout in checkouts.items():
            where = {} if checkout is None else {
                "python": str(checkout / ".venv/bin/python"), "cwd": checkout}  # fmt: skip
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            results[label].append(measured_with_output(code, *argv, **where))
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[label].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return {
        label: (
            statistics.median(r[0] for r in runs), statistics.median(cpu[label]),
            max(r[1] for r in runs), runs[-1][2],
        )
        for label, runs in results.items()
    }  # fmt: skip


def median_run(code: str, *argv: str) -> tuple[float, float, float, str]:
    """``median_runs`` of this checkout alone."""
    return median_runs(code, *argv, checkouts={"this": None})["this"]


def driver_list(url: str) -> list[dict]:
    """Every container whole, read with the bare driver into dicts: the baseline."""
    if "://" in url:
        import psycopg

        conn = psycopg.connect(plain_url(url))
    else:
        import sqlite3

        conn = sqlite3.connect(url)
    cur = conn.cursor()
    cur.execute("SELECT id, name, architecture, type, power_state, ephemeral FROM containers "
                "ORDER BY name")  # fmt: skip
    rows = cur.fetchall()
    configs: dict[int, dict] = {}
    cur.execute("SELECT container_id, key, value FROM containers_config "
                "ORDER BY container_id, key")  # fmt: skip
    for cid, key, value in cur.fetchall():
        configs.setdefault(cid, {})[key] = value
    devices: dict[int, dict] = {}
    cur.execute("SELECT d.container_id, d.name, d.type, dc.key, dc.value FROM containers_devices d"
                " LEFT JOIN containers_devices_config dc ON dc.container_device_id = d.id")  # fmt: skip
    for cid, name, dtype, key, value in cur.fetchall():
        device = devices.setdefault(cid, {}).setdefault(name, {"type": dtype})
        if key is not None:
            device[key] = value
    profiles: dict[int, list] = {}
    cur.execute("SELECT cp.container_id, p.name FROM containers_profiles cp JOIN profiles p "
                "ON p.id = cp.profile_id ORDER BY cp.container_id, cp.apply_order")  # fmt: skip
    for cid, name in cur.fetchall():
        profiles.setdefault(cid, []).append(name)
    conn.close()
    return [
        {"name": r[1], "architecture": r[2], "type": r[3], "power_state": r[4],
         "ephemeral": bool(r[5]), "profiles": profiles.get(r[0], []),
         "config": configs.get(r[0], {}), "devices": devices.get(r[0], {})}
        for r in rows
    ]  # fmt: skip


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report_list(backend: str, stores: dict[int, str]) -> None:
    figures = {}
    clock = time.process_time if backend == "SQLite" else time.perf_counter
    what = "CPU" if backend == "SQLite" else "wall"
    print(f"\n{backend}: store.containers.list() against the bare driver into dicts ({what} s)")
    print(f"{'containers':>10}  {'list()':>9}  {'driver':>9}  {'ratio':>6}  {'read_columns':>12}")
    for size, url in stores.items():
        with open_store(url, read_only=True) as store:
            listed = median_seconds(store.containers.list, clock)
            columns = median_seconds(lambda store=store: KIND.read_columns(store), clock)
            assert len(store.containers.list()) == size
        driver = median_seconds(lambda url=url: driver_list(url), clock)
        figures[size] = (listed, columns)
        print(f"{size:>10}  {listed:>8.3f}s  {driver:>8.3f}s  {listed / driver:>5.2f}x  "
              f"{columns:>11.3f}s")  # fmt: skip
    small, large = (figures[s] for s in SIZES)
    for label, i in (("list()", 0), ("read_columns", 1)):
        growth = large[i] / small[i]
        print(f"growth {SIZES[0]:,} -> {SIZES[1]:,}, {label}: {growth:.1f}x "
              f"(target <= {TARGET_GROWTH:g}) {verdict(growth <= TARGET_GROWTH)}")  # fmt: skip


def test_list_containers_grows_linearly_on_sqlite(sqlite_stores):
    report_list("SQLite", sqlite_stores)


def test_list_containers_grows_linearly_on_postgresql(pg_stores):
    report_list("PostgreSQL", pg_stores)


def test_cli_list_streams_json_and_csv(sqlite_stores, pg_stores_or_none):
    backends = [("SQLite", sqlite_stores)]
    if pg_stores_or_none is not None:
        backends.append(("PostgreSQL", pg_stores_or_none))
    checkouts: dict[str, Path | None] = {"this": None}
    before_dir = os.environ.get("NODEKEEPER_PERF_BEFORE")
    if before_dir:
        checkouts["before"] = Path(before_dir)
        compileall.compile_dir(Path(before_dir) / "core", quiet=1)  # as compiled_core does
    floor_s, floor_cpu, floor_mib, _ = median_run(IMPORT_SQLALCHEMY)
    print(f"\nbaseline: python -c 'import sqlalchemy' {floor_s:.3f} s ({floor_cpu:.3f} s CPU), "
          f"{floor_mib:.0f} MiB; median of {RUNS}"
          + (f"; before: {before_dir}, run alternating with this" if before_dir else ""))  # fmt: skip
    print(f"{'backend':<11}{'containers':>10}  {'format':<7}{'code':<7}{'seconds':>9}{'ratio':>8}"
          f"{'CPU s':>8}{'ratio':>8}{'peak MiB':>10}")  # fmt: skip
    failures = []
    for backend, stores in backends:
        figures: dict[tuple[str, int], float] = {}
        for size, url in stores.items():
            for fmt in ("json", "csv"):
                measures = median_runs(
                    NODEKEEPER, "list", "containers", "--format", fmt, "--db", url,
                    checkouts=checkouts,
                )  # fmt: skip
                for label, (seconds, cpu, mib, out) in measures.items():
                    if label == "this":
                        figures[fmt, size] = cpu
                        if fmt == "json":
                            assert len(json.loads(out)) == size
                        else:
                            assert out.count("\n") == size + 1
                    else:
                        assert out == measures["this"][3], f"{label}'s {fmt} differs"
                    print(f"{backend:<11}{size:>10}  {fmt:<7}{label:<7}{seconds:>8.3f}s"
                          f"{seconds / floor_s:>7.2f}x{cpu:>7.3f}s{cpu / floor_cpu:>7.2f}x"
                          f"{mib:>10.1f}")  # fmt: skip
                seconds, cpu, mib, _ = measures["this"]
                if "before" in measures:
                    then = measures["before"]
                    print(f"  speed-up over before: {then[0] / seconds:.2f}x wall, "
                          f"{then[1] / cpu:.2f}x CPU, peak {mib - then[2]:+.1f} MiB")  # fmt: skip
                if size == SIZES[-1]:
                    print(f"  issue 12's target at {size:,}: <= {TARGET_LIST_S} s "
                          f"{verdict(seconds <= TARGET_LIST_S)}, <= {TARGET_LIST_MIB:g} MiB "
                          f"{verdict(mib <= TARGET_LIST_MIB)}; beyond the start-up "
                          f"(import sqlalchemy): {seconds - floor_s:.3f} s")  # fmt: skip
                    if mib > TARGET_LIST_MIB:
                        failures.append(f"{backend} {fmt} at {size}: {mib:.1f} MiB")
        for fmt in ("json", "csv"):
            growth = figures[fmt, SIZES[-1]] / figures[fmt, SIZES[0]]
            print(f"  growth {SIZES[0]:,} -> {SIZES[-1]:,}, {fmt}, CPU: {growth:.1f}x "
                  f"(the start-up is the same at both sizes)")  # fmt: skip
    assert not failures, failures


@pytest.fixture(scope="module")
def pg_stores_or_none(request: pytest.FixtureRequest):
    try:
        return request.getfixturevalue("pg_stores")
    except pytest.skip.Exception as skipped:
        print(f"\nPostgreSQL left out: {skipped}")
        return None
