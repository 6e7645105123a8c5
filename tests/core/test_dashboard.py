"""The dashboard's read model (core.store.dashboard) on every backend: what snapshot() returns
for what was stored, and whether ChangeWatcher notices commits."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import event

from core import open_store
from core.samples import NetworkSample, SystemSample
from core.store.dashboard import (
    HOURS,
    STALE_AFTER,
    ChangeWatcher,
    collector_status_at,
    interfaces_at,
    snapshot,
)
from core.traffic_rules import Reading

NOW = 1_700_000_000  # 22:13:20 UTC
HOUR = 3600
CURRENT_HOUR = NOW - NOW % HOUR
MiB = 1 << 20


def at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def sample(ts: int, cpu: float = 10.0, **values) -> SystemSample:
    return SystemSample(ts, cpu_percent=cpu, **values)


def test_an_empty_store_gives_an_empty_snapshot(store):
    snap = snapshot(store, NOW)
    assert snap.system.latest is None
    assert snap.system.cpu == () and snap.interfaces == () and snap.chains == ()
    assert len(snap.history) == HOURS and all(h.samples == 0 for h in snap.history)
    assert snap.history[-1].hour == CURRENT_HOUR
    assert snap.collector.running is False and snap.collector.last_seen is None
    assert snap.period == "day" and snap.interval == 2.0  # the defaults


def test_latest_sample_and_recent_series_cover_the_window_only(store):
    store.telemetry.heartbeat(NOW, 2.0)
    old = [sample(NOW - 3600, cpu=99.0)]  # an hour ago: not in a 10-minute window
    recent = [
        sample(NOW - 20 + 2 * i, cpu=float(i), memory_percent=50.0 + i, load_1min=0.1 * i)
        for i in range(10)
    ]
    latest = sample(
        NOW,
        cpu=42.0,
        cpu_count=4,
        memory_total=8 << 30,
        memory_percent=61.5,
        disk_total=100 << 30,
        disk_used=71 << 30,
        disk_percent=71.0,
        disk_read_bytes=4 * MiB,
        disk_write_bytes=MiB,
        load_1min=1.5,
        load_5min=0.75,
        load_15min=0.25,
    )
    store.telemetry.insert_samples(old + recent + [latest])

    snap = snapshot(store, NOW, minutes=10)

    assert snap.system.latest == latest
    assert snap.system.cpu == (*(float(i) for i in range(10)), 42.0)
    assert snap.system.memory == (*(50.0 + i for i in range(10)), 61.5)
    assert snap.system.load[-1] == 1.5 and len(snap.system.load) == 11
    assert snap.system.disk_read_rate == 2 * MiB  # 4 MiB over the 2 s interval
    assert snap.system.disk_write_rate == MiB / 2
    assert snap.system.disk_io == (
        5 * MiB / 2,
    )  # read and written; samples without counters left out


def test_the_latest_sample_is_kept_when_the_window_is_empty(store):
    store.telemetry.insert_samples([sample(NOW - 7200, cpu=33.0)])
    snap = snapshot(store, NOW)
    assert snap.system.latest is not None and snap.system.latest.cpu_percent == 33.0
    assert snap.system.cpu == ()


def test_interface_rates_are_deltas_over_the_collector_interval(store):
    store.telemetry.heartbeat(NOW, 5.0)
    network = []
    for i in range(4):
        ts = NOW - 15 + 5 * i
        network.append(NetworkSample(ts, "eth0", bytes_sent=5 * 1000 * i, bytes_recv=5 * 2000 * i))
        network.append(NetworkSample(ts, "wlan0", bytes_sent=500, bytes_recv=0))
        network.append(NetworkSample(ts, "", bytes_sent=5 * 1000 * i + 500, bytes_recv=10000 * i))
    network.append(NetworkSample(NOW - 3600, "old0", bytes_sent=1, bytes_recv=1))
    store.telemetry.insert_samples(network=network)

    snap = snapshot(store, NOW)

    assert [i.interface for i in snap.interfaces] == ["", "eth0", "wlan0"]  # total first
    total, eth0, wlan0 = snap.interfaces
    assert total.is_total and not eth0.is_total
    assert (eth0.rx_rate, eth0.tx_rate) == (6000.0, 3000.0)  # the latest delta / 5 s
    assert eth0.rx_series == (0.0, 2000.0, 4000.0, 6000.0)
    assert wlan0.tx_series == (100.0,) * 4
    assert eth0.last_seen == NOW
    assert snap.interval == 5.0


def test_an_interface_without_a_sample_in_the_last_minute_is_stale(store):
    store.telemetry.heartbeat(NOW, 2.0)
    network = [NetworkSample(NOW - 300 + 2 * i, "gone0", 10, 10) for i in range(5)]  # 5 min ago
    network += [
        NetworkSample(NOW - 8 + 2 * i, name, 10, 10) for i in range(5) for name in ("", "eth0")
    ]
    store.telemetry.insert_samples(network=network)

    snap = snapshot(store, NOW)

    stale = {i.interface: i.stale for i in snap.interfaces}
    assert stale == {"": False, "eth0": False, "gone0": True}
    # Judged again at a later clock, without a read: eth0's last sample (NOW) ages too.
    later = {i.interface: i.stale for i in interfaces_at(snap.interfaces, NOW + 61, 2.0)}
    assert later == {"": True, "eth0": True, "gone0": True}
    assert interfaces_at(snap.interfaces, NOW + STALE_AFTER, 2.0) == snap.interfaces
    # A collector sampling less often than every minute: stale after two of its intervals.
    assert not any(i.stale for i in interfaces_at(snap.interfaces, NOW + 200, 120.0)[:2])


def test_without_a_heartbeat_the_interval_is_the_samples_spacing(store):
    stamps = [NOW - 12, NOW - 9, NOW - 6, NOW - 4, NOW - 1]  # mostly 3 s apart
    store.telemetry.insert_samples([sample(t) for t in stamps])
    assert snapshot(store, NOW).interval == 3.0
    store.config.set("collector.interval", "7")
    assert snapshot(store, NOW + 7200).interval == 7.0  # no recent samples: the setting


def test_chains_carry_the_limit_they_count_against(store):
    store.services.create("svc1", ul_limit=10 * MiB, dl_limit=100 * MiB)
    store.services.create("nolimit")
    t0, t1 = at(NOW - 100), at(NOW - 10)
    chains = ["eth0:in", "service:svc1:in", "service:svc1:out", "service:nolimit:out"]
    store.traffic.record([Reading(c, 0, 1, t0) for c in chains])
    store.traffic.record(
        [
            Reading("eth0:in", 3 << 30, 1, t1),
            Reading("service:svc1:in", 5 * MiB, 1, t1),
            Reading("service:svc1:out", 12 * MiB, 1, t1),  # over its ul_limit
            Reading("service:nolimit:out", MiB, 1, t1),
        ]
    )

    by_chain = {c.chain: c for c in snapshot(store, NOW).chains}

    # Over its limit first (what a short terminal must show), then the others by name.
    assert list(by_chain) == ["service:svc1:out", "eth0:in", "service:nolimit:out",
                              "service:svc1:in"]  # fmt: skip
    assert [c.over_limit for c in by_chain.values()] == [True, False, False, False]
    eth0 = by_chain["eth0:in"]
    assert (eth0.value, eth0.direction, eth0.service_id, eth0.limit, eth0.used) == (
        3 << 30,
        "in",
        None,
        None,
        None,
    )
    down, up = by_chain["service:svc1:in"], by_chain["service:svc1:out"]
    assert (down.service_id, down.direction, down.limit) == ("svc1", "in", 100 * MiB)
    assert down.used == 0.05
    assert (up.limit, up.used) == (10 * MiB, 1.2)
    assert up.status == "limit_exceeded"  # traffic accounting flagged the service
    assert by_chain["service:nolimit:out"].limit is None
    assert by_chain["service:nolimit:out"].used is None
    assert up.period_start == at(NOW - NOW % 86400) and up.time == t1


def test_history_takes_final_hours_from_the_rollups_and_the_current_one_from_raw(store):
    three_hours_ago = CURRENT_HOUR - 3 * HOUR
    store.telemetry.insert_samples(
        [sample(three_hours_ago + 60, cpu=20.0), sample(three_hours_ago + 120, cpu=40.0)],
        [NetworkSample(three_hours_ago + 60, "", bytes_sent=1000, bytes_recv=3000)],
    )
    store.telemetry.update_aggregates(NOW)  # the watermark is now the current hour
    # The raw samples of that hour go; its rollup stays.
    store.config.set("retention.raw_hours", "1")
    store.telemetry.cleanup(NOW)
    assert store.telemetry.system_samples(0) == []
    # The current hour, after the last rollup: only the raw samples know it.
    store.telemetry.insert_samples([sample(NOW - 30, cpu=90.0), sample(NOW - 10, cpu=70.0)])

    history = snapshot(store, NOW).history

    assert len(history) == HOURS
    assert [h.hour for h in history] == [CURRENT_HOUR - (HOURS - 1 - i) * HOUR for i in range(24)]
    past = history[-4]
    assert past.hour == three_hours_ago
    assert (past.samples, past.avg_cpu, past.max_cpu) == (2, 30.0, 40.0)
    assert (past.bytes_sent, past.bytes_recv, past.bytes_total) == (1000, 3000, 4000)
    current = history[-1]
    assert (current.samples, current.avg_cpu, current.max_cpu) == (2, 80.0, 90.0)
    assert sum(h.samples for h in history) == 4


def test_history_before_any_rollup_comes_from_raw(store):
    store.telemetry.insert_samples([sample(CURRENT_HOUR - HOUR + 5, cpu=12.0)])
    history = snapshot(store, NOW).history
    assert (history[-2].samples, history[-2].avg_cpu) == (1, 12.0)


def test_history_given_back_is_shown_again_until_the_hour_changes(store):
    store.telemetry.insert_samples([sample(NOW - 60, cpu=10.0)])
    first = snapshot(store, NOW).history
    store.telemetry.insert_samples([sample(NOW - 30, cpu=90.0)])
    kept = snapshot(store, NOW, history=first)
    assert kept.history is first and kept.system.cpu == (10.0, 90.0)  # the rest is read
    assert snapshot(store, NOW).history[-1].avg_cpu == 50.0  # not given: read
    # In the next hour the window moved: the 24 hours are read whatever was given.
    moved = snapshot(store, CURRENT_HOUR + HOUR + 5, history=first).history
    assert moved is not first and moved[-1].hour == CURRENT_HOUR + HOUR
    assert moved[-2].avg_cpu == 50.0


def test_cached_final_hours_follow_a_new_hour_a_backfill_and_a_recomputed_hour(store):
    # snapshot() caches the finished hours read from the rollups: each of these must show.
    two_hours_ago = CURRENT_HOUR - 2 * HOUR
    store.telemetry.insert_samples([sample(two_hours_ago + 60, cpu=20.0)])
    store.telemetry.update_aggregates(NOW)
    assert snapshot(store, NOW).history[-3].avg_cpu == 20.0
    assert snapshot(store, NOW).history[-3].avg_cpu == 20.0  # from the cache
    # A back-fill into that finished hour moves the watermark back: raw samples count again.
    store.telemetry.insert_samples([sample(two_hours_ago + 120, cpu=40.0)])
    assert (snapshot(store, NOW).history[-3].samples, snapshot(store, NOW).history[-3].avg_cpu) == (
        2,
        30.0,
    )
    # Rolled up again, the hour is final once more, read from its new rollup row.
    store.telemetry.update_aggregates(NOW)
    assert snapshot(store, NOW).history[-3].avg_cpu == 30.0
    # A finished hour recomputed in place (its raw samples changed without a back-fill).
    store.telemetry.insert_samples([sample(two_hours_ago + 180, cpu=90.0)])
    store.telemetry.update_aggregates(NOW)
    assert snapshot(store, NOW).history[-3].avg_cpu == 50.0
    with store.transaction() as conn:
        conn.exec_driver_sql(f"DELETE FROM system_metrics WHERE timestamp = {two_hours_ago + 180}")
    store.telemetry.recompute_hour(two_hours_ago)
    assert snapshot(store, NOW).history[-3].avg_cpu == 30.0
    # A new hour moves the window: the hour that was current is now a finished one.
    store.telemetry.insert_samples([sample(NOW - 10, cpu=70.0)])
    store.telemetry.update_aggregates(NOW)
    later = snapshot(store, NOW + HOUR).history
    assert later[-1].hour == CURRENT_HOUR + HOUR and later[-1].samples == 0
    assert (later[-2].hour, later[-2].avg_cpu) == (CURRENT_HOUR, 70.0)
    assert (later[-4].hour, later[-4].avg_cpu) == (two_hours_ago, 30.0)


def test_collector_status_is_the_heartbeat_and_ages_like_the_repository_says(store):
    store.telemetry.heartbeat(NOW, 2.0)
    status = snapshot(store, NOW + 1).collector
    assert status.running and status.interval == 2.0
    for later in (NOW + 5, NOW + 10, NOW + 11, NOW + 60):
        assert collector_status_at(status, later) == store.telemetry.collector_status(later)
    store.telemetry.heartbeat(NOW + 2, 2.0, state="stopped")
    stopped = snapshot(store, NOW + 3).collector
    assert not stopped.running and stopped.state == "stopped"
    assert collector_status_at(stopped, NOW + 3) == stopped


def test_a_snapshot_reads_on_one_connection(store):
    store.telemetry.insert_samples([sample(NOW)], [NetworkSample(NOW, "eth0")])
    checkouts = []

    def count(*_):
        checkouts.append(1)

    event.listen(store.engine, "checkout", count)
    try:
        snapshot(store, NOW)
    finally:
        event.remove(store.engine, "checkout", count)
    assert len(checkouts) == 1


def test_the_watcher_notices_commits_and_nothing_else(store):
    with ChangeWatcher(store) as watcher:
        assert watcher.changed() is True  # the first call
        assert watcher.changed() is False
        store.telemetry.system_samples(0)  # a read is not a change
        assert watcher.changed() is False
        store.telemetry.heartbeat(NOW, 2.0)
        assert watcher.changed() is True
        assert watcher.changed() is False
        store.services.create("svc1")
        assert watcher.changed() is True


def test_the_watcher_sees_another_processs_connection_commit(file_store, db_path):
    with ChangeWatcher(file_store) as watcher:
        watcher.changed()
        other = open_store(db_path)  # as a collector process would
        try:
            other.telemetry.insert_samples([sample(NOW)])
        finally:
            other.close()
        assert watcher.changed() is True
        assert watcher.changed() is False


def test_a_reset_watcher_reconnects_and_answers_changed(file_store):
    watcher = ChangeWatcher(file_store)
    watcher.changed()
    watcher.reset()
    assert watcher.changed() is True and watcher.changed() is False
    watcher.close()
