"""Two nodes in one database (a PostgreSQL schema, a SQLite file): each node's services, claim
sets, traffic accounting, samples, rollups and collector are its own, even where their names
are the same; the collector's lock is per node; a node's heartbeat and its removal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from core import open_store
from core.collect.daemon import Collector
from core.collect.lock import collector_lock
from core.errors import StoreError
from core.models import metadata
from core.samples import NetworkSample, SystemSample
from core.traffic_rules import Reading

BOOT = 1_700_000_000
T0 = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
NOW = int(T0.timestamp())


@pytest.fixture(params=["sqlite-file", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def fleet_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite-file":
        return str(tmp_path / "fleet.db")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def two_nodes(fleet_url):
    a = open_store(fleet_url, node="node-a")
    b = open_store(fleet_url, node="node-b")
    yield a, b
    a.close()
    b.close()


def wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


def fill(store, *, raw: int, limit: int, cpu: float) -> None:
    """The same names on every node: service ``web``, claim set ``["u1"]``, its chains and
    ``eth0``'s, a system and a network sample."""
    store.services.create("web", dl_limit=limit, path=f"/srv/{store.node}")
    store.users.bind(["u1"], "web", storage_folder=f"/data/{store.node}")
    store.traffic.record([
        Reading("service:web:in", 0, BOOT, T0), Reading("eth0:in", 0, BOOT, T0),
    ])  # fmt: skip
    store.traffic.record([
        Reading("service:web:in", raw, BOOT, T0.replace(minute=1)),
        Reading("eth0:in", raw * 2, BOOT, T0.replace(minute=1)),
    ])  # fmt: skip
    store.telemetry.insert_samples(
        [SystemSample(NOW, cpu_percent=cpu, memory_percent=cpu / 2)],
        [NetworkSample(NOW, "", bytes_sent=raw)],
    )


def node_rows(store, node: str) -> dict[str, int]:
    """Rows per node-scoped table that belong to ``node``, counted in SQL."""
    from core.models.nodes import Node

    nodes = Node.__table__
    with store.reading() as conn:
        node_id = conn.scalar(select(nodes.c.id).where(nodes.c.name == node))
        counts = {}
        for table in metadata.sorted_tables:
            if "node_id" in table.c:
                query = select(func.count()).select_from(table).where(table.c.node_id == node_id)
                counts[table.name] = int(conn.scalar(query) or 0)
    return counts


def test_two_nodes_with_the_same_service_ids_and_chains_keep_their_own_rows(two_nodes):
    a, b = two_nodes
    fill(a, raw=100, limit=1000, cpu=10.0)
    fill(b, raw=5000, limit=1000, cpu=80.0)

    assert a.services.get("web").path == "/srv/node-a"
    assert b.services.get("web").path == "/srv/node-b"
    assert [e.storage_folder for e in a.users.entries("web")] == ["/data/node-a"]
    assert [e.storage_folder for e in b.users.entries("web")] == ["/data/node-b"]
    assert a.traffic.get("service:web:in").value == 100
    assert b.traffic.get("service:web:in").value == 5000
    assert a.traffic.get("eth0:in").value == 200 and b.traffic.get("eth0:in").value == 10000
    # Only b's web went over its limit: the flag and its warning are b's.
    assert (a.services.get("web").status, b.services.get("web").status) == ("ok", "limit_exceeded")
    assert [s["cpu_percent"] for s in a.telemetry.system_samples(0)] == [10.0]
    assert [s["cpu_percent"] for s in b.telemetry.system_samples(0)] == [80.0]

    # Deleting a's web takes a's bindings and chains only.
    a.services.delete("web")
    assert a.services.ids() == [] and a.traffic.names() == ["eth0:in"]
    assert b.services.ids() == ["web"] and b.users.services_of(["u1"]) == ["web"]
    assert b.traffic.names() == ["eth0:in", "service:web:in"]


def test_rollups_and_retention_are_per_node(two_nodes):
    a, b = two_nodes
    old = NOW - 30 * 86400
    for store, cpu in ((a, 20.0), (b, 60.0)):
        store.telemetry.insert_samples(
            [SystemSample(t, cpu_percent=cpu, memory_percent=cpu) for t in (old, NOW)],
            [NetworkSample(t, "", bytes_sent=1) for t in (old, NOW)],
        )
    a.telemetry.update_aggregates(NOW)
    assert {h["avg_cpu_percent"] for h in a.telemetry.hourly()} == {20.0}
    assert b.telemetry.hourly() == []  # b's watermark and rollups are b's
    b.telemetry.update_aggregates(NOW)
    assert {h["avg_cpu_percent"] for h in b.telemetry.hourly()} == {60.0}
    assert len(a.telemetry.hourly()) == len(b.telemetry.hourly()) == 2

    deleted = a.telemetry.cleanup(NOW)
    assert deleted["system_metrics"] == 1 and deleted["network_metrics"] == 1
    assert [s["timestamp"] for s in a.telemetry.system_samples(0)] == [NOW]
    assert [s["timestamp"] for s in b.telemetry.system_samples(0)] == [old, NOW]


def test_a_collector_cycle_records_its_node_heartbeat(two_nodes):
    a, b = two_nodes
    Collector(a, interval=0.5).run(threading.Event(), once=True)
    nodes = {n.name: n for n in a.nodes.list()}
    up = nodes["node-a"]
    assert up.status() == "up" and up.heartbeat_interval == 0.5
    assert up.cpu_count == os.cpu_count() and up.memory_total and up.memory_total > 0
    assert up.boot_time and up.boot_time < time.time() and up.version
    assert up.cpu_percent is not None  # the node's own last sample
    assert nodes["node-b"].status() == "never collected"
    assert b.telemetry.system_samples(0) == [] and len(a.telemetry.system_samples(0)) == 1
    assert a.telemetry.collector_status(time.time()).state == "stopped"
    assert b.telemetry.collector_status(time.time()).state is None


def test_a_second_collector_of_the_same_node_is_refused_and_other_nodes_run(fleet_url):
    a, again, b = (open_store(fleet_url, node=n) for n in ("node-a", "node-a", "node-b"))
    try:
        with collector_lock(a):
            refused = pytest.raises(StoreError, match="already running for node 'node-a'")
            with refused, collector_lock(again):
                pass
            with collector_lock(b):  # another node's collector takes its own lock
                pass
        with collector_lock(again):  # released: the same node may collect again
            pass
    finally:
        for store in (a, again, b):
            store.close()


def test_two_nodes_collect_into_one_database_at_once(two_nodes):
    a, b = two_nodes
    stop = threading.Event()
    collectors = [Collector(s, interval=0.2) for s in (a, b)]
    workers = [threading.Thread(target=c.run, args=(stop,)) for c in collectors]
    for worker in workers:
        worker.start()
    try:
        wait_for(lambda: all(len(s.telemetry.system_samples(0)) >= 3 for s in (a, b)))
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=30)
    assert all(c._failing is None for c in collectors)
    assert {n.name: n.last_heartbeat is not None for n in a.nodes.list()} == {
        "node-a": True,
        "node-b": True,
    }


def collect(url, node: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "core.cli", "--db", str(url), "collect", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "NODEKEEPER_NODE": node},
    )  # fmt: skip


def test_collector_processes_one_per_node(fleet_url):
    open_store(fleet_url, node="node-a").close()
    first = collect(fleet_url, "node-a", "--interval", "0.3")
    try:
        with open_store(fleet_url, node="node-a") as store:
            wait_for(lambda: store.telemetry.collector_status(time.time()).running)
        same = collect(fleet_url, "node-a", "--once")
        _, err = same.communicate(timeout=30)
        assert same.returncode == 1, err
        assert "another collector" in err and "already running for node 'node-a'" in err
        other = collect(fleet_url, "node-b", "--once")
        _, err = other.communicate(timeout=30)
        assert other.returncode == 0, err
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=30)
    assert first.returncode == 0
    with open_store(fleet_url, node="node-b") as store:
        assert len(store.telemetry.system_samples(0)) == 1
        assert {n.name for n in store.nodes.list() if n.last_heartbeat} == {"node-a", "node-b"}


def test_removing_a_node_from_another_nodes_store_deletes_its_rows(two_nodes):
    a, b = two_nodes
    fill(a, raw=100, limit=0, cpu=10.0)
    fill(b, raw=5000, limit=1000, cpu=80.0)
    b.telemetry.update_aggregates(NOW)
    before_a = node_rows(a, "node-a")
    held = node_rows(a, "node-b")
    for table in ("services", "users", "trafficmonitor", "system_metrics", "network_metrics",
                  "hourly_aggregates", "log_events", "metadata"):  # fmt: skip
        assert held[table] > 0, table

    removed = a.nodes.remove("node-b")
    assert {t: n for t, n in removed.rows.items()} == {t: n for t, n in held.items() if n}
    assert a.nodes.names() == ["node-a"]
    assert not any(node_rows(a, "node-b").values())
    assert node_rows(a, "node-a") == before_a
    assert a.services.ids() == ["web"] and a.traffic.get("service:web:in").value == 100


def test_the_demo_on_node_b_fills_b_and_leaves_node_a_alone(two_nodes):
    from core.demo import fill as demo_fill

    a, b = two_nodes
    fill(a, raw=100, limit=1000, cpu=10.0)
    before = node_rows(a, "node-a")
    summary = demo_fill(b, containers=4, days=1, seed=1, now=T0)  # b is empty: not refused
    assert summary.services and summary.system_samples
    assert node_rows(b, "node-a") == before
    assert a.services.get("web").path == "/srv/node-a" and a.services.ids() == ["web"]
    held = node_rows(b, "node-b")
    assert held["services"] == len(b.services.ids()) > 1 and held["system_metrics"] > 100
