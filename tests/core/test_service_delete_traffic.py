"""Deleting a service takes its traffic accounting with it: chains and history, in one go."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core import NotFound
from core.store.services import traffic_chains
from core.traffic_rules import Reading, service_chain

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
BOOT = 1_770_000_000


def count_traffic(store, service_id: str) -> None:
    """Both chains of a service with a finished period (history) and a current one."""
    chains = traffic_chains(service_id)
    store.traffic.record([Reading(c, 1000, BOOT, T0) for c in chains])
    store.traffic.record([Reading(c, 5000, BOOT, T0 + timedelta(minutes=1)) for c in chains])
    store.traffic.rollover(now=T0 + timedelta(days=1))  # the day ends: history
    store.traffic.record(
        [Reading(c, 9000, BOOT, T0 + timedelta(days=1, minutes=1)) for c in chains]
    )


def traffic_of(store) -> tuple[list[str], list[str]]:
    """The chains counted now, and those with history."""
    return store.traffic.names(), sorted({h.chain for h in store.traffic.history()})


@pytest.fixture
def counted(store):
    for sid in ("gone", "stays", "gone:x"):  # "gone:x" owns service:gone:x:in, not "gone"
        store.services.create(sid)
        count_traffic(store, sid)
    store.traffic.record([Reading("eth0:in", 1, BOOT, T0)])  # an interface chain
    store.users.bind(["u1"], "gone")
    return store


def test_traffic_chains_of_a_service_are_its_in_and_out_chains():
    assert traffic_chains("svc1") == [service_chain("svc1", "in"), service_chain("svc1", "out")]
    assert traffic_chains("svc1") == ["service:svc1:in", "service:svc1:out"]


def test_delete_removes_the_services_chains_and_their_history(counted):
    store = counted
    assert store.traffic.history("service:gone:in")[0].value == 4000
    store.services.delete("gone")
    chains, history = traffic_of(store)
    assert chains == [
        "eth0:in",
        "service:gone:x:in",
        "service:gone:x:out",
        "service:stays:in",
        "service:stays:out",
    ]
    assert history == [
        "service:gone:x:in", "service:gone:x:out", "service:stays:in", "service:stays:out",
    ]  # fmt: skip
    assert store.traffic.history("service:gone:in") == []
    with pytest.raises(NotFound, match="traffic chain 'service:gone:out' not found"):
        store.traffic.get("service:gone:out")
    assert store.users.entries() == []


def test_other_services_chains_and_history_are_untouched(counted):
    store = counted
    before = {
        sid: ([store.traffic.get(c) for c in traffic_chains(sid)],
              [store.traffic.history(c) for c in traffic_chains(sid)])
        for sid in ("stays", "gone:x")
    }  # fmt: skip
    store.services.delete("gone")
    after = {
        sid: ([store.traffic.get(c) for c in traffic_chains(sid)],
              [store.traffic.history(c) for c in traffic_chains(sid)])
        for sid in ("stays", "gone:x")
    }  # fmt: skip
    assert after == before
    assert store.traffic.get("service:stays:out").value == 4000


def test_a_failed_delete_changes_nothing(counted):
    store = counted
    before = (store.traffic.chains(), store.traffic.history(), store.services.ids())
    with pytest.raises(NotFound, match="service 'ghost' not found"):
        store.services.delete("ghost")
    assert (store.traffic.chains(), store.traffic.history(), store.services.ids()) == before


def test_a_delete_rolled_back_with_its_transaction_keeps_the_traffic(counted):
    store = counted
    before = (store.traffic.chains(), store.traffic.history())
    with pytest.raises(RuntimeError), store.transaction():
        store.services.delete("gone")
        assert store.traffic.history("service:gone:in") == []
        raise RuntimeError("the caller fails after the delete")
    assert store.services.ids() == ["gone", "gone:x", "stays"]
    assert (store.traffic.chains(), store.traffic.history()) == before


def test_chains_left_without_a_service_are_removed_with_it_too(store):
    store.services.create("svc")
    count_traffic(store, "svc")
    store.traffic.delete("service:svc:in")  # history only, for that chain
    store.services.delete("svc")
    assert traffic_of(store) == ([], [])


def test_expired_services_take_their_traffic_with_them(store):
    store.services.create("old", ttl=1, start_at=T0 - timedelta(days=10))
    store.services.create("young", ttl=100, start_at=T0)
    for sid in ("old", "young"):
        count_traffic(store, sid)
    assert store.services.remove_expired(now=T0 + timedelta(days=2)) == ["old"]
    chains, history = traffic_of(store)
    assert chains == history == ["service:young:in", "service:young:out"]
