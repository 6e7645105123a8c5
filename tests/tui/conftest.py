"""Fixtures of the TUI tests: a real SQLite file store, empty or filled through core's API.

(A test module may define its own ``db`` and ``store``; module fixtures win over these.)
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import core
from core import ImageInfo, Store
from core.demo import fill

from .pilot import FINGERPRINT


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "nk.db"


@pytest.fixture
def empty_store(db: Path) -> Iterator[Store]:
    store = core.open_store(db)
    yield store
    store.close()


@pytest.fixture
def store(empty_store: Store) -> Store:
    """Two profiles, two containers, one image, two services, three bindings."""
    s = empty_store
    s.profiles.create(
        "default",
        description="Default profile",
        config={"limits.cpu": "2", "limits.memory": "1GiB"},
        devices={
            "root": {"type": "disk", "path": "/", "pool": "default"},
            "eth0": {"type": "nic", "network": "lxdbr0"},
        },
    )
    s.profiles.create("gpu", description="", devices={"gpu0": {"type": "gpu"}})
    s.images.create(
        ImageInfo(
            fingerprint=FINGERPRINT,
            filename="x.tar.xz",
            size=123,
            architecture="x86_64",
            aliases={"ubuntu": ""},
        )
    )
    s.containers.create(
        "web1",
        power_state="running",
        profiles=["default", "gpu"],
        devices={
            "eth0": {"type": "nic", "network": "br0"},
            "eth1": {"type": "nic", "nictype": "macvlan", "parent": "enp3s0"},
            "data": {"type": "disk", "path": "/srv", "source": "/tank"},
        },
        config={"volatile.base_image": FINGERPRINT, "limits.cpu": "4"},
    )
    s.containers.create("db1", architecture="aarch64", profiles=["default"])
    s.services.create("svc1", service="aos_svc1.service", ttl=30, ul_limit=10**9)
    s.services.create("svc2", service="aos_svc2.service", version=3)
    s.services.set_state("svc1", "running")
    s.users.bind(["user1", "subject2"], "svc1", storage_folder="/var/aos/storage/1")
    s.users.bind(["user1", "subject2"], "svc2", state_checksum=bytes(range(32)))
    s.users.bind(["admin"], "svc1")
    return s


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo node (its long names, descriptions and sizes), made once for the module."""
    db = tmp_path_factory.mktemp("demo") / "nk.db"
    with core.open_store(db) as store:
        fill(store, containers=24, days=1, seed=7, now=datetime(2026, 11, 2, 9, 30, tzinfo=UTC))
    return db


@pytest.fixture
def demo_store(demo_db: Path) -> Iterator[Store]:
    with core.open_store(demo_db) as store:
        yield store
