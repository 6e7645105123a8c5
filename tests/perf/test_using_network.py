"""Seed 003's claim, measured: "which containers use br0?" from the database against reading
every container's LXC config file. Run on demand: ``pytest -m perf tests/perf -s``.

The baseline is the fastest file scan, a bare line filter (a lower bound for any scan; the
full parse is printed too). Prints a table of figures, the ratios against the baseline and
issue 12's targets with PASS/FAIL (ratio >= 150, p50 <= 0.5 ms), on SQLite and on PostgreSQL
(each against the scan measured in its own run); asserted: half of them, ratio >= 75 and p50 <=
1 ms on SQLite, since this shared machine's timings vary 2x from run to run.

The API's own cost is measured too: the same SQL run with the bare driver (sqlite3, psycopg) on
a connection held open, the calls alternating with the API's; target: the API within 1.2x of
it (asserted: both run in the same moments, so the machine's load cancels out). PostgreSQL is
reported beside SQLite on the same rows (skipped with the reason when there is no server).
"""

from __future__ import annotations

import sqlite3
import statistics
import time
from pathlib import Path

import pytest

from core import open_store
from core.importers import import_lxc, parse_container
from core.store.containers import _USING_NETWORK_SQL

from .lxc_fixture import generate, write_lxc, write_store
from .pg_copy import copied_to_postgresql, plain_url

NETWORK = "br0"
CALLS, WARMUP = 200, 20
SCAN_RUNS = 5
# Against the minimal scan, on the 2-core machine shared with other test runs: a ratio of 24.1
# while the overlay was worked out on every call, 171 (p50 0.25 ms) once read from
# containers_networks. (Against parse_container the first target was 100.)
TARGET_RATIO, TARGET_P50_MS = 75, 1.0
ISSUE_RATIO, ISSUE_P50_MS = 150, 0.5  # issue 12's targets, printed
TARGET_OVER_DRIVER = 1.2  # the API against the same SQL through the bare driver

pytestmark = pytest.mark.perf


def scan_parse_container(directory: Path, network: str) -> set[str]:
    """The answer without a database: parse every container's config (includes, legacy keys,
    interface names: what import_lxc understands) and look at its nics."""
    found = set()
    for sub in directory.iterdir():
        if not sub.is_dir():
            continue
        info = parse_container(sub)
        for dev in info.devices.values():
            if dev["type"] == "nic" and network in (dev.get("parent"), dev.get("network")):
                found.add(info.name)
                break
    return found


def scan_minimal(directory: Path, network: str) -> set[str]:
    """A lower bound for any file scan: read each config, keep lxc.net.N.link lines. (The
    generated configs include only common.conf, which has no network, so it is not followed.)"""
    found = set()
    for sub in directory.iterdir():
        config = sub / "config"
        if not sub.is_dir() or not config.is_file():
            continue
        with open(config, encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("lxc.net.") and ".link" in line:
                    key, _, value = line.partition("=")
                    if key.strip().endswith(".link") and value.strip() == network:
                        found.add(sub.name)
                        break
    return found


def timed(fn, *args) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def driver_sql(store) -> tuple[str, object]:
    """The SQL of using_network as the store's dialect compiles it, and its parameters."""
    compiled = _USING_NETWORK_SQL.statement.compile(dialect=store.engine.dialect)
    values = compiled.construct_params({"net": NETWORK, "node": store.node_id})
    if compiled.positional:
        return compiled.string, [values[name] for name in compiled.positiontup]
    return compiled.string, values


def api_against_driver(store, connect) -> tuple[float, float, list[str]]:
    """p50 (ms) of using_network and of the same SQL on a bare driver connection held open,
    the calls alternating; and the API's answer."""
    sql, params = driver_sql(store)
    connection = connect()

    def plain() -> list[str]:
        cursor = connection.cursor()
        cursor.execute(sql, params)
        names = [row[0] for row in cursor.fetchall()]
        cursor.close()
        return names

    for _ in range(WARMUP):
        answer = store.containers.using_network(NETWORK)
        assert plain() == answer
    api, driver = [], []
    for _ in range(CALLS):
        api.append(timed(store.containers.using_network, NETWORK)[0])
        driver.append(timed(plain)[0])
    connection.close()
    return statistics.median(api) * 1e3, statistics.median(driver) * 1e3, answer


def vm_steps(path: Path, sql: str, params: object = ()) -> int:
    """The SQLite virtual machine's steps to answer ``sql``: the query's own work, which the
    machine's load does not change (its timings vary 2x here from run to run)."""
    connection = sqlite3.connect(path)
    steps = 0

    def step() -> int:
        nonlocal steps
        steps += 1
        return 0

    connection.set_progress_handler(step, 1)
    connection.execute(sql, params).fetchall()
    connection.close()
    return steps


def warm_scan_ms(lxc_dir: Path, expected: set[str]) -> float:
    """The baseline: the minimal scan's median, page cache warm."""
    assert scan_minimal(lxc_dir, NETWORK) == expected
    return (
        statistics.median(timed(scan_minimal, lxc_dir, NETWORK)[0] for _ in range(SCAN_RUNS)) * 1e3
    )


def verdict(p50_ms: float, baseline_ms: float) -> str:
    """Issue 12's targets met or not, for a line of the report."""
    ratio = baseline_ms / p50_ms
    return (
        f"ratio {ratio:.1f} (>= {ISSUE_RATIO}) {'PASS' if ratio >= ISSUE_RATIO else 'FAIL'}, "
        f"p50 {p50_ms:.3f} ms (<= {ISSUE_P50_MS:g}) {'PASS' if p50_ms <= ISSUE_P50_MS else 'FAIL'}"
    )


def checkpoint_size(store, path: Path) -> int:
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.stat().st_size


def test_using_network_against_scanning_lxc_config_files(tmp_path: Path):
    data = generate()
    n = len(data.containers)
    db_path = tmp_path / "bench.db"
    lxc_dir = write_lxc(tmp_path / "lxc", data)
    expected = data.using_network(NETWORK)

    with open_store(db_path) as store:
        build_s, _ = timed(write_store, store, data)
        db_size = checkpoint_size(store, db_path)

        # -- the database, through the public API
        for _ in range(WARMUP):
            db_answer = store.containers.using_network(NETWORK)
        samples = []
        for _ in range(CALLS):
            elapsed, db_answer = timed(store.containers.using_network, NETWORK)
            samples.append(elapsed)
        # -- the API's own cost: the same SQL through the bare driver
        api_ms, driver_ms, _ = api_against_driver(store, lambda: sqlite3.connect(db_path))
        query_steps = vm_steps(db_path, *driver_sql(store))
    # the reference: every container's name from its index, in order
    names_steps = vm_steps(db_path, "SELECT name FROM containers ORDER BY name")
    quantiles = statistics.quantiles(samples, n=10)
    p50_ms, p90_ms = statistics.median(samples) * 1e3, quantiles[8] * 1e3

    # -- the file scans, page cache warm
    scan_minimal(lxc_dir, NETWORK)
    scan_parse_container(lxc_dir, NETWORK)
    full_runs, minimal_runs = [], []
    for _ in range(SCAN_RUNS):
        elapsed, full_answer = timed(scan_parse_container, lxc_dir, NETWORK)
        full_runs.append(elapsed)
        elapsed, minimal_answer = timed(scan_minimal, lxc_dir, NETWORK)
        minimal_runs.append(elapsed)
    full_ms = statistics.median(full_runs) * 1e3
    minimal_ms = statistics.median(minimal_runs) * 1e3

    # -- import-lxc into a fresh SQLite file store
    import_path = tmp_path / "imported.db"
    with open_store(import_path) as imported:
        import_s, report = timed(import_lxc, imported, lxc_dir)
        imported_answer = set(imported.containers.using_network(NETWORK))
        imported_size = checkpoint_size(imported, import_path)

    # The fastest scan is the baseline: the database must beat any way of reading the files.
    baseline_ms = minimal_ms
    ratio = baseline_ms / p50_ms
    rows = [
        ("file scan, minimal line filter (baseline)", f"{minimal_ms:10.2f} ms", f"{1:8.1f}x"),
        ("file scan, parse_container", f"{full_ms:10.2f} ms", f"{baseline_ms / full_ms:8.1f}x"),
        (f"using_network({NETWORK!r}) p50", f"{p50_ms:10.3f} ms", f"{baseline_ms / p50_ms:8.1f}x"),
        (f"using_network({NETWORK!r}) p90", f"{p90_ms:10.3f} ms", f"{baseline_ms / p90_ms:8.1f}x"),
        ("ratio scan/db (baseline / p50)", f"{ratio:10.1f}", ""),
        ("using_network, alternating with the driver, p50", f"{api_ms:10.3f} ms", ""),
        ("same SQL, bare sqlite3 held open, p50", f"{driver_ms:10.3f} ms",
         f"API {api_ms / driver_ms:.2f}x the driver"),
        ("ratio parse_container scan/db", f"{full_ms / p50_ms:10.1f}", ""),
        ("SQLite VM steps of the query", f"{query_steps:10d}",
         f"{query_steps / names_steps:.1f}x reading every name in order ({names_steps})"),
        ("import-lxc throughput", f"{n / import_s:10.0f} containers/s", f"({import_s:.2f} s)"),
        ("store build (create, one transaction)", f"{n / build_s:10.0f} containers/s", f"({build_s:.2f} s)"),
        ("database file size (generated)", f"{db_size:10d} bytes", f"({db_size / n:.0f} B/container)"),
        ("database file size (imported)", f"{imported_size:10d} bytes", f"({imported_size / n:.0f} B/container)"),
    ]  # fmt: skip
    width = max(len(r[0]) for r in rows)
    print()
    print(
        f"nodekeeper benchmark: {n} containers, {len(expected)} on {NETWORK}, SQLite file, "
        f"{CALLS} calls after {WARMUP} warm-up, scans median of {SCAN_RUNS}"
    )
    print(f"{'measure':<{width}}  {'value':>22}  ratio against baseline")
    for label, value, against in rows:
        print(f"{label:<{width}}  {value:>22}  {against}")
    ratio_ok, p50_ok = ratio >= TARGET_RATIO, p50_ms <= TARGET_P50_MS
    over_ok = api_ms / driver_ms <= TARGET_OVER_DRIVER
    print(
        f"issue 12 on SQLite: {verdict(p50_ms, baseline_ms)}, API/driver "
        f"{api_ms / driver_ms:.2f} (<= {TARGET_OVER_DRIVER}) {'PASS' if over_ok else 'FAIL'}"
    )
    print(
        f"target: ratio >= {TARGET_RATIO}, p50 <= {TARGET_P50_MS:g} ms: "
        f"ratio {ratio:.1f} {'PASS' if ratio_ok else 'FAIL'}, "
        f"p50 {p50_ms:.3f} ms {'PASS' if p50_ok else 'FAIL'}"
    )

    # correctness: the model, the database, both scans and the imported store agree
    assert set(db_answer) == expected
    assert full_answer == expected
    assert minimal_answer == expected
    assert report.ok, report.failed
    assert len(report.created) == n
    assert imported_answer == expected
    # the targets
    assert ratio_ok, f"ratio scan/db {ratio:.1f} < {TARGET_RATIO}"
    assert p50_ok, f"p50 {p50_ms:.3f} ms > {TARGET_P50_MS} ms"
    assert over_ok, f"the API is {api_ms / driver_ms:.2f}x the bare driver"


def test_using_network_on_postgresql_beside_sqlite(tmp_path: Path, pg_server: str):
    """The same rows in a PostgreSQL schema: the API against the same SQL through psycopg."""
    import psycopg

    data = generate()
    db_path = tmp_path / "bench.db"
    with open_store(db_path) as store:
        write_store(store, data)
    with copied_to_postgresql(str(db_path), pg_server) as url, open_store(url) as store:
        api_ms, driver_ms, answer = api_against_driver(
            store, lambda: psycopg.connect(plain_url(url))
        )
    baseline_ms = warm_scan_ms(write_lxc(tmp_path / "lxc", data), data.using_network(NETWORK))
    over = api_ms / driver_ms
    print(
        f"\nPostgreSQL, {len(data.containers)} containers, {len(answer)} on {NETWORK}: "
        f"using_network p50 {api_ms:.3f} ms, the same SQL through psycopg {driver_ms:.3f} ms, "
        f"API {over:.2f}x the driver (target <= {TARGET_OVER_DRIVER}) "
        f"{'PASS' if over <= TARGET_OVER_DRIVER else 'FAIL'}; minimal file scan "
        f"{baseline_ms:.2f} ms\nissue 12 on PostgreSQL: {verdict(api_ms, baseline_ms)}"
    )
    assert set(answer) == data.using_network(NETWORK)
