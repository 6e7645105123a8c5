"""Trace patterns derived from the log events (store.threats.update), on every backend: each type
just below and at its threshold, windows at their edge, the same rows however the events are
split between updates and however often they run."""

from __future__ import annotations

import random

import pytest

from core.store.threats import in_windows, signature
from tests.core.logs.threat_events import T0, event, random_events, store_events


def spray(n):  # n users from one IP
    return [event(T0 + i, "login_failed", "203.0.113.9", f"user.{i}") for i in range(n)]


def brute(n):
    return [event(T0 + i * 30, "login_failed", "203.0.113.9", "root") for i in range(n)]


def distributed(n):  # one user from n IPs, IPv6 among them
    return [event(T0 + i, "login_failed", f"2001:db8::{i + 1:x}", "j.doe") for i in range(n)]


def sweep_v4(n):
    return [event(T0 + i * 60, "firewall_block", f"198.51.100.{i + 1}", proto="TCP", dpt=23)
            for i in range(n)]  # fmt: skip


def sweep_v6(n):
    return [event(T0 + i, "invalid_user", f"2001:db8:1:2:{i + 1:x}::9", "x") for i in range(n)]


def unit(n):
    return [event(T0 + i * 100, "unit_failed", unit="ota.service", level="error") for i in range(n)]


def io(n):
    return [event(T0 + i, "io_error", device="sdb", level="error") for i in range(n)]


CASES = [  # type, settings name, default count, events of n, the signature
    ("brute_force", "brute_force", 10, brute, "brute_force:203.0.113.9"),
    ("password_spray", "password_spray", 5, spray, "password_spray:203.0.113.9"),
    ("distributed_attack", "distributed", 10, distributed, "distributed_attack:j.doe"),
    ("subnet_sweep", "sweep", 5, sweep_v4, "subnet_sweep:198.51.100.0/24"),
    ("subnet_sweep", "sweep", 5, sweep_v6, "subnet_sweep:2001:db8:1:2::/64"),
    ("unit_failing", "unit_failed", 3, unit, "unit_failing:ota.service"),
    ("io_errors", "io_error", 5, io, "io_errors:sdb"),
]


@pytest.mark.parametrize(("kind", "name", "count", "make", "sig"), CASES, ids=[c[4] for c in CASES])
def test_each_pattern_is_found_at_its_threshold_not_below(store, kind, name, count, make, sig):
    store_events(store, make(count - 1))
    store.threats.update()
    assert store.threats.patterns(kind) == []
    with store.transaction() as conn:  # start over with count events
        conn.exec_driver_sql("DELETE FROM log_events")
    store.threats.rebuild()
    events = make(count)
    store_events(store, events)
    store.threats.update()
    [found] = store.threats.patterns(kind)
    assert found.signature == sig and found.occurrence_count == count
    assert (found.first_seen, found.last_seen) == (events[0][0], events[-1][0])
    assert found.metadata["peak"] == count and found.metadata["count"] == count


@pytest.mark.parametrize(("kind", "name", "count", "make", "sig"), CASES, ids=[c[4] for c in CASES])
def test_thresholds_are_settings(store, kind, name, count, make, sig):
    store.config.set(f"patterns.{name}.count", str(count + 2))
    store_events(store, make(count + 1))
    store.threats.update()
    assert store.threats.patterns(kind) == []
    store_events(store, make(count + 2)[-1:])
    store.threats.update()
    assert [p.occurrence_count for p in store.threats.patterns(kind)] == [count + 2]


def test_a_window_holds_events_at_most_its_seconds_apart(store):
    store.config.set("patterns.brute_force.window", "100")
    far = [event(T0 + i * 101, "login_failed", "203.0.113.9", "root") for i in range(10)]
    near = [event(T0 + i * 11, "login_failed", "203.0.113.77", "root") for i in range(10)]  # 99 s
    edge = [event(T0 + (i * 100) // 9, "login_failed", "192.0.2.1", "root") for i in range(10)]
    store_events(store, far + near + edge)
    store.threats.update()
    found = {p.signature: p.occurrence_count for p in store.threats.patterns("brute_force")}
    assert found == {"brute_force:203.0.113.77": 10, "brute_force:192.0.2.1": 10}


def test_two_bursts_make_one_pattern_with_both_counted(store):
    first = brute(12)
    later = [event(T0 + 86400 + i, "login_failed", "203.0.113.9", "root") for i in range(10)]
    lone = [event(T0 + 43200, "login_failed", "203.0.113.9", "root")]  # in no window
    store_events(store, first + lone)
    store.threats.update()
    store_events(store, later)
    store.threats.update()
    [p] = store.threats.patterns("brute_force")
    assert p.occurrence_count == 22 and p.first_seen == T0 and p.last_seen == T0 + 86409


def test_the_same_rows_however_the_events_are_split_between_updates(store):
    events = random_events(11, 900, span=1800)
    for name, count in (
        ("brute_force", 4),
        ("password_spray", 3),
        ("distributed", 3),
        ("sweep", 2),
    ):
        store.config.set(f"patterns.{name}.count", str(count))  # every type of pattern appears
    store_events(store, events)
    store.threats.update()
    whole = store.threats.patterns()
    assert {p.pattern_type for p in whole} == {
        "brute_force", "password_spray", "distributed_attack", "subnet_sweep", "unit_failing",
        "io_errors",
    }  # fmt: skip
    assert store.threats.update().events == 0 and store.threats.patterns() == whole
    rng = random.Random(5)
    for _ in range(2):
        cuts = sorted(rng.sample(range(1, 900), 6))
        with store.transaction() as conn:
            conn.exec_driver_sql("DELETE FROM log_events")
        store.threats.rebuild()
        for a, b in zip([0, *cuts], [*cuts, 900], strict=True):
            store_events(store, events[a:b])  # later batches hold earlier times too
            store.threats.update()
        assert store.threats.patterns() == whole


def test_in_windows_marks_the_events_of_runs_that_reach_the_count():
    inside, peak = in_windows([0, 5, 10, 100, 200, 201, 202], None, 3, 10)
    assert inside == [True, True, True, False, True, True, True] and peak == 3
    inside, peak = in_windows([0, 1, 2, 3], ["a", "a", "b", "a"], 2, 10)
    assert inside == [True] * 4 and peak == 2
    inside, _ = in_windows([0, 1, 2, 3], ["a", "a", "a", "a"], 2, 10)
    assert inside == [False] * 4


def test_a_long_key_gives_a_signature_within_the_column():
    sig = signature("distributed_attack", "u" * 400)
    assert len(sig) <= 255 and sig.startswith("distributed_attack:uuu")
    assert sig != signature("distributed_attack", "u" * 399)
