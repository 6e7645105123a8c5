"""Issue 13's fleet-wide usage query, measured: ``using_network("br0", all_nodes=True)`` over 50
nodes of 2,000 containers each in one PostgreSQL database. Run on demand::

    .venv/bin/pytest -m perf tests/perf/test_fleet_usage.py -s -q

One node is written through the store (the LXC benchmark's 2,000 containers, tests/perf/
lxc_fixture.py, with their profiles, config and devices), then its rows are copied in SQL
(INSERT ... SELECT, ids shifted per node) for 49 more nodes, so that setup stays short, then
VACUUM ANALYZE (as autovacuum would leave the tables: index-only scans need the visibility map).
Printed:
the fleet query's p50 and p90 against its target (p50 <= 20 ms, asserted), and the baselines
measured in the same run: the same node's own ``using_network("br0")`` (one node's answer, a
fiftieth of the rows); the fleet query's SQL through bare psycopg on a connection held open
(what the API adds); and the plain statement, a row per container sorted by the database,
through bare psycopg (what the API's one row per node saves); with the ratios.
"""

from __future__ import annotations

import statistics
import time

import pytest
from sqlalchemy import text

from core import ContainerInfo, open_store
from core.models import containers as m
from core.store.containers import _USING_NETWORK_FLEET_PG, _USING_NETWORK_FLEET_SQL

from .lxc_fixture import PROFILES, generate
from .pg_copy import plain_url

pytestmark = pytest.mark.perf

NODES, NETWORK = 50, "br0"
CALLS, WARMUP = 100, 10
TARGET_P50_MS = 20.0
SOURCE = "n00"
# ids of node k's copied rows are the source's + k * ID_SHIFT (every source id is below it)
ID_SHIFT = 1_000_000
# the LXD tables a node's containers live in, parents first (images play no part here)
COPIED = [
    m.Profile, m.ProfileConfig, m.ProfileDevice, m.ProfileDeviceConfig, m.Container,
    m.ContainerConfig, m.ContainerDevice, m.ContainerDeviceConfig, m.ContainerProfile,
    m.ContainerNetwork,
]  # fmt: skip


def fill_source(store, count: int) -> None:
    """``count`` containers of the LXC benchmark on the store's node, through the store."""
    for name, (config, devices) in PROFILES.items():
        store.profiles.create(name, config=config, devices=devices)
    infos = [
        ContainerInfo(c.name, c.architecture, profiles=c.profiles, config=c.config,
                      devices=c.devices)
        for c in generate(count).containers
    ]  # fmt: skip
    for start in range(0, len(infos), 500):
        store.containers.save_many(infos[start : start + 500])


def copy_to_other_nodes(conn, source_id: int) -> None:
    """The source node's rows again for every other node, in SQL: one INSERT ... SELECT per
    table for all of them; each id (and each reference to a copied table's id) shifted by the
    node's id times ID_SHIFT."""
    copied = {model.__table__.name for model in COPIED}
    for model in COPIED:
        table = model.__table__
        if "id" in table.c:
            top = conn.execute(text(f"SELECT coalesce(max(id), 0) FROM {table.name}")).scalar()
            assert top < ID_SHIFT, f"{table.name}: id {top} >= {ID_SHIFT}"
        names, values = [], []
        for column in table.c:
            names.append(column.name)
            targets = {fk.column.table.name for fk in column.foreign_keys}
            if column.name == "node_id":
                values.append("n.id")
            elif column.name == "id" or targets & copied:
                values.append(f"t.{column.name} + n.id * {ID_SHIFT}")
            else:
                values.append(f"t.{column.name}")
        # only the source's rows are in the table before its copy (children have no node_id:
        # every row there is the source's then)
        mine = f"t.node_id = {source_id}" if "node_id" in table.c else "TRUE"
        conn.execute(
            text(
                f"INSERT INTO {table.name} ({', '.join(names)})"
                f" SELECT {', '.join(values)} FROM {table.name} t CROSS JOIN nodes n"
                f" WHERE n.id <> {source_id} AND {mine}"
            )
        )


def p50_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1e3


def test_using_network_over_50_nodes_of_2000_containers(pg_url: str):
    import psycopg

    start = time.perf_counter()
    with open_store(pg_url, node=SOURCE) as store:
        fill_source(store, 2000)
        filled = time.perf_counter() - start
        with store.transaction() as conn:
            conn.execute(
                text(
                    "INSERT INTO nodes (name, hostname, first_seen)"
                    " SELECT 'n' || lpad(g::text, 2, '0'), 'simulated', now()"
                    " FROM generate_series(1, :more) g"
                ),
                {"more": NODES - 1},
            )
            copy_to_other_nodes(conn, store.node_id)
        # as autovacuum leaves a table after a bulk write: statistics, and the visibility map
        # that lets an index-only scan skip the table
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        setup = time.perf_counter() - start
        assert store.nodes.count() == NODES

        one_node = store.containers.using_network(NETWORK)
        fleet = store.containers.using_network(NETWORK, all_nodes=True)
        # every node holds the source's containers on br0: the same names, node after node
        assert len(one_node) > 1000
        assert fleet == [(f"n{k:02d}", name) for k in range(NODES) for name in one_node]

        def compiled(prepared) -> tuple[str, dict]:
            sql = prepared.statement.compile(dialect=store.engine.dialect)
            return sql.string, sql.construct_params({"net": NETWORK})

        driver = psycopg.connect(plain_url(pg_url), autocommit=True)
        per_node_sql, rows_sql = (
            compiled(_USING_NETWORK_FLEET_PG),
            compiled(_USING_NETWORK_FLEET_SQL),
        )

        def bare() -> list[tuple]:
            """The API's statement through psycopg, its names split as the API splits them."""
            with driver.cursor() as cursor:
                cursor.execute(*per_node_sql)
                return [
                    (node, name)
                    for node, _, names in cursor.fetchall()
                    for name in names.split("\n")
                ]

        def bare_rows() -> list[tuple]:
            """A row per container (node, name), sorted by the database: the plain query."""
            with driver.cursor() as cursor:
                cursor.execute(*rows_sql)
                return cursor.fetchall()

        def api() -> list[tuple[str, str]]:
            return store.containers.using_network(NETWORK, all_nodes=True)

        def per_node() -> list[str]:
            return store.containers.using_network(NETWORK)

        for _ in range(WARMUP):
            assert bare() == fleet
            assert bare_rows() == fleet
            api()
            per_node()
        fleet_s, bare_s, rows_s, node_s = [], [], [], []
        for _ in range(CALLS):  # alternating, so that the machine's load falls on them all
            for samples, call in (
                (fleet_s, api), (bare_s, bare), (rows_s, bare_rows), (node_s, per_node),
            ):  # fmt: skip
                began = time.perf_counter()
                call()
                samples.append(time.perf_counter() - began)
        driver.close()

    fleet_ms, bare_ms, node_ms = p50_ms(fleet_s), p50_ms(bare_s), p50_ms(node_s)
    rows_ms = p50_ms(rows_s)
    fleet_p90 = statistics.quantiles(fleet_s, n=10)[8] * 1e3
    ok = fleet_ms <= TARGET_P50_MS
    print(
        f"\nnodekeeper fleet benchmark, PostgreSQL: {NODES} nodes x 2000 containers, "
        f"{len(fleet)} on {NETWORK} over the fleet; setup {setup:.1f} s (one node through the "
        f"store {filled:.1f} s, the rest copied in SQL); {CALLS} calls after {WARMUP} warm-up\n"
        f"  using_network({NETWORK!r}, all_nodes=True)  p50 {fleet_ms:8.3f} ms  p90 "
        f"{fleet_p90:8.3f} ms  target p50 <= {TARGET_P50_MS:g} ms {'PASS' if ok else 'FAIL'}\n"
        f"  baseline: the same SQL, bare psycopg held open  p50 {bare_ms:8.3f} ms  "
        f"API/driver {fleet_ms / bare_ms:.2f}x\n"
        f"  baseline: a row per container sorted by the database (join, ORDER BY), bare psycopg  "
        f"p50 {rows_ms:8.3f} ms  speed-up {rows_ms / fleet_ms:.1f}x\n"
        f"  baseline: one node's using_network({NETWORK!r}) ({len(one_node)} rows)  p50 "
        f"{node_ms:8.3f} ms  fleet/node {fleet_ms / node_ms:.1f}x for {NODES}x the rows\n"
        f"  command: .venv/bin/pytest -m perf tests/perf/test_fleet_usage.py -s -q"
    )
    assert ok, f"using_network(all_nodes=True) p50 {fleet_ms:.3f} ms > {TARGET_P50_MS} ms"
