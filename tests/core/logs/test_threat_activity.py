"""store.threats.activity: per IP, its events in equal spans of a window, on every backend;
counts exact against counting the stored events in Python."""

from __future__ import annotations

from core import open_store
from tests.core.logs.threat_events import T0, event, random_events, store_events

HOUR = 3600


def expected(events: list[tuple], ips: list[str], since: int, until: int, buckets: int):
    width = -(-(until - since) // buckets)
    out = {ip: [0] * buckets for ip in ips}
    for row in events:
        ts, ip = row[0], row[7]
        if ip in out and since <= ts < until:
            out[ip][(ts - since) // width] += 1
    return out


def test_activity_counts_each_ips_events_per_hour_exactly(store):
    events = random_events(3, 1200, start=T0, span=2 * 86400)
    store_events(store, events)
    ips = ["203.0.113.9", "2001:db8:85a3::1", "10.1.2.3", "192.0.2.200"]
    since, until = T0 + 86400, T0 + 2 * 86400
    found = store.threats.activity(ips, since, until, 24)
    assert found == expected(events, ips, since, until, 24)
    assert sum(map(sum, found.values())) > 100  # the window holds many of them


def test_activity_window_edges_since_included_until_excluded(store):
    ip = "203.0.113.9"
    store_events(store, [event(T0 - 1, "login_failed", ip), event(T0, "login_failed", ip),
                         event(T0 + HOUR - 1, "ban", ip), event(T0 + HOUR, "ban", ip),
                         event(T0 + 3 * HOUR - 1, None, ip), event(T0 + 3 * HOUR, None, ip)])  # fmt: skip
    assert store.threats.activity([ip], T0, T0 + 3 * HOUR, 3) == {ip: [2, 1, 1]}


def test_activity_uneven_span_rounds_the_bucket_width_up(store):
    ip = "198.51.100.4"
    store_events(store, [event(T0 + s, "login_failed", ip) for s in range(10)])
    # 10 s in 3 spans of 4 s: 0-3, 4-7, 8-9
    assert store.threats.activity([ip], T0, T0 + 10, 3) == {ip: [4, 4, 2]}


def test_activity_only_the_ips_asked_for_zeros_for_an_ip_without_events(store):
    store_events(store, [event(T0, "login_failed", "203.0.113.9"),
                         event(T0, "login_failed", "203.0.113.77")])  # fmt: skip
    found = store.threats.activity(["203.0.113.9", "192.0.2.1"], T0, T0 + HOUR, 4)
    assert found == {"203.0.113.9": [1, 0, 0, 0], "192.0.2.1": [0, 0, 0, 0]}
    assert store.threats.activity([], T0, T0 + HOUR, 4) == {}
    assert store.threats.activity(["203.0.113.9"], T0 + HOUR, T0, 4) == {"203.0.113.9": [0] * 4}


def test_activity_many_ips_beyond_one_chunk_of_parameters(store):
    ips = [f"198.51.{i // 250}.{i % 250}" for i in range(1000)]
    store_events(store, [event(T0 + i, "firewall_block", ip) for i, ip in enumerate(ips)])
    found = store.threats.activity(ips, T0, T0 + 1000, 2)
    assert len(found) == 1000
    assert all(found[ip] == ([1, 0] if i < 500 else [0, 1]) for i, ip in enumerate(ips))


def test_activity_reads_only_this_nodes_events(tmp_path):
    ip = "203.0.113.9"
    db = tmp_path / "nk.db"
    with open_store(db, node="edge-1") as one, open_store(db, node="edge-2") as two:
        store_events(one, [event(T0, "login_failed", ip)])
        store_events(two, [event(T0, "login_failed", ip), event(T0 + 1, "ban", ip)])
        assert one.threats.activity([ip], T0, T0 + HOUR, 1) == {ip: [1]}
        assert two.threats.activity([ip], T0, T0 + HOUR, 1) == {ip: [2]}
