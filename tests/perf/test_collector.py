"""Collector cost and write speed, measured: ``pytest -m perf tests/perf/test_collector.py -s``.

Each prints its figure, its baseline measured in the same run and the ratio, then asserts its
target:

- One reading's transaction, the collector's shape (one system sample, five network samples,
  the traffic accounting of six interface chains with the end of quiet periods, the heartbeat)
  through ``store.telemetry.record_reading``, against plain sqlite3 running the same statements
  into the same schema (with the same Python accounting, ``core.traffic_rules.account_rule``):
  target >= 0.5x its speed.
- CPU time of one collector cycle (psutil readings, deltas, traffic accounting, one write
  transaction on the kept connection, as ``Collector.run`` writes; no process lists), against
  its readings alone: target p50 <= 3 ms.
- The collector process, ``nodekeeper collect --interval 1`` on an existing store, over
  ``$NODEKEEPER_BENCH_SECONDS`` (60) s: its CPU <= 1% of a core and its RSS <= 40 MiB, beside
  the baselines under it run at the same time: a Python process that only imports SQLAlchemy,
  psutil and sqlite3 and sleeps (what any collector built on them holds before it does
  anything), and one that also writes a row a second into a one-table SQLite file. A second
  collector runs on a store holding a day of samples, as a collector's store does after a day
  (its rollups read an hour of them each minute).
- The same beside glances (``glances --stdout cpu.total -t 1``, installed in a venv of its own
  under ``~/.cache/nodekeeper-bench``; skipped with the reason when it cannot be installed),
  both running at once: its CPU <= 0.5x glances', its RSS beside glances' and the 40 MiB.
- On PostgreSQL (the collector then imports psycopg): its RSS beside the same collector on a
  SQLite file, run at the same time.

The processes run ``core`` compiled to bytecode, as installing the package leaves it: under
PYTHONDONTWRITEBYTECODE=1 (set on the machine these run on) an editable checkout would compile
``core`` at every start, which cost the collector about 1 MiB of RSS that no installed
nodekeeper holds.
- Metric ingest (50,000 rows in one call) against plain sqlite3 executemany: target >= 0.8x.
"""

from __future__ import annotations

import compileall
import os
import random
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil
import pytest

import core
from core import open_store
from core.collect import iptables, traffic
from core.collect.daemon import Collector
from core.samples import NetworkSample, SystemSample
from core.traffic_rules import ChainState, Reading, account_rule, period_start

pytestmark = pytest.mark.perf

CYCLES = 60
SHARE_SECONDS = float(os.environ.get("NODEKEEPER_BENCH_SECONDS", "60"))
INGEST_ROWS, INGEST_RUNS = 50_000, 5
READINGS, BLOCK = 1000, 50  # one-reading transactions, alternating blocks of BLOCK
TARGET_READING_RATIO, TARGET_CYCLE_MS = 0.5, 3.0
TARGET_SHARE, TARGET_GLANCES_RATIO, TARGET_RSS_MIB = 1.0, 0.5, 40.0
BENCH_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "nodekeeper-bench"


@pytest.fixture(scope="module", autouse=True)
def compiled_core() -> None:
    """core compiled to bytecode, as ``pip install`` leaves it (see the module's docstring)."""
    compileall.compile_dir(Path(core.__file__).parent, quiet=1)


def line(name: str, value: str, note: str = "") -> None:
    print(f"{name:<44} {value:>18}  {note}")


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


# -- one reading's transaction --------------------------------------------------------------

INTERFACES = ("eth0", "eth1", "wlan0")
BOOT = 1_699_000_000
# Readings from now on, a second apart, as the collector's (older ones would be a back-fill,
# which also checks the rollup watermark).
START = float(int(time.time()))


def reading(i: int) -> tuple[float, SystemSample, list[NetworkSample], list[Reading]]:
    """The i-th reading of a collector on a machine with three interfaces (and loopback)."""
    now = START + i
    when = datetime.fromtimestamp(now, UTC)
    t = int(now)
    system = SystemSample(t, 12.5, 2, 8 << 30, 4 << 30, 50.0, 100 << 30, 50 << 30, 50.0, 4096,
                          8192, 0.5, 0.4, 0.3)  # fmt: skip
    network = [NetworkSample(t, name, 1000 + i, 2000 + i, 10, 20) for name in (*INTERFACES, "lo")]
    network.append(NetworkSample(t, "", 3000, 6000, 30, 60, 0, 0, 0, 0, 5, 10, 2))
    readings = [Reading(f"{name}:{direction}", 10_000 * i + k, BOOT, when)
                for k, name in enumerate(INTERFACES) for direction in ("in", "out")]  # fmt: skip
    return now, system, network, readings


class PlainSqlite:
    """The same transaction written by hand on sqlite3: the statements the store runs, the
    values converted as SQLAlchemy stores them (naive UTC datetime strings, counters shifted
    by 2^63), the same accounting rules, every statement limited to the file's one node as the
    store's are. No savepoints, no checks of the input."""

    OFFSET = 1 << 63
    SYSTEM = "INSERT INTO system_metrics (node_id, {}) VALUES (?, {})".format(
        ", ".join(SystemSample._fields), ", ".join("?" * len(SystemSample._fields))
    )
    NETWORK = "INSERT INTO network_metrics (node_id, {}) VALUES (?, {})".format(
        ", ".join(NetworkSample._fields), ", ".join("?" * len(NetworkSample._fields))
    )
    SETTINGS = ("SELECT key, value FROM config WHERE node_id = ? "
                "AND key IN ('traffic.period', 'traffic.max_rate')")  # fmt: skip
    STATES = ("SELECT chain, last_raw, boot_time, value, period_start, time FROM trafficmonitor "
              "WHERE node_id = ? AND chain IN ({})")  # fmt: skip
    UPDATE = ("UPDATE trafficmonitor SET value = ?, time = ?, last_raw = ?, boot_time = ?, "
              "period_start = ? WHERE node_id = ? AND chain = ?")  # fmt: skip
    INSERT = ("INSERT INTO trafficmonitor (value, time, last_raw, boot_time, period_start, "
              "node_id, chain) VALUES (?, ?, ?, ?, ?, ?, ?)")  # fmt: skip
    QUIET = ("SELECT chain, value, period_start, time FROM trafficmonitor WHERE node_id = ? "
             "AND (period_start < ? OR period_start IS NULL) ORDER BY chain")  # fmt: skip
    HEARTBEAT = ("INSERT INTO metadata (node_id, key, value) VALUES (?, ?, ?) "
                 "ON CONFLICT (node_id, key) DO UPDATE SET value = excluded.value")  # fmt: skip
    NODE = ("UPDATE nodes SET last_heartbeat = ?, heartbeat_interval = ?, hostname = ?, "
            "version = ?, boot_time = ?, cpu_count = ?, memory_total = ? WHERE id = ?")  # fmt: skip

    def __init__(self, path: Path):
        self.conn = sqlite3.connect(path, isolation_level=None)
        for pragma in ("foreign_keys=ON", "busy_timeout=5000", "synchronous=NORMAL"):
            self.conn.execute(f"PRAGMA {pragma}")
        self.host = socket.gethostname()
        (self.node,) = self.conn.execute("SELECT id FROM nodes").fetchone()

    @staticmethod
    def stored(t: datetime | None) -> str | None:
        return None if t is None else f"{t.astimezone(UTC):%Y-%m-%d %H:%M:%S.%f}"

    @staticmethod
    def loaded(s: str | None) -> datetime | None:
        return None if s is None else datetime.fromisoformat(s).replace(tzinfo=UTC)

    def write(self, now: float, system, network, readings) -> None:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        node = self.node
        conn.execute(self.SYSTEM, (node, *system))
        conn.executemany(self.NETWORK, [(node, *n) for n in network])
        settings = dict(conn.execute(self.SETTINGS, (node,)).fetchall())
        period = settings.get("traffic.period", "day")
        max_rate = int(settings.get("traffic.max_rate", 10**10))
        names = sorted({r.chain for r in readings})
        rows = conn.execute(self.STATES.format(", ".join("?" * len(names))), (node, *names))
        states = {
            chain: ChainState(
                None if raw is None else raw + self.OFFSET,
                boot,
                value,
                self.loaded(start),
                self.loaded(time),
            )  # fmt: skip
            for chain, raw, boot, value, start, time in rows
        }
        existing = set(states)
        for r in readings:
            states[r.chain] = account_rule(
                states.get(r.chain), r, period=period, max_rate_bits=max_rate
            )[0]
        rows = [(s.value, self.stored(s.time), s.last_raw - self.OFFSET, s.boot_time,
                 self.stored(s.period_start), node, chain) for chain, s in states.items()]  # fmt: skip
        conn.executemany(self.UPDATE, [row for row in rows if row[-1] in existing])
        conn.executemany(self.INSERT, [row for row in rows if row[-1] not in existing])
        current = period_start(datetime.fromtimestamp(now, UTC), period)
        conn.execute(self.QUIET, (node, self.stored(current))).fetchall()
        conn.executemany(self.HEARTBEAT, [
            (node, "collector.heartbeat", repr(now)), (node, "collector.pid", str(os.getpid())),
            (node, "collector.host", self.host), (node, "collector.interval", "1.0"),
            (node, "collector.state", "running"),
        ])  # fmt: skip
        conn.execute(self.NODE, (self.stored(datetime.fromtimestamp(now, UTC)), 1.0, self.host,
                                 "bench", BOOT, system[2], system[3], node))  # fmt: skip
        conn.execute("COMMIT")


def test_one_reading_transaction_against_plain_sqlite3(tmp_path):
    store = open_store(tmp_path / "store.db")
    open_store(tmp_path / "plain.db").close()  # same schema, indexes and pragmas
    plain = PlainSqlite(tmp_path / "plain.db")
    ours_times, plain_times = [], []
    try:
        with store.kept_connection():  # as Collector.run() writes
            for start in range(0, READINGS, BLOCK):  # alternate: both see the same machine
                for i in range(start, start + BLOCK):
                    now, system, network, readings = reading(i)
                    began = time.perf_counter()
                    store.telemetry.record_reading(system, network, readings, now=now, interval=1.0)
                    ours_times.append(time.perf_counter() - began)
                for i in range(start, start + BLOCK):
                    now, system, network, readings = reading(i)
                    began = time.perf_counter()
                    plain.write(now, system, network, readings)
                    plain_times.append(time.perf_counter() - began)
        # Both stored the same thing.
        query = "SELECT chain, value, time, last_raw, boot_time, period_start FROM trafficmonitor"
        with store.reading() as conn:
            ours_state = sorted(conn.exec_driver_sql(query).all())
        assert [tuple(r) for r in ours_state] == sorted(plain.conn.execute(query).fetchall())
    finally:
        store.close()
        plain.conn.close()
    ours_us = statistics.median(ours_times[BLOCK:]) * 1e6  # the first block warms both up
    plain_us = statistics.median(plain_times[BLOCK:]) * 1e6
    ratio = plain_us / ours_us
    print(f"\none reading's transaction, median of {READINGS - BLOCK} each on a SQLite file")
    line(
        "store.telemetry.record_reading", f"{ours_us:.0f} us", f"{ratio:.2f}x the baseline's speed"
    )
    line("plain sqlite3, same statements (baseline)", f"{plain_us:.0f} us", "1.00x")
    print(f"target: >= {TARGET_READING_RATIO}x: {verdict(ratio >= TARGET_READING_RATIO)}")
    assert ratio >= TARGET_READING_RATIO


# -- one cycle ------------------------------------------------------------------------------


def test_cpu_time_of_one_collector_cycle(tmp_path):
    with open_store(tmp_path / "nk.db") as store, store.kept_connection():  # as run() does
        collector = Collector(store, interval=1.0)
        collector.system.read()  # baseline for the deltas
        for _ in range(5):  # warm: periodic tasks done, caches filled
            collector.cycle()
        cycles, readings = [], []
        for _ in range(CYCLES):  # alternate the two, so both see the same machine
            start = time.process_time()
            collector.cycle()
            cycles.append((time.process_time() - start) * 1000)
            start = time.process_time()
            read_only(collector)
            readings.append((time.process_time() - start) * 1000)
    p50, p90 = statistics.median(cycles), statistics.quantiles(cycles, n=10)[-1]
    read_p50 = statistics.median(readings)
    print(f"\ncollector cycle, {CYCLES} cycles on a SQLite file (CPU time)")
    line("cycle p50", f"{p50:.2f} ms", f"p90 {p90:.2f} ms, {p50 / read_p50:.1f}x the baseline")
    line("its readings alone, p50 (baseline)", f"{read_p50:.2f} ms", "1.0x")
    print(f"target: p50 <= {TARGET_CYCLE_MS} ms: {verdict(p50 <= TARGET_CYCLE_MS)}")
    assert p50 <= TARGET_CYCLE_MS


def read_only(collector: Collector) -> None:
    """What a cycle reads from the system, without writing it (``Collector.cycle``'s first
    half)."""
    now = time.time()
    when = datetime.fromtimestamp(now, UTC)
    counters = collector.system.net_counters()
    collector.system.read_system(int(now))
    collector.system.read_network(int(now), counters)
    boot = traffic.boot_time("/proc")
    if counters is not None:
        traffic.interface_readings({n: (c[0], c[1]) for n, c in counters.items()}, boot, when)
    traffic.counter_readings(iptables.read_service_counters(), boot, when)


# -- the collector process beside glances ---------------------------------------------------

# The floors under the collector's RSS: the interpreter with SQLAlchemy (which imports asyncio,
# and with it ssl), psutil and sqlite3 imported, idle; and the same writing a row a second.
IMPORTS = "import time, psutil, sqlalchemy, sqlite3\nwhile True: time.sleep(1)"
FLOOR = textwrap.dedent("""
    import sys, time
    import psutil, sqlalchemy as sa
    engine = sa.create_engine("sqlite:///" + sys.argv[1])
    t = sa.Table("t", sa.MetaData(), sa.Column("a", sa.Integer), sa.Column("b", sa.Float))
    t.metadata.create_all(engine)
    while True:
        with engine.begin() as conn:
            conn.execute(sa.insert(t), {"a": 1, "b": psutil.cpu_percent()})
        psutil.virtual_memory(), psutil.net_io_counters(pernic=True)
        time.sleep(1)
""")


def glances_command() -> list[str] | str:
    """glances from a venv of its own under the benchmark cache, installed on first use; or
    why it cannot be."""
    venv = BENCH_CACHE / "glances-venv"
    glances = venv / "bin" / "glances"
    if not glances.exists():
        try:
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True,
                           capture_output=True, timeout=300)  # fmt: skip
            subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "glances"], check=True,
                           capture_output=True, timeout=600)  # fmt: skip
        except (subprocess.SubprocessError, OSError) as exc:
            stderr = getattr(exc, "stderr", b"") or b""
            return f"glances cannot be installed: {stderr.decode(errors='replace')[-200:] or exc}"
    return [str(glances), "--stdout", "cpu.total", "-t", "1"]


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def side_by_side(tmp_path: Path, commands: dict[str, list[str]]) -> tuple[dict, dict, float]:
    """Run the commands at once for SHARE_SECONDS after 5 s of start-up; their CPU share of a
    core (%) and RSS (MiB) at the end, and the seconds measured."""
    procs = {name: subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                    text=True, cwd=tmp_path)  # fmt: skip
             for name, cmd in commands.items()}  # fmt: skip
    try:
        watched = {name: psutil.Process(p.pid) for name, p in procs.items()}
        time.sleep(5)  # start-up (imports, first reading) is not the steady cost
        before, t0 = {n: cpu_seconds(p) for n, p in watched.items()}, time.monotonic()
        time.sleep(SHARE_SECONDS)
        after, t1 = {n: cpu_seconds(p) for n, p in watched.items()}, time.monotonic()
        rss = {n: p.memory_info().rss / 2**20 for n, p in watched.items()}
        alive = {n: p.poll() is None for n, p in procs.items()}
    finally:
        for proc in procs.values():
            proc.send_signal(signal.SIGTERM)
        errors = {name: proc.communicate(timeout=30)[1] for name, proc in procs.items()}
    assert all(alive.values()), f"a process ended early: {alive} {errors}"
    for name, proc in procs.items():  # a collector stops cleanly on SIGTERM
        if "collect" in commands[name]:
            assert proc.returncode == 0, errors[name]
    share = {n: (after[n] - before[n]) / (t1 - t0) * 100 for n in watched}
    return share, rss, t1 - t0


def collector_command(tmp_path: Path, db: str | Path | None = None) -> list[str]:
    """``nodekeeper collect --interval 1`` on ``db`` (a URL), else on a new SQLite file."""
    if db is None:
        db = tmp_path / "nk.db"
    open_store(db).close()  # an existing store, as a service finds it after its first start
    return [sys.executable, "-m", "core.cli", "--db", str(db), "collect", "--interval", "1"]


def day_of_samples(path: Path) -> Path:
    """A store holding the last day of samples, one a second, of a machine with four
    interfaces (and loopback), rolled up to the hour before this one."""
    now = int(time.time())
    seconds = range(now - 86400, now)
    system = [SystemSample(t, 12.5, 2, 8 << 30, 4 << 30, 50.0, 100 << 30, 50 << 30, 50.0, 4096,
                           8192, 0.5, 0.4, 0.3) for t in seconds]  # fmt: skip
    network = [NetworkSample(t, name, 1000 + t, 2000 + t, 10, 20)
               for t in seconds for name in ("eth0", "eth1", "wlan0", "lo")]  # fmt: skip
    network += [NetworkSample(t, "", 3000 + t, 6000 + t, 30, 60, 0, 0, 0, 0, 5, 10, 2)
                for t in seconds]  # fmt: skip
    with open_store(path) as store:
        store.telemetry.insert_samples(system, network)
        store.telemetry.update_aggregates(now - 3600)
    return path


def rss_lines(rss: dict[str, float], names: dict[str, str]) -> None:
    """Each process's RSS, as a multiple of the first baseline's (the imports alone)."""
    base = rss["imports"]
    for key, name in names.items():
        line(name, f"{rss[key]:.1f} MiB", f"{rss[key] / base:.2f}x the imports' alone")


def test_collector_process_cpu_and_rss(tmp_path):
    day = day_of_samples(tmp_path / "day.db")
    share, rss, seconds = side_by_side(tmp_path, {
        "collector": collector_command(tmp_path),
        "day": collector_command(tmp_path, day),
        "imports": [sys.executable, "-c", IMPORTS],
        "floor": [sys.executable, "-c", FLOOR, str(tmp_path / "floor.db")],
    })  # fmt: skip
    with open_store(tmp_path / "nk.db") as store:
        written = len(store.telemetry.system_samples(0))
    print(f"\nnodekeeper collect --interval 1, {seconds:.0f} s, {written} readings written")
    line("collector CPU share of one core", f"{share['collector']:.2f} %",
         f"{share['collector'] / TARGET_SHARE:.2f}x the {TARGET_SHARE}% target")  # fmt: skip
    line("collector CPU, a day of samples in its store", f"{share['day']:.2f} %")
    rss_lines(rss, {
        "collector": "collector RSS",
        "day": "collector RSS, a day of samples in its store",
        "imports": "baseline: import sqlalchemy, psutil, sqlite3",
        "floor": "baseline: the same, writing a row a second",
    })  # fmt: skip
    largest = max(rss["collector"], rss["day"])
    checks = {
        f"CPU <= {TARGET_SHARE}% of a core": share["collector"] <= TARGET_SHARE,
        f"RSS <= {TARGET_RSS_MIB:.0f} MiB (both stores)": largest <= TARGET_RSS_MIB,
    }
    for name, ok in checks.items():
        print(f"target: {name}: {verdict(ok)}")
    assert all(checks.values())


@pytest.mark.postgresql
def test_collector_process_rss_on_postgresql(tmp_path, pg_url):
    share, rss, seconds = side_by_side(tmp_path, {
        "postgresql": collector_command(tmp_path, pg_url),
        "sqlite": collector_command(tmp_path),
        "imports": [sys.executable, "-c", IMPORTS],
    })  # fmt: skip
    print(f"\nnodekeeper collect --interval 1 on PostgreSQL and on a SQLite file, {seconds:.0f} s")
    line("collector CPU share, PostgreSQL", f"{share['postgresql']:.2f} %")
    line("collector CPU share, SQLite", f"{share['sqlite']:.2f} %")
    rss_lines(rss, {
        "postgresql": "collector RSS, PostgreSQL (psycopg)",
        "sqlite": "collector RSS, SQLite",
        "imports": "baseline: import sqlalchemy, psutil, sqlite3",
    })  # fmt: skip
    ok = rss["postgresql"] <= TARGET_RSS_MIB
    print(f"target: RSS <= {TARGET_RSS_MIB:.0f} MiB on PostgreSQL: {verdict(ok)}")
    assert ok


def test_collector_process_beside_glances(tmp_path):
    glances = glances_command()
    if isinstance(glances, str):
        pytest.skip(glances)
    share, rss, seconds = side_by_side(tmp_path, {
        "collector": collector_command(tmp_path),
        "glances": glances,
        "imports": [sys.executable, "-c", IMPORTS],
    })  # fmt: skip
    cpu_ratio = share["collector"] / share["glances"]
    print(
        f"\nnodekeeper collect --interval 1 beside glances --stdout cpu.total -t 1, {seconds:.0f} s"
    )
    line("collector CPU share of one core", f"{share['collector']:.2f} %",
         f"{cpu_ratio:.2f}x the baseline's")  # fmt: skip
    line("glances CPU share (baseline)", f"{share['glances']:.2f} %", "1.00x")
    line("collector RSS", f"{rss['collector']:.1f} MiB",
         f"{rss['collector'] / rss['glances']:.2f}x the baseline's")  # fmt: skip
    line("glances RSS (baseline)", f"{rss['glances']:.1f} MiB", "1.00x")
    line("import sqlalchemy, psutil, sqlite3 RSS", f"{rss['imports']:.1f} MiB",
         f"{rss['imports'] / rss['glances']:.2f}x")  # fmt: skip
    checks = {
        f"CPU <= {TARGET_GLANCES_RATIO}x glances'": cpu_ratio <= TARGET_GLANCES_RATIO,
        f"RSS <= {TARGET_RSS_MIB:.0f} MiB": rss["collector"] <= TARGET_RSS_MIB,
    }
    for name, ok in checks.items():
        print(f"target: {name}: {verdict(ok)}")
    assert all(checks.values())


# -- bulk ingest ----------------------------------------------------------------------------


def test_ingest_against_plain_sqlite3_executemany(tmp_path):
    rng = random.Random(1)
    samples = [
        SystemSample(
            1_700_000_000 + i,
            rng.uniform(0, 100),
            2,
            8 << 30,
            rng.randint(1, 8 << 30),
            rng.uniform(0, 100),
            100 << 30,
            50 << 30,
            50.0,
            rng.randint(0, 10**6),
            rng.randint(0, 10**6),
            0.5,
            0.4,
            0.3,
        )  # fmt: skip
        for i in range(INGEST_ROWS)
    ]
    columns = SystemSample._fields
    sql = f"INSERT INTO system_metrics ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    rows = [tuple(s) for s in samples]  # the baseline gets its rows ready-made
    ours, plain = [], []
    for run in range(INGEST_RUNS):  # alternate, so both see the same machine
        with open_store(tmp_path / f"store{run}.db") as store:
            start = time.perf_counter()
            store.telemetry.insert_samples(samples)
            ours.append(time.perf_counter() - start)
        open_store(tmp_path / f"plain{run}.db").close()  # same schema, indexes and pragmas
        conn = sqlite3.connect(tmp_path / f"plain{run}.db", isolation_level=None)
        conn.execute("PRAGMA synchronous=NORMAL")
        start = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(sql, rows)
        conn.execute("COMMIT")
        plain.append(time.perf_counter() - start)
        conn.close()
    ours_rate = INGEST_ROWS / statistics.median(ours)
    plain_rate = INGEST_ROWS / statistics.median(plain)
    ratio = ours_rate / plain_rate
    print(f"\ningest of {INGEST_ROWS} system_metrics rows, median of {INGEST_RUNS} runs each")
    line("store.telemetry.insert_samples", f"{ours_rate:,.0f} rows/s", f"{ratio:.2f}x the baseline")
    line("plain sqlite3 executemany (baseline)", f"{plain_rate:,.0f} rows/s", "1.00x")
    print(f"target: >= 0.8x: {verdict(ratio >= 0.8)}")
    assert ratio >= 0.8
