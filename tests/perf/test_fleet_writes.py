"""Issue 13's fleet, measured: 50 nodes writing into one PostgreSQL at once. Run on demand:

    .venv/bin/pytest -m perf tests/perf/test_fleet_writes.py -s

Each simulated node is a process of its own (as a host would be), opened as its own node
(``open_store(url, node="bench-NN")``), writing once a second for ``NODEKEEPER_BENCH_SECONDS``
(60) what a collector cycle writes: a system sample, network samples (three interfaces and the
total) and the traffic accounting of six chains, with the node's heartbeat, in one transaction
(``store.telemetry.record_reading``) on a kept connection. The nodes' seconds are spread over
the second (node k writes at k/50 s past it), as independent hosts' collectors are.

The baseline is one node alone at the same rate, measured in the same run, half of its seconds
before the fleet and half after (on a shared machine the load moves: one side alone misled).
Printed: the write latency p50 and p99 of both and their ratio; asserted: zero errors and every
reading of every node stored, each in its node's rows.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

NODES = 50
SECONDS = int(os.environ.get("NODEKEEPER_BENCH_SECONDS", "60"))
INTERFACES = ("eth0", "eth1", "wlan0")
BOOT = 1_699_000_000
ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.perf, pytest.mark.postgresql]


def line(name: str, value: str, note: str = "") -> None:
    print(f"{name:<44} {value:>18}  {note}")


def readings_at(now: float, i: int):
    """What node's i-th cycle writes at ``now`` (as tests/perf/test_collector.py's reading)."""
    from core.samples import NetworkSample, SystemSample
    from core.traffic_rules import Reading

    when = datetime.fromtimestamp(now, UTC)
    t = int(now)
    system = SystemSample(t, 12.5, 2, 8 << 30, 4 << 30, 50.0, 100 << 30, 50 << 30, 50.0, 4096,
                          8192, 0.5, 0.4, 0.3)  # fmt: skip
    network = [NetworkSample(t, name, 1000 + i, 2000 + i, 10, 20) for name in INTERFACES]
    network.append(NetworkSample(t, "", 3000, 6000, 30, 60, 0, 0, 0, 0, 5, 10, 2))
    readings = [Reading(f"{name}:{direction}", 10_000 * i + k, BOOT, when)
                for k, name in enumerate(INTERFACES) for direction in ("in", "out")]  # fmt: skip
    return system, network, readings


def node_main(url: str, node: str, seconds: int, phase: float) -> None:
    """One simulated node (a process): once its store is open, says ``ready`` and reads the
    start time from stdin; then a reading every second from ``start + phase``; prints its
    latencies (seconds) and errors as one JSON line."""
    from core import open_store

    latencies, errors = [], []
    with open_store(url, node=node) as store, store.kept_connection():
        # A collector has read its settings before its first cycle; in a transaction, on the
        # kept connection: one connection per node, as a collector (PostgreSQL's default
        # max_connections is 100).
        with store.transaction():
            store.traffic.settings()
        print("ready", flush=True)
        start = float(sys.stdin.readline())
        for i in range(seconds):
            due = start + phase + i
            time.sleep(max(0.0, due - time.time()))
            system, network, readings = readings_at(due, i)
            began = time.perf_counter()
            try:
                store.telemetry.record_reading(system, network, readings, now=due, interval=1.0)
            except Exception as exc:  # counted, reported; the node keeps going as a collector
                errors.append(f"{type(exc).__name__}: {exc}")
            latencies.append(time.perf_counter() - began)
    print(json.dumps({"node": node, "latencies": latencies, "errors": errors}))


def run_nodes(url: str, names: list[str], seconds: int) -> list[dict]:
    """``names`` as processes writing at once, from when all of them have opened their
    stores; each one's JSON result."""
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, url, name, str(seconds), repr(k / len(names))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )  # fmt: skip
        for k, name in enumerate(names)
    ]
    for proc in procs:
        if proc.stdout.readline().strip() != "ready":  # type: ignore[union-attr]
            for other in procs:
                other.kill()
            raise AssertionError(f"a node did not start: {proc.communicate()[1]}")
    start = float(int(time.time()) + 2)
    for proc in procs:
        proc.stdin.write(f"{start!r}\n")  # type: ignore[union-attr]
        proc.stdin.flush()  # type: ignore[union-attr]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=seconds + 120)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def percentiles(values: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(values, n=100)
    return statistics.median(values) * 1000, cuts[98] * 1000


def test_fifty_nodes_write_into_one_postgresql(pg_url):
    from sqlalchemy import func, select

    from core import open_store
    from core.models.nodes import Node
    from core.models.telemetry import SystemMetric

    open_store(pg_url, node="bench-setup").close()  # the schema, once
    before = run_nodes(pg_url, ["alone"], SECONDS // 2)
    fleet = run_nodes(pg_url, [f"bench-{k:02d}" for k in range(NODES)], SECONDS)
    after = run_nodes(pg_url, ["alone"], SECONDS - SECONDS // 2)
    baseline = [{"node": "alone", "latencies": before[0]["latencies"] + after[0]["latencies"],
                 "errors": before[0]["errors"] + after[0]["errors"]}]  # fmt: skip

    errors = [e for r in (*baseline, *fleet) for e in r["errors"]]
    alone_p50, alone_p99 = percentiles(baseline[0]["latencies"])
    fleet_p50, fleet_p99 = percentiles([v for r in fleet for v in r["latencies"]])
    writes = sum(len(r["latencies"]) for r in fleet)
    print(f"\n{NODES} nodes (processes) each writing a reading a second for {SECONDS} s into one "
          f"PostgreSQL ({writes} transactions), beside one node alone at the same rate")  # fmt: skip
    line("fleet write latency p50", f"{fleet_p50:.2f} ms",
         f"{fleet_p50 / alone_p50:.2f}x the baseline's")  # fmt: skip
    line("fleet write latency p99", f"{fleet_p99:.2f} ms",
         f"{fleet_p99 / alone_p99:.2f}x the baseline's")  # fmt: skip
    line("one node alone p50 (baseline)", f"{alone_p50:.2f} ms", "1.00x")
    line("one node alone p99 (baseline)", f"{alone_p99:.2f} ms", "1.00x")
    for name, part in (("before", before), ("after", after)):
        p50, p99 = percentiles(part[0]["latencies"])
        line(f"  alone {name} the fleet, p50 / p99", f"{p50:.2f} / {p99:.2f} ms")
    line("errors", str(len(errors)), "; ".join(sorted(set(errors))[:3]))
    print("command: .venv/bin/pytest -m perf tests/perf/test_fleet_writes.py -s")
    assert errors == []

    # Every reading of every node is stored, in its node's rows.
    t, n = SystemMetric.__table__, Node.__table__
    with open_store(pg_url, node="bench-setup") as store, store.reading() as conn:
        per_node = dict(
            conn.execute(
                select(n.c.name, func.count(t.c.id))
                .join(t, t.c.node_id == n.c.id)
                .group_by(n.c.name)
            ).all()
        )
    assert per_node == {r["node"]: SECONDS for r in (*baseline, *fleet)}


if __name__ == "__main__":  # one simulated node: url node seconds phase
    sys.path.insert(0, str(ROOT))
    node_main(sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
