"""The LXD domain in a fleet (issue 13): containers, profiles, images, certificates and server
config are each node's own. Several nodes in one database (a SQLite file, a PostgreSQL schema),
opened as ``open_store(url, node=...)`` or seen through ``store.for_node``: names repeat across
nodes, a write on one leaves the others as they were, a container applies only its node's
profiles, ``using_network`` answers for the node or for the fleet, and removing a node takes its
containers with their children and their networks rows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core import AlreadyExists, ImageInfo, NotFound, open_store
from core.models import containers as m
from tests.helpers import make_certificate, nic

FP = "cd" * 32


def image(**kw) -> ImageInfo:
    return ImageInfo(fingerprint=FP, filename="rootfs.tar.xz", size=10, architecture="x86_64", **kw)


@pytest.fixture(params=["sqlite-file", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """One database for every node of a test: a SQLite file or a PostgreSQL schema."""
    if request.param == "sqlite-file":
        return str(tmp_path / "fleet.db")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def nodes(url: str) -> Iterator[dict]:
    """Stores of nodes a, b and c in one database, each opened as its node."""
    with ExitStack() as stack:
        yield {name: stack.enter_context(open_store(url, node=name)) for name in "abc"}


def fill(store, memory: str) -> None:
    """The same names on every node, with contents that tell the nodes apart."""
    store.profiles.create("default", config={"limits.memory": memory},
                          devices={"eth0": nic("br0")})  # fmt: skip
    store.containers.create("web1", profiles=["default"], config={"user.note": memory})
    store.images.create(image(properties={"os": memory}, aliases={"jammy": memory}))


def rows(store, table, **where) -> int:
    """Rows of ``table`` (every node's), those matching ``where``."""
    query = select(func.count()).select_from(table)
    for column, value in where.items():
        query = query.where(table.c[column] == value)
    with store.reading() as conn:
        return int(conn.scalar(query) or 0)


# The child tables, the column naming their parent, and the parent: they reach a node through it.
CHILDREN = [
    (m.ContainerConfig, "container_id", m.Container),
    (m.ContainerDevice, "container_id", m.Container),
    (m.ContainerProfile, "container_id", m.Container),
    (m.ProfileConfig, "profile_id", m.Profile),
    (m.ProfileDevice, "profile_id", m.Profile),
    (m.ImageProperty, "image_id", m.Image),
]


def children_of(store, child, owner: str, parent, node_id: int) -> int:
    """Rows of a child table whose parent is a row of node ``node_id``."""
    c, p = child.__table__, parent.__table__
    query = select(func.count()).select_from(c)
    query = query.where(c.c[owner].in_(select(p.c.id).where(p.c.node_id == node_id)))
    with store.reading() as conn:
        return int(conn.scalar(query) or 0)


def test_the_same_names_on_two_nodes_are_two_resources(nodes):
    a, b = nodes["a"], nodes["b"]
    fill(a, "1GiB")
    fill(b, "2GiB")
    pem, _ = make_certificate("laptop")
    a.certificates.add(pem, name="on-a")
    b.certificates.add(pem, name="on-b")
    a.config.set("collector.interval", 5)
    b.config.set("collector.interval", 7)

    for store, memory in ((a, "1GiB"), (b, "2GiB")):
        assert store.profiles.names() == ["default"]
        assert store.profiles.get("default").config == {"limits.memory": memory}
        assert store.containers.names() == ["web1"]
        assert store.containers.get("web1").config == {"user.note": memory}
        assert store.containers.expanded("web1").config["limits.memory"] == memory
        assert [i.properties for i in store.images.list()] == [{"os": memory}]
        assert store.images.get("jammy").aliases == {"jammy": memory}
        assert store.containers.using_image("jammy") == []
        assert store.profiles.usage_counts() == {"default": 1}
        assert store.containers.by_profile() == {"default": ["web1"]}
        assert store.containers.first_names(10) == (["web1"], 1)
        assert len(store.certificates.list()) == 1
    assert a.certificates.list()[0].name == "on-a"
    assert b.certificates.list()[0].name == "on-b"
    assert a.config.get("collector.interval") == "5"
    assert b.config.get("collector.interval") == "7"
    # the third node holds none of it
    c = nodes["c"]
    assert c.containers.names() == []
    assert c.profiles.names() == []
    assert c.images.list() == []
    assert c.certificates.list() == []
    assert c.config.all() == {}
    with pytest.raises(NotFound):
        c.containers.get("web1")
    with pytest.raises(NotFound):
        c.images.get("jammy")
    # a name taken on its own node is still refused there
    with pytest.raises(AlreadyExists):
        a.containers.create("web1")
    with pytest.raises(AlreadyExists):
        b.profiles.create("default")
    with pytest.raises(AlreadyExists):
        a.images.create(image())
    with pytest.raises(AlreadyExists):
        b.certificates.add(pem)


def test_writes_on_one_node_leave_the_other_untouched(nodes):
    a, b = nodes["a"], nodes["b"]
    fill(a, "1GiB")
    fill(b, "2GiB")
    before = (
        b.containers.list(), b.profiles.list(), b.images.list(), b.containers.networks()
    )  # fmt: skip

    a.containers.update("web1", power_state="running", devices={"eth1": nic("br9")})
    a.containers.set_config("web1", "user.extra", "x")
    a.profiles.update("default", config={"limits.memory": "4GiB"}, devices={})
    a.images.update("jammy", properties={"os": "updated"}, aliases={"noble": ""})
    a.containers.rename("web1", "web2")
    assert a.containers.names() == ["web2"]
    assert a.containers.networks() == {"web2": ["br9"]}
    a.containers.create("web1")  # the name is free again on a, still taken on b
    a.containers.delete("web2", force=True)
    a.containers.delete("web1")
    a.profiles.delete("default")
    a.images.delete("noble")

    after = (
        b.containers.list(), b.profiles.list(), b.images.list(), b.containers.networks()
    )  # fmt: skip
    assert after == before
    assert b.containers.using_network("br0") == ["web1"]
    assert a.containers.names() == a.profiles.names() == a.images.list() == []


def test_a_container_cannot_apply_another_nodes_profile(nodes):
    a, b = nodes["a"], nodes["b"]
    b.profiles.create("only-on-b", devices={"eth0": nic("br0")})
    with pytest.raises(NotFound) as caught:
        a.containers.create("web1", profiles=["only-on-b"])
    assert "only-on-b" in str(caught.value)
    assert a.containers.names() == []  # nothing half-written
    a.containers.create("web1")
    with pytest.raises(NotFound):
        a.containers.update("web1", profiles=["only-on-b"])
    assert a.containers.get("web1").profiles == []
    # b's profile is not used by a's container, and can go
    assert b.profiles.used_by("only-on-b") == []
    b.profiles.delete("only-on-b")


def test_using_network_per_node_and_over_the_fleet(nodes):
    a, b, c = nodes["a"], nodes["b"], nodes["c"]
    a.profiles.create("lan", devices={"eth0": nic("br0")})
    a.containers.create("web2", profiles=["lan"])
    a.containers.create("web1", devices={"eth0": nic("br0", "parent")})
    a.containers.create("db1", devices={"eth0": nic("br1")})
    b.containers.create("web1", devices={"eth0": nic("br0")})
    b.containers.create("cache", devices={"eth0": nic("br1")})
    c.containers.create("web1", devices={"eth0": nic("br1")})  # c has none on br0

    assert a.containers.using_network("br0") == ["web1", "web2"]
    assert b.containers.using_network("br0") == ["web1"]
    assert c.containers.using_network("br0") == []
    assert a.profiles.using_network("br0") == ["lan"]
    assert b.profiles.using_network("br0") == []
    assert [x.name for x in a.containers.list(network="br0")] == ["web1", "web2"]
    assert [x.name for x in b.containers.summaries(network="br1")] == ["cache"]
    fleet = [("a", "web1"), ("a", "web2"), ("b", "web1")]
    for store in (a, b, c):  # the same answer from whichever node asks
        assert store.containers.using_network("br0", all_nodes=True) == fleet
    assert a.containers.using_network("br1", all_nodes=True) == [
        ("a", "db1"), ("b", "cache"), ("c", "web1"),
    ]  # fmt: skip
    assert a.containers.using_network("nowhere", all_nodes=True) == []
    # the networks rows carry each container's node
    t = m.Container.__table__
    with a.reading() as conn:
        owners = dict(conn.execute(select(t.c.id, t.c.node_id)).all())
    cn = m.ContainerNetwork.__table__
    with a.reading() as conn:
        for container_id, node_id in conn.execute(select(cn.c.container_id, cn.c.node_id)):
            assert owners[container_id] == node_id


def test_for_node_sees_another_nodes_rows_through_the_same_database(nodes):
    a, b = nodes["a"], nodes["b"]
    fill(b, "2GiB")
    view = a.for_node("b")
    assert view.node == "b"
    assert view.containers.get("web1").config == {"user.note": "2GiB"}
    view.containers.create("web3", profiles=["default"])
    assert b.containers.names() == ["web1", "web3"]
    assert a.containers.names() == []
    view.close()
    assert a.containers.names() == []  # closing the view leaves a's store open


def test_removing_a_node_takes_its_containers_children_and_networks_rows(nodes):
    a, b = nodes["a"], nodes["b"]
    fill(a, "1GiB")
    fill(b, "2GiB")
    b.containers.create("web2", devices={"eth0": nic("br0"), "disk": {"type": "disk"}},
                        config={"limits.cpu": 1})  # fmt: skip
    b_id = b.node_id
    b_containers = b.containers.names()
    assert rows(a, m.Container.__table__, node_id=b_id) == 2
    assert rows(a, m.ContainerNetwork.__table__, node_id=b_id) == 2

    b_children = {
        child.__table__.name: children_of(a, child, owner, parent, b_id)
        for child, owner, parent in CHILDREN
    }
    assert all(b_children.values()), b_children  # b had rows in each child table
    a_children = {
        child.__table__.name: children_of(a, child, owner, parent, a.node_id)
        for child, owner, parent in CHILDREN
    }

    removed = a.nodes.remove("b")
    assert removed.rows["containers"] == len(b_containers)
    assert removed.rows["containers_networks"] == 2

    for table in (m.Container, m.Profile, m.Image, m.ImageAlias, m.ContainerNetwork):
        assert rows(a, table.__table__, node_id=b_id) == 0, table.__table__.name
    # the children of b's containers, profiles and images went with them (they have no node_id
    # of their own): every row left there is one of a's, and a's are all there
    for child, owner, parent in CHILDREN:
        name = child.__table__.name
        left = rows(a, child.__table__)
        assert left == children_of(a, child, owner, parent, a.node_id) == a_children[name], name
    # a's own rows are as they were
    assert a.containers.names() == ["web1"]
    assert a.containers.using_network("br0", all_nodes=True) == [("a", "web1")]
    assert a.profiles.get("default").config == {"limits.memory": "1GiB"}
    assert a.nodes.names() == ["a", "c"]


def test_import_lxc_into_one_node_creates_and_updates_only_its_containers(nodes, tmp_path: Path):
    from core.importers import import_lxc
    from tests.core.test_import_lxc import lxc_dir

    a, b = nodes["a"], nodes["b"]
    b.containers.create("web1", devices={"eth0": nic("br7")})
    root = lxc_dir(tmp_path / "lxc", {"web1": "br0", "web2": "br1"})
    assert import_lxc(a, root).created == ["web1", "web2"]  # b's web1 is not a's
    assert import_lxc(a, root).created == []  # a second run finds a's own
    assert a.containers.using_network("br0") == ["web1"]
    assert b.containers.names() == ["web1"]
    assert b.containers.using_network("br7") == ["web1"]
    assert a.containers.using_network("br0", all_nodes=True) == [("a", "web1")]
