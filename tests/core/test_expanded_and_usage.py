"""The expanded view and the usage queries ("which containers use br0?")."""

from __future__ import annotations

from core import ImageInfo
from tests.helpers import nic


def test_expanded_applies_profiles_in_order_then_local_config(store):
    store.profiles.create(
        "base", config={"limits.cpu": "1", "limits.memory": "1GiB", "user.a": "base"}
    )
    store.profiles.create("big", config={"limits.cpu": "8"})
    store.containers.create("c1", profiles=["base", "big"], config={"user.a": "local"})
    view = store.containers.expanded("c1")
    assert view.config == {"limits.cpu": "8", "limits.memory": "1GiB", "user.a": "local"}
    assert view.config_origin == {
        "limits.cpu": "profile:big",
        "limits.memory": "profile:base",
        "user.a": "local",
    }


def test_expanded_devices_are_replaced_whole_per_name(store):
    store.profiles.create(
        "base",
        devices={
            "eth0": nic("br0", nictype="bridged", mtu="9000"),
            "root": {"type": "disk", "path": "/", "pool": "default"},
        },
    )
    store.profiles.create("later", devices={"root": {"type": "disk", "path": "/", "pool": "fast"}})
    store.containers.create("c1", profiles=["base", "later"], devices={"eth0": nic("br7")})
    view = store.containers.expanded("c1")
    # The local eth0 replaces the profile's whole device: no mtu or nictype leaks through.
    assert view.devices["eth0"] == {"type": "nic", "network": "br7"}
    assert view.devices["root"]["pool"] == "fast"
    assert view.device_origin == {"eth0": "local", "root": "profile:later"}


def test_using_network_finds_own_and_inherited_nics(store):
    store.profiles.create("bridged", devices={"eth0": nic("br0")})
    store.containers.create("own-network", devices={"eth0": nic("br0")})
    store.containers.create("own-parent", devices={"eth1": nic("br0", key="parent")})
    store.containers.create("inherited", profiles=["bridged"])
    store.containers.create("elsewhere", devices={"eth0": nic("br1")})
    assert store.containers.using_network("br0") == ["inherited", "own-network", "own-parent"]
    assert store.containers.using_network("br1") == ["elsewhere"]
    assert store.containers.using_network("nothing") == []


def test_using_network_respects_overrides(store):
    store.profiles.create("first", devices={"eth0": nic("br0"), "eth1": nic("br0")})
    store.profiles.create("second", devices={"eth1": nic("br5")})
    # a local device of the same name replaces the inherited nic
    store.containers.create("local-override", profiles=["first"],
                            devices={"eth0": nic("br9"), "eth1": nic("br9")})  # fmt: skip
    # a later profile's device of the same name replaces the earlier one
    store.containers.create("profile-override", profiles=["first", "second"],
                            devices={"eth0": nic("br9")})  # fmt: skip
    # order matters: here "first" comes last and wins
    store.containers.create("reversed", profiles=["second", "first"], devices={"eth0": nic("br9")})
    # a same-named non-nic device also replaces it
    store.containers.create("replaced-by-disk", profiles=["first"],
                            devices={"eth0": {"type": "none"}, "eth1": {"type": "none"}})  # fmt: skip
    assert store.containers.using_network("br0") == ["reversed"]
    assert store.containers.using_network("br5") == ["profile-override"]


def test_using_network_ignores_devices_that_are_not_nics(store):
    store.containers.create(
        "c1", devices={"weird": {"type": "disk", "path": "/x", "parent": "br0"}}
    )
    assert store.containers.using_network("br0") == []


def test_container_listed_once_even_with_several_nics_on_the_network(store):
    store.profiles.create("p", devices={"eth2": nic("br0")})
    store.containers.create(
        "c1", profiles=["p"], devices={"eth0": nic("br0"), "eth1": nic("br0", "parent")}
    )
    assert store.containers.using_network("br0") == ["c1"]


def test_profiles_using_network(store):
    store.profiles.create("a", devices={"eth0": nic("br0")})
    store.profiles.create("b", devices={"eth0": nic("br0", key="parent"), "eth1": nic("br0")})
    store.profiles.create("c", devices={"eth0": nic("br1")})
    assert store.profiles.using_network("br0") == ["a", "b"]
    assert [p.name for p in store.profiles.list(network="br1")] == ["c"]


def test_containers_using_profile_and_image(store):
    fp = "ab" * 32
    store.images.create(ImageInfo(fingerprint=fp, filename="u.tar.xz", size=1, architecture="x86_64",
                                  aliases={"ubuntu/24.04": ""}))  # fmt: skip
    store.profiles.create("web")
    store.containers.create("a", profiles=["web"], config={"volatile.base_image": fp})
    store.containers.create("b", config={"volatile.base_image": fp})
    store.containers.create("c", profiles=["web"])
    assert store.containers.using_profile("web") == ["a", "c"]
    assert store.containers.using_image(fp) == ["a", "b"]
    assert store.containers.using_image("ubuntu/24.04") == ["a", "b"]
    assert store.containers.using_image(fp[:12]) == ["a", "b"]
    assert store.images.used_by("ubuntu/24.04") == ["a", "b"]
    assert store.profiles.used_by("web") == ["a", "c"]
