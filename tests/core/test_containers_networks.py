"""containers_networks, each container's effective networks kept by the store as it writes:
after every kind of write, its rows are what ``expanded()`` says, for every container."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

import core.db.migrate as migrate
from core import InUse, open_store
from core.demo import fill
from core.documents import apply_text
from core.importers import import_lxc
from core.store import ContainerInfo, ProfileInfo
from core.store.lxd_common import T
from tests.helpers import nic

NETWORK_KEYS = ("network", "parent")


def stored(store) -> dict[str, set[str]]:
    """Container name -> its networks, as containers_networks has them; the name kept beside
    each row must be the container's own."""
    c, cn = T["containers"], T["containers_networks"]
    found: dict[str, set[str]] = {}
    with store.reading() as conn:
        rows = conn.execute(
            select(c.c.name, cn.c.name, cn.c.network).join(c, c.c.id == cn.c.container_id)
        )
        for name, kept_name, network in rows:
            assert kept_name == name
            found.setdefault(name, set()).add(network)
    return found


def expected(store) -> dict[str, set[str]]:
    """Container name -> the networks of its nics, from ``expanded()`` (the overlay in Python)."""
    found: dict[str, set[str]] = {}
    for name in store.containers.names():
        devices = store.containers.expanded(name).devices.values()
        nets = {d[k] for d in devices if d["type"] == "nic" for k in NETWORK_KEYS if k in d}
        if nets:
            found[name] = nets
    return found


def agrees(store) -> dict[str, set[str]]:
    """The table's rows, checked against ``expanded()`` and against the readers of the table."""
    table = stored(store)
    assert table == expected(store)
    listed = {name: set(nets) for name, nets in store.containers.networks().items()}
    assert listed == {name: nets - {""} for name, nets in table.items() if nets - {""}}
    for network in {n for nets in table.values() for n in nets}:
        users = sorted(name for name, nets in table.items() if network in nets)
        assert store.containers.using_network(network) == users
        assert [c.name for c in store.containers.list(network=network)] == users
    return table


def test_own_devices_added_changed_renamed_and_removed(store):
    store.containers.create("c1", devices={"eth0": nic("br0")})
    assert agrees(store) == {"c1": {"br0"}}
    store.containers.update("c1", devices={"eth0": nic("br0"), "eth1": nic("br1", key="parent")})
    assert agrees(store) == {"c1": {"br0", "br1"}}
    store.containers.update("c1", devices={"eth0": nic("br2"), "eth1": nic("br1", key="parent")})
    assert agrees(store) == {"c1": {"br1", "br2"}}
    store.containers.update("c1", devices={"lan": nic("br2"), "eth1": nic("br1", key="parent")})
    assert agrees(store) == {"c1": {"br1", "br2"}}
    store.containers.update("c1", devices={"data": {"type": "disk", "path": "/d", "source": "/s"}})
    assert agrees(store) == {}


def test_two_nics_on_one_network_and_non_nic_devices(store):
    # a disk with a "parent" key is no nic; two nics on br0 make one row
    store.containers.create("c1", devices={"eth0": nic("br0"), "eth1": nic("br0", key="parent"),
                                           "odd": {"type": "disk", "parent": "br9", "path": "/x"}})  # fmt: skip
    assert agrees(store) == {"c1": {"br0"}}


def test_profile_devices_added_changed_and_removed(store):
    store.profiles.create("p1")
    store.containers.create("c1", profiles=["p1"])
    store.containers.create("c2", profiles=["p1"], devices={"eth0": nic("br5")})
    store.containers.create("other", devices={"eth0": nic("br7")})
    assert agrees(store) == {"c2": {"br5"}, "other": {"br7"}}
    store.profiles.update("p1", devices={"mgmt0": nic("br0")})
    assert agrees(store) == {"c1": {"br0"}, "c2": {"br0", "br5"}, "other": {"br7"}}
    store.profiles.update("p1", devices={"mgmt0": nic("br3", key="parent")})
    assert agrees(store)["c1"] == {"br3"}
    profile = store.profiles.get("p1")
    profile.devices["eth0"] = nic("br4")  # c2's own eth0 replaces it, c1 gets it
    assert store.profiles.save(profile) == "updated"
    assert agrees(store) == {"c1": {"br3", "br4"}, "c2": {"br3", "br5"}, "other": {"br7"}}
    store.profiles.update("p1", devices={})
    assert agrees(store) == {"c2": {"br5"}, "other": {"br7"}}


def test_profile_config_and_description_leave_the_networks_as_they_were(store):
    store.profiles.create("p1", devices={"eth0": nic("br0")})
    store.containers.create("c1", profiles=["p1"])
    store.profiles.update("p1", description="changed", config={"limits.cpu": "2"})
    store.profiles.set_config("p1", "user.a", "b")
    store.containers.set_config("c1", "user.a", "b")
    assert agrees(store) == {"c1": {"br0"}}


def test_profiles_applied_unapplied_and_reordered(store):
    store.profiles.create("first", devices={"mgmt0": nic("br0"), "eth1": nic("br1")})
    store.profiles.create("second", devices={"mgmt0": nic("br2")})
    store.containers.create("c1")
    assert agrees(store) == {}
    store.containers.update("c1", profiles=["first"])
    assert agrees(store) == {"c1": {"br0", "br1"}}
    # a later profile's same-named device replaces the earlier one's
    store.containers.update("c1", profiles=["first", "second"])
    assert agrees(store) == {"c1": {"br1", "br2"}}
    store.containers.update("c1", profiles=["second", "first"])
    assert agrees(store) == {"c1": {"br0", "br1"}}
    store.containers.update("c1", profiles=["second"])
    assert agrees(store) == {"c1": {"br2"}}
    store.containers.update("c1", profiles=[])
    assert agrees(store) == {}


def test_a_same_named_local_device_replaces_a_profile_nic_whatever_its_type(store):
    store.profiles.create("p1", devices={"eth0": nic("br0"), "eth1": nic("br1")})
    store.containers.create("nic", profiles=["p1"], devices={"eth0": nic("br9")})
    store.containers.create("disk", profiles=["p1"],
                            devices={"eth0": {"type": "disk", "path": "/x", "source": "/y"}})  # fmt: skip
    assert agrees(store) == {"nic": {"br1", "br9"}, "disk": {"br1"}}
    store.containers.update("disk", devices={})
    assert agrees(store)["disk"] == {"br0", "br1"}


def test_renamed_and_deleted_containers(store):
    store.profiles.create("p1", devices={"eth0": nic("br0")})
    store.containers.create("c1", profiles=["p1"])
    store.containers.create("c2", devices={"eth0": nic("br0")})
    store.containers.rename("c1", "z1")
    assert agrees(store) == {"z1": {"br0"}, "c2": {"br0"}}
    assert store.containers.using_network("br0") == ["c2", "z1"]
    store.containers.delete("z1")
    assert agrees(store) == {"c2": {"br0"}}


def test_deleting_a_profile_once_unapplied(store):
    store.profiles.create("p1", devices={"eth0": nic("br0")})
    store.containers.create("c1", profiles=["p1"], devices={"eth1": nic("br1")})
    with pytest.raises(InUse):
        store.profiles.delete("p1")
    assert agrees(store) == {"c1": {"br0", "br1"}}
    store.containers.update("c1", profiles=[])
    store.profiles.delete("p1")
    assert agrees(store) == {"c1": {"br1"}}


def test_save_many_and_a_rolled_back_write(store):
    store.profiles.create("p1", devices={"eth0": nic("br0")})
    outcomes = store.containers.save_many([
        ContainerInfo("a", "x86_64", profiles=["p1"]),
        ContainerInfo("b", "x86_64", devices={"eth0": nic("br1")}),
    ])  # fmt: skip
    assert outcomes == ["created", "created"]
    assert agrees(store) == {"a": {"br0"}, "b": {"br1"}}
    with pytest.raises(RuntimeError), store.transaction():
        store.containers.update("a", profiles=[])
        store.profiles.save(ProfileInfo("p1", devices={"eth0": nic("br8")}))
        raise RuntimeError("rolled back")
    assert agrees(store) == {"a": {"br0"}, "b": {"br1"}}


def test_documents_applied(store):
    apply_text(store, """
[[profiles]]
name = "p1"
devices.eth0 = { type = "nic", network = "br0" }

[[containers]]
name = "web1"
profiles = ["p1"]
devices.eth1 = { type = "nic", parent = "br1" }
""")  # fmt: skip
    assert agrees(store) == {"web1": {"br0", "br1"}}
    apply_text(
        store, '[[profiles]]\nname = "p1"\ndevices.eth0 = { type = "nic", network = "br2" }\n'
    )
    assert agrees(store) == {"web1": {"br1", "br2"}}


def test_lxc_import(store, tmp_path: Path):
    for name, bridge in (("web1", "br0"), ("web2", "br1")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "config").write_text(
            f"lxc.uts.name = {name}\nlxc.net.0.type = veth\nlxc.net.0.link = {bridge}\n"
        )
    assert import_lxc(store, tmp_path).ok
    assert agrees(store) == {"web1": {"br0"}, "web2": {"br1"}}


def test_the_demo(store):
    fill(store, containers=30, days=0, now=datetime(2026, 5, 1, tzinfo=UTC))
    table = agrees(store)
    assert len(table) > 10  # the demo's containers have nics: the check saw some


# -- the migration that made the table fills it for a database that had containers


def _at_0005(url: str) -> None:
    """A database at schema 0005 with containers written in plain SQL, every overlay case."""
    engine = create_engine(url)
    with engine.begin() as conn:
        from alembic import command

        command.upgrade(migrate._config(conn), "0005")
        statements = """
        INSERT INTO profiles (id, name) VALUES (1, 'first'), (2, 'second');
        INSERT INTO profiles_devices (id, profile_id, name, type) VALUES
            (1, 1, 'mgmt0', 1), (2, 1, 'eth1', 1), (3, 2, 'mgmt0', 1), (4, 1, 'root', 2);
        INSERT INTO profiles_devices_config (profile_device_id, key, value) VALUES
            (1, 'network', 'br0'), (2, 'parent', 'br1'), (2, 'nictype', 'bridged'),
            (3, 'network', 'br2'), (4, 'path', '/');
        INSERT INTO containers (id, name, architecture) VALUES
            (1, 'own', 2), (2, 'inherits', 2), (3, 'later-wins', 2), (4, 'local-wins', 2),
            (5, 'nothing', 2), (6, 'disk-replaces', 2);
        INSERT INTO containers_profiles (container_id, profile_id, apply_order) VALUES
            (2, 1, 0), (3, 1, 0), (3, 2, 1), (4, 1, 0), (6, 1, 0);
        INSERT INTO containers_devices (id, container_id, name, type) VALUES
            (1, 1, 'eth0', 1), (2, 1, 'eth1', 1), (3, 4, 'mgmt0', 1), (4, 6, 'eth1', 2);
        INSERT INTO containers_devices_config (container_device_id, key, value) VALUES
            (1, 'network', 'br0'), (2, 'parent', 'br0'), (3, 'parent', 'br9'), (4, 'path', '/e');
        """
        for statement in statements.split(";"):
            if statement.strip():
                conn.execute(text(statement))
    engine.dispose()


def _upgraded_rows_agree(url: str, target: object) -> None:
    _at_0005(url)
    with open_store(target) as store:
        assert migrate.read_status(store.engine).up_to_date
        assert agrees(store) == {
            "own": {"br0"},
            "inherits": {"br0", "br1"},
            "later-wins": {"br1", "br2"},
            "local-wins": {"br1", "br9"},
            "disk-replaces": {"br0"},
        }


def test_migration_fills_the_table_of_a_database_with_containers(db_path):
    _upgraded_rows_agree(f"sqlite:///{db_path}", db_path)


@pytest.mark.postgresql
def test_migration_fills_the_table_on_postgresql(pg_url):
    _upgraded_rows_agree(pg_url, pg_url)


# -- concurrent writers (PostgreSQL; SQLite lets one writer in at a time). The second waits for
# the first (the profile's row lock, and the revision counter's row), then sees what it wrote.


def _meanwhile(store, first, second) -> None:
    """``first`` in a transaction held open while ``second`` runs in another thread, which
    must wait for the commit when it touches the same profile."""
    done = threading.Event()

    def run() -> None:
        second()
        done.set()

    other = threading.Thread(target=run)
    with store.transaction():
        first()
        other.start()
        assert not done.wait(0.5), "the second writer did not wait for the first"
    other.join(10)
    assert done.is_set()


@pytest.mark.postgresql
def test_a_container_attaching_a_profile_being_changed_gets_its_new_nics(pg_url):
    with open_store(pg_url) as store:
        store.profiles.create("p1", devices={"eth0": nic("br0")})
        _meanwhile(
            store,
            lambda: store.profiles.update("p1", devices={"eth0": nic("br1")}),
            lambda: store.containers.create("c1", profiles=["p1"]),
        )
        assert agrees(store) == {"c1": {"br1"}}


@pytest.mark.postgresql
def test_a_profile_changed_while_a_container_attaches_it_refreshes_that_container(pg_url):
    with open_store(pg_url) as store:
        store.profiles.create("p1", devices={"eth0": nic("br0")})
        _meanwhile(
            store,
            lambda: store.containers.create("c1", profiles=["p1"]),
            lambda: store.profiles.update("p1", devices={"eth0": nic("br1")}),
        )
        assert agrees(store) == {"c1": {"br1"}}
