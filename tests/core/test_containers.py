"""Containers: create, read, update, delete, validation, on every backend."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core import AlreadyExists, NotFound, ValidationError, open_store
from core.errors import ABSENT
from core.models.containers import (
    ContainerConfig,
    ContainerDevice,
    ContainerDeviceConfig,
    ContainerProfile,
)
from core.store import ContainerInfo
from tests.helpers import nic


def count(store, model) -> int:
    with store.reading() as conn:
        return conn.scalar(select(func.count()).select_from(model))


def test_create_then_get_returns_every_field(store):
    store.profiles.create("default")
    store.profiles.create("web")
    store.containers.create(
        "web1",
        architecture="aarch64",
        power_state="running",
        ephemeral=True,
        profiles=["web", "default"],
        config={"limits.cpu": 2, "security.nesting": True, "user.note": "hi"},
        devices={"eth0": nic("br0"), "root": {"type": "disk", "path": "/", "pool": "default"}},
    )
    c = store.containers.get("web1")
    assert (c.name, c.architecture, c.type, c.power_state, c.ephemeral) == (
        "web1", "aarch64", "container", "running", True,
    )  # fmt: skip
    assert c.profiles == ["web", "default"]  # apply order is kept, not sorted
    assert c.config == {"limits.cpu": "2", "security.nesting": "true", "user.note": "hi"}
    assert c.devices == {
        "eth0": {"type": "nic", "network": "br0"},
        "root": {"type": "disk", "path": "/", "pool": "default"},
    }


def test_architecture_aliases_are_normalised(store):
    store.containers.create("c1", architecture="amd64")
    assert store.containers.get("c1").architecture == "x86_64"


def test_duplicate_name_is_already_exists(store):
    store.containers.create("c1")
    with pytest.raises(AlreadyExists, match="container 'c1' already exists"):
        store.containers.create("c1")


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.containers.get("ghost"),
        lambda s: s.containers.update("ghost", config={}),
        lambda s: s.containers.delete("ghost"),
        lambda s: s.containers.set_config("ghost", "limits.cpu", "1"),
        lambda s: s.containers.rename("ghost", "other"),
        lambda s: s.containers.expanded("ghost"),
    ],
    ids=["get", "update", "delete", "set_config", "rename", "expanded"],
)
def test_unknown_container_is_not_found(store, call):
    with pytest.raises(NotFound, match="container 'ghost' not found"):
        call(store)


def test_update_replaces_the_given_parts_whole_and_keeps_the_rest(store):
    store.containers.create(
        "c1",
        config={"limits.cpu": "1", "user.a": "x"},
        devices={"eth0": nic("br0")},
        ephemeral=True,
    )
    store.containers.update("c1", config={"limits.memory": "1GiB"})
    c = store.containers.get("c1")
    assert c.config == {"limits.memory": "1GiB"}
    assert c.devices == {"eth0": {"type": "nic", "network": "br0"}}
    assert c.ephemeral is True


def test_set_config_sets_and_none_unsets(store):
    store.containers.create("c1", config={"limits.cpu": "1"})
    store.containers.set_config("c1", "user.owner", "ops")
    store.containers.set_config("c1", "limits.cpu", None)
    assert store.containers.get("c1").config == {"user.owner": "ops"}


def test_rename_keeps_everything_and_refuses_a_taken_name(store):
    store.containers.create("c1", config={"user.a": "1"}, devices={"eth0": nic("br0")})
    store.containers.create("c2")
    with pytest.raises(AlreadyExists, match="'c2'"):
        store.containers.rename("c1", "c2")
    store.containers.rename("c1", "c3")
    assert store.containers.names() == ["c2", "c3"]
    assert store.containers.get("c3").devices == {"eth0": {"type": "nic", "network": "br0"}}


def test_delete_removes_config_devices_and_profile_links(store):
    store.profiles.create("default")
    store.containers.create(
        "c1", profiles=["default"], config={"user.a": "1"}, devices={"eth0": nic("br0")}
    )
    store.containers.delete("c1")
    assert store.containers.names() == []
    for model in (ContainerConfig, ContainerDevice, ContainerDeviceConfig, ContainerProfile):
        assert count(store, model) == 0, model.__tablename__


def test_create_with_unknown_profile_writes_nothing(store):
    with pytest.raises(NotFound, match="profile 'nope' not found"):
        store.containers.create("c1", profiles=["nope"], config={"user.a": "1"})
    assert store.containers.names() == []
    assert count(store, ContainerConfig) == 0


def test_save_many_writes_a_batch_as_save_writes_each(store):
    batch = [
        ContainerInfo("keep", "x86_64", profiles=["default"], config={"user.a": "1"}),
        ContainerInfo("change", "x86_64", config={"user.a": "1"}, devices={"eth0": nic("br0")}),
        ContainerInfo("new1", "aarch64", power_state="running", profiles=["web", "default"],
                      devices={"eth0": nic("br1"), "root": {"type": "disk", "path": "/"}}),
        ContainerInfo("new2", "x86_64", ephemeral=True, devices={"eth0": nic("br2", "parent")}),
    ]  # fmt: skip
    one_by_one = open_store(":memory:")
    for target in (store, one_by_one):
        target.profiles.create("default")
        target.profiles.create("web")
        target.containers.save(batch[0])
        target.containers.create("change", config={"user.a": "0"}, devices={"eth1": nic("br9")})
    assert store.containers.save_many(batch) == ["unchanged", "updated", "created", "created"]
    assert [one_by_one.containers.save(info) for info in batch] == [
        "unchanged", "updated", "created", "created",
    ]  # fmt: skip
    assert store.containers.list() == one_by_one.containers.list()
    # Same-named devices of several containers keep their own keys.
    assert store.containers.get("new2").devices == {"eth0": nic("br2", "parent")}
    assert store.containers.using_network("br1") == ["new1"]
    one_by_one.close()


def test_save_many_writes_all_or_nothing_and_names_the_broken_one(store):
    store.profiles.create("default")
    good = ContainerInfo("c1", "x86_64", profiles=["default"], config={"user.a": "1"})
    with pytest.raises(NotFound, match="profile 'nope' not found"):
        store.containers.save_many([good, ContainerInfo("c2", "x86_64", profiles=["nope"])])
    with pytest.raises(ValidationError) as err:
        store.containers.save_many([good, ContainerInfo("c2", "x86_64", config={"user.a": [1]})])
    assert (err.value.field, err.value.value) == ("containers[1].config.user.a", [1])
    with pytest.raises(ValidationError, match=r"containers\[1\].name: 'c1' appears more than once"):
        store.containers.save_many([good, good])
    assert store.containers.names() == [] and count(store, ContainerConfig) == 0
    assert store.containers.save_many([]) == []


@pytest.mark.parametrize(
    ("kwargs", "field", "value"),
    [
        ({"devices": {"eth0": {"type": "router"}}}, "devices.eth0.type", "router"),
        ({"devices": {"eth0": {"network": "br0"}}}, "devices.eth0.type", ABSENT),
        ({"devices": {".hidden": {"type": "nic"}}}, "devices", ".hidden"),
        ({"devices": {"eth0": {"type": "nic", "a b": "1"}}}, "devices.eth0", "a b"),
        ({"config": {"nodots": "1"}}, "config", "nodots"),
        ({"config": {"": "1"}}, "config", ""),
        ({"config": {"limits..cpu": "1"}}, "config", "limits..cpu"),
        ({"config": {"user.a": ["list"]}}, "config.user.a", ["list"]),
        ({"architecture": "sparc"}, "architecture", "sparc"),
        ({"power_state": "paused"}, "power_state", "paused"),
        ({"profiles": ["a", "a"]}, "profiles", ["a", "a"]),
    ],
)
def test_invalid_input_names_the_field_and_value_and_writes_nothing(store, kwargs, field, value):
    # The field is its path in the container, the owner not in front: a document puts its
    # place there (containers[2].devices.eth0.type).
    with pytest.raises(ValidationError) as err:
        store.containers.create("c1", **kwargs)
    assert err.value.field == field
    assert err.value.value == value
    shown = "" if value is ABSENT else f"{value!r} "
    assert str(err.value).startswith(f"{field}: {shown}")
    assert store.containers.names() == []


@pytest.mark.parametrize("name", ["-web", "web-", "123", "", "a" * 64, "we b", "web_1", "wéb"])
def test_bad_container_names_are_refused(store, name):
    with pytest.raises(ValidationError, match="name"):
        store.containers.create(name)


def test_a_failed_transaction_leaves_the_store_as_it_was(store):
    store.containers.create("keep", config={"user.a": "1"})
    with pytest.raises(ValidationError), store.transaction():
        store.containers.set_config("keep", "user.a", "2")
        store.containers.create("new")
        store.containers.create("bad name")
    assert store.containers.names() == ["keep"]
    assert store.containers.get("keep").config == {"user.a": "1"}


def test_list_filters_by_profile_network_and_image(store):
    store.profiles.create("web", devices={"eth0": nic("br0")})
    store.containers.create("a", profiles=["web"], config={"volatile.base_image": "f" * 64})
    store.containers.create("b", devices={"eth0": nic("br0")})
    store.containers.create(
        "c", devices={"eth0": nic("br1")}, config={"volatile.base_image": "f" * 64}
    )
    assert [c.name for c in store.containers.list(network="br0")] == ["a", "b"]
    assert [c.name for c in store.containers.list(profile="web")] == ["a"]
    assert [c.name for c in store.containers.list(image="f" * 64)] == ["a", "c"]
    assert [c.name for c in store.containers.list(network="br0", image="f" * 64)] == ["a"]
    assert store.containers.list(network="br9") == []
