"""The node dimension: migration 0007 on a database made before it, the node in use, the
``nodes`` command and the removal of a node with its rows."""

from __future__ import annotations

import json
import shutil
import socket
import sqlite3
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from core import NotFound, ValidationError, open_store
from core.cli import main
from core.db import migrate
from core.db.check import check
from core.models.base import utcnow

FIXTURE = Path(__file__).parent.parent / "fixtures" / "store-schema-0006.sqlite"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        names = [
            r[0]
            for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if r[0] not in ("alembic_version", "schema", "nodes")
        ]
        return {
            name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names
        }
    finally:
        conn.close()


# -- migration 0007 ----------------------------------------------------------------------------


def test_a_database_made_before_nodes_gets_one_node_named_after_the_host(tmp_path):
    path = tmp_path / "old.db"
    shutil.copy(FIXTURE, path)
    before = _counts(path)
    assert before["containers"] == 12 and before["system_metrics"] > 0

    with open_store(path) as store:
        assert store.node == socket.gethostname()
        assert [n.name for n in store.nodes.list()] == [socket.gethostname()]
        assert check(store) == []
        node_id = store.node_id
    # Tables of later migrations: log positions, the text index and its mark.
    after = {name: n for name, n in _counts(path).items() if name not in before}
    assert set(after) == {"log_files", "log_events_text_mark"} | {
        f"log_events_text{part}" for part in ("", "_config", "_data", "_docsize", "_idx")
    }
    assert after["log_files"] == 0 and after["log_events_text_mark"] == 1
    assert {name: n for name, n in _counts(path).items() if name in before} == before
    conn = sqlite3.connect(path)
    try:
        scoped = [
            name
            for name in before
            if any(c[1] == "node_id" for c in conn.execute(f'PRAGMA table_info("{name}")'))
        ]
        assert {"containers", "services", "trafficmonitor", "system_metrics"} <= set(scoped)
        for name in scoped:  # every row given to the one node
            assert conn.execute(
                f'SELECT count(*) FROM "{name}" WHERE node_id IS NOT ?', (node_id,)
            ).fetchone() == (0,), name
    finally:
        conn.close()
    assert Path(f"{path}.bak").exists()  # the file as it was, kept before the upgrade


def test_the_migrated_database_reads_as_before(tmp_path):
    path = tmp_path / "old.db"
    shutil.copy(FIXTURE, path)
    with open_store(path) as store:
        assert len(store.containers.names()) == 12
        assert store.containers.using_network("lxdbr0")
        assert len(store.services.list()) == 6


def test_a_sqlite_file_keeps_its_one_node_when_the_host_is_renamed(tmp_path, monkeypatch):
    path = tmp_path / "nk.db"
    with open_store(path) as store:
        first = store.node
    # The host is renamed (its name is the only input: nothing else can rename it in a test).
    monkeypatch.setattr("core.settings.host_node_name", lambda: "renamed-host")
    with open_store(path) as store:
        assert store.node == first
        assert store.nodes.names() == [first]


@pytest.mark.postgresql
def test_a_postgresql_database_made_before_nodes_gets_one_node(pg_url):
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        from alembic import command

        command.upgrade(migrate._config(conn), "0006")
        for statement in (
            "INSERT INTO containers (id, name, architecture) VALUES (1, 'web1', 2)",
            "INSERT INTO services (id, path) VALUES ('svc', '/srv')",
            "INSERT INTO users (users, service_id) VALUES ('[\"u1\"]', 'svc')",
            "INSERT INTO trafficmonitor (chain, value) VALUES ('svc_ul', 5)",
            "INSERT INTO system_metrics (timestamp, cpu_percent) VALUES (1, 2.5)",
        ):
            conn.execute(text(statement))
    engine.dispose()
    with open_store(pg_url) as store:
        assert store.nodes.names() == [socket.gethostname()]
        assert check(store) == []
        with store.reading() as conn:
            for table in ("containers", "services", "users", "trafficmonitor", "system_metrics"):
                assert conn.execute(text(f"SELECT DISTINCT node_id FROM {table}")).all() == [
                    (store.node_id,)
                ], table


# -- the node in use ---------------------------------------------------------------------------


def test_the_node_comes_from_the_argument_then_the_environment_then_the_host(tmp_path, monkeypatch):
    path = tmp_path / "nk.db"
    with open_store(path, node="edge-1") as store:
        assert (store.node, store.node_created) == ("edge-1", True)
    monkeypatch.setenv("NODEKEEPER_NODE", "edge-2")
    with open_store(path) as store:
        assert store.node == "edge-2"
        with open_store(path, node="edge-1") as other:
            assert other.node == "edge-1" and not other.node_created
    monkeypatch.delenv("NODEKEEPER_NODE")
    with open_store(path) as store:  # two nodes in the file: the host's own, added
        assert store.node == socket.gethostname()
        assert sorted(store.nodes.names()) == sorted(["edge-1", "edge-2", socket.gethostname()])


def test_a_node_name_is_checked(tmp_path, monkeypatch):
    with pytest.raises(ValidationError, match="node"):
        open_store(tmp_path / "nk.db", node="bad name")
    monkeypatch.setenv("NODEKEEPER_NODE", "a/b")
    with pytest.raises(ValidationError, match="NODEKEEPER_NODE"):
        open_store(tmp_path / "nk.db")


def test_a_node_named_but_absent_is_not_added_when_asked_not_to(tmp_path):
    path = tmp_path / "nk.db"
    open_store(path, node="edge-1").close()
    with pytest.raises(NotFound, match=r"node 'edge-9'.*nodes here: edge-1"):
        open_store(path, node="edge-9", add_node=False)
    with open_store(path) as store:
        assert store.nodes.names() == ["edge-1"]


def test_the_cli_refuses_an_unknown_node_and_names_those_there(capsys, tmp_path):
    path = str(tmp_path / "nk.db")
    open_store(path, node="edge-1").close()
    code, _, err = run(capsys, "list", "containers", "--db", path, "--node", "edg-1")
    assert code == 1
    assert err.strip() == "error: node 'edg-1' not found (nodes here: edge-1)"
    # A command that writes does not make the node either.
    code, _, err = run(capsys, "import-lxc", str(tmp_path), "--db", path, "--node", "edg-1")
    assert code == 1 and "not found" in err
    with open_store(path) as store:
        assert store.nodes.names() == ["edge-1"]  # no node made by a typo


# -- nodes, nodes remove -----------------------------------------------------------------------


@pytest.fixture
def fleet(pg_url):
    """Two nodes in one PostgreSQL database, each with a container named web1."""
    for name, beat in (("edge-1", timedelta(seconds=1)), ("edge-2", timedelta(minutes=5))):
        with open_store(pg_url, node=name) as store:
            store.containers.create("web1")
            store.nodes.heartbeat(
                interval=2.0, hostname=f"{name}.lan", version="1.0", boot_time=1,
                cpu_count=4, memory_total=8 << 30, now=utcnow() - beat,
            )  # fmt: skip
    return pg_url


@pytest.mark.postgresql
def test_nodes_lists_each_node_with_its_status_and_what_it_holds(capsys, fleet):
    code, out, _ = run(capsys, "nodes", "--db", fleet, "--format", "json")
    assert code == 0
    nodes = {n["node"]: n for n in json.loads(out)}
    assert list(nodes) == ["edge-1", "edge-2"]
    assert nodes["edge-1"]["status"] == "up" and nodes["edge-1"]["up"] is True
    assert nodes["edge-2"]["status"] == "down 5m 0s" and nodes["edge-2"]["up"] is False
    assert nodes["edge-1"]["containers"] == 1 and nodes["edge-1"]["cpu_count"] == 4
    code, out, _ = run(capsys, "nodes", "--db", fleet)
    assert out.splitlines()[0].split()[:3] == ["NODE", "STATUS", "CPU"]


@pytest.mark.postgresql
def test_removing_a_node_names_what_goes_and_takes_only_its_rows(capsys, fleet):
    code, out, err = run(capsys, "nodes", "remove", "edge-2", "--db", fleet, "--dry-run")
    assert code == 0 and out == "node edge-2 holds 1 containers\n"
    code, out, err = run(capsys, "nodes", "remove", "edge-2", "--db", fleet)  # not a terminal
    assert code == 1 and "give --yes" in err
    code, out, err = run(capsys, "nodes", "remove", "edge-2", "--db", fleet, "--yes")
    assert code == 0 and out.splitlines()[-1] == "removed node edge-2"
    with open_store(fleet, node="edge-1") as store:
        assert store.nodes.names() == ["edge-1"]
        assert store.containers.names() == ["web1"]  # edge-1's own web1 is still there


@pytest.mark.postgresql
def test_the_node_in_use_cannot_remove_itself(fleet):
    with open_store(fleet, node="edge-1") as store:
        with pytest.raises(ValidationError, match="in use here"):
            store.nodes.remove("edge-1")
        assert store.nodes.names() == ["edge-1", "edge-2"]


@pytest.mark.postgresql
def test_list_all_nodes_adds_a_node_column_and_key(capsys, fleet):
    code, out, _ = run(capsys, "list", "containers", "--db", fleet, "--all-nodes")
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["NODE", "NAME"]
    assert [line.split()[:2] for line in lines[1:]] == [["edge-1", "web1"], ["edge-2", "web1"]]
    code, out, _ = run(
        capsys, "list", "containers", "--db", fleet, "--all-nodes", "--format", "json"
    )
    data = json.loads(out)
    assert [(c["node"], c["name"]) for c in data] == [("edge-1", "web1"), ("edge-2", "web1")]
    assert list(data[0])[:2] == ["node", "name"]
    code, out, _ = run(
        capsys, "list", "containers", "--db", fleet, "--all-nodes", "--format", "csv"
    )
    assert out.splitlines()[0].startswith("node,name,")
    assert [line.split(",")[:2] for line in out.splitlines()[1:]] == [
        ["edge-1", "web1"],
        ["edge-2", "web1"],
    ]
    code, out, _ = run(capsys, "list", "containers", "--db", fleet, "--node", "edge-2")
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["web1"]


def test_a_collector_whose_node_is_removed_stops_and_says_why(tmp_path):
    import threading

    from core.collect.daemon import Collector, NodeRemoved

    path = tmp_path / "nk.db"
    open_store(path, node="edge-1").close()
    store = open_store(path, node="edge-2")
    collector = Collector(store, interval=0.05)
    ended: list[BaseException | None] = []

    def run() -> None:
        try:
            collector.run(threading.Event())
            ended.append(None)
        except BaseException as exc:  # noqa: BLE001  (what the thread ended with, checked below)
            ended.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        with open_store(path, node="edge-1") as other:
            deadline = time.monotonic() + 30
            while not other.for_node("edge-2").telemetry.system_samples(0):
                assert time.monotonic() < deadline, "the collector wrote nothing"
                time.sleep(0.05)
            other.nodes.remove("edge-2")
        thread.join(30)
        assert not thread.is_alive()
        assert isinstance(ended[0], NodeRemoved)
        assert "node 'edge-2' was removed" in str(ended[0])
    finally:
        store.close()
