"""Metrics history: ingest, rollups against brute-force SQL, idempotency, retention, stats."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, insert, select, text

from core import StoreError, ValidationError
from core.models.admin import AuditLog
from core.models.services import TrafficHistory
from core.models.telemetry import EventTrace, LogEvent
from core.samples import NetworkSample, SystemSample
from core.store.telemetry import DAY, HOUR, day_of
from core.traffic_rules import Reading

START = 1_700_000_000 - 1_700_000_000 % DAY  # a UTC midnight
LEVELS = ["info", "warning", "error", "critical", None]
ACTIONS = ["failed_login", "ban", "login", None]


def fill(store, seed: int = 7, days: float = 2.5) -> int:
    """Irregular samples and events over some days; returns the time just after the last one."""
    rng = random.Random(seed)
    system, network, events = [], [], []
    t = START + rng.randint(0, 600)
    end = START + int(days * DAY)
    while t < end:
        cpu = None if rng.random() < 0.03 else round(rng.uniform(0, 100), 2)
        system.append(
            SystemSample(
                t, cpu_percent=cpu, memory_percent=None if cpu is None else rng.uniform(5, 95)
            )
        )
        network.append(
            NetworkSample(t, "", bytes_sent=rng.randint(0, 10**6), bytes_recv=rng.randint(0, 10**7))
        )
        network.append(NetworkSample(t, "eth0", bytes_sent=rng.randint(0, 10**6)))
        if rng.random() < 0.3:
            events.append({"timestamp": t, "source": "auth", "level": rng.choice(LEVELS[:4]),
                           "message": "x", "action": rng.choice(ACTIONS),
                           "ip_address": f"10.0.0.{rng.randint(1, 9)}", "user": rng.choice(["a", "b", None])})  # fmt: skip
        t += rng.randint(1, 300)
    store.telemetry.insert_samples(system, network)
    with store.transaction() as conn:
        conn.execute(insert(LogEvent.__table__), [{**e, "node_id": store.node_id} for e in events])
    return t


def brute_hours(store) -> dict[int, tuple]:
    sql = text("""
        SELECT (timestamp / 3600) * 3600 AS h, count(cpu_percent), avg(cpu_percent), max(cpu_percent),
               max(memory_percent) FROM system_metrics GROUP BY (timestamp / 3600) * 3600""")
    with store.reading() as conn:
        return {int(h): (n, avg, mx, mm) for h, n, avg, mx, mm in conn.execute(sql)}


def test_hourly_rollups_match_brute_force_sql(store):
    end = fill(store)
    store.telemetry.update_aggregates(end)
    hours = {r["hour_timestamp"]: r for r in store.telemetry.hourly()}
    expected = brute_hours(store)
    assert set(hours) == set(expected)
    for hour, (count, avg, cpu_max, mem_max) in expected.items():
        row = hours[hour]
        assert row["sample_count"] == count
        assert row["avg_cpu_percent"] == pytest.approx(avg)
        assert (row["max_cpu_percent"], row["max_memory_percent"]) == pytest.approx(
            (cpu_max, mem_max)
        )
    with store.reading() as conn:
        sent = conn.scalar(text("SELECT sum(bytes_sent) FROM network_metrics WHERE interface = ''"))
        errors = conn.scalar(
            text("SELECT count(*) FROM log_events WHERE level IN ('error', 'critical')")
        )
        bans = conn.scalar(text("SELECT count(*) FROM log_events WHERE action = 'ban'"))
    assert sum(r["total_bytes_sent"] for r in hours.values()) == sent
    assert sum(r["error_count"] for r in hours.values()) == errors
    assert sum(r["banned_ip_count"] for r in hours.values()) == bans


def test_daily_rollups_match_brute_force_sql_over_the_raw_rows(store):
    end = fill(store)
    store.telemetry.update_aggregates(end)
    sql = text("""SELECT count(cpu_percent), avg(cpu_percent), max(cpu_percent) FROM system_metrics
                  WHERE timestamp >= :a AND timestamp < :b""")
    days = store.telemetry.daily()
    assert [d["date"] for d in days] == [
        day_of(START),
        day_of(START + DAY),
        day_of(START + 2 * DAY),
    ]
    with store.reading() as conn:
        for i, row in enumerate(days):
            a = START + i * DAY
            count, avg, mx = conn.execute(sql, {"a": a, "b": a + DAY}).one()
            ips, users = conn.execute(text(
                "SELECT count(DISTINCT ip_address), count(DISTINCT \"user\") FROM log_events "
                "WHERE timestamp >= :a AND timestamp < :b"), {"a": a, "b": a + DAY}).one()  # fmt: skip
            assert row["sample_count"] == count
            assert row["avg_cpu_percent"] == pytest.approx(
                avg, rel=1e-9
            )  # exact mean of the samples
            assert row["max_cpu_percent"] == pytest.approx(mx)
            assert (row["unique_ips"], row["unique_users"]) == (ips, users)


def test_rollups_are_idempotent(store):
    end = fill(store, days=1.2)
    store.telemetry.update_aggregates(end)
    first = (store.telemetry.hourly(), store.telemetry.daily())
    store.telemetry.update_aggregates(end)
    for hour in [r["hour_timestamp"] for r in first[0]]:
        assert store.telemetry.recompute_hour(hour)
    for day in [d["date"] for d in first[1]]:
        assert store.telemetry.recompute_day(day)
    strip = lambda rows: [{k: v for k, v in r.items() if k != "id"} for r in rows]  # noqa: E731
    assert strip(store.telemetry.hourly()) == strip(first[0])
    assert strip(store.telemetry.daily()) == strip(first[1])


def test_rollups_are_incremental_and_finish_a_partial_hour(store):
    base = START + 10 * HOUR
    store.telemetry.insert_samples([SystemSample(base + 60, cpu_percent=10.0, memory_percent=50.0)])
    store.telemetry.update_aggregates(base + 120)  # the hour is still going on
    assert [r["sample_count"] for r in store.telemetry.hourly()] == [1]
    store.telemetry.insert_samples([SystemSample(base + 1800, cpu_percent=30.0, memory_percent=50.0),
                                    SystemSample(base + HOUR + 5, cpu_percent=90.0, memory_percent=50.0)])  # fmt: skip
    store.telemetry.update_aggregates(base + HOUR + 10)
    rows = store.telemetry.hourly()
    assert [(r["sample_count"], r["avg_cpu_percent"]) for r in rows] == [(2, 20.0), (1, 90.0)]
    assert store.telemetry.daily()[0]["avg_cpu_percent"] == pytest.approx(130 / 3)


def test_cleanup_applies_each_retention_and_keeps_the_rollups(store):
    now = START + 10 * DAY
    old, recent = now - 3 * DAY, now - 2 * HOUR
    store.telemetry.insert_samples(
        [SystemSample(old, cpu_percent=1.0, memory_percent=1.0), SystemSample(recent, cpu_percent=2.0, memory_percent=2.0)],
        [NetworkSample(old, ""), NetworkSample(recent, "")],
    )  # fmt: skip
    with store.transaction() as conn:
        ids = [conn.execute(insert(LogEvent.__table__).values(node_id=store.node_id, timestamp=t, source="auth", level="info",
                            message="m")).inserted_primary_key[0] for t in (now - 40 * DAY, recent)]  # fmt: skip
        conn.execute(
            insert(EventTrace.__table__).values(
                node_id=store.node_id, event_id=ids[0], timestamp=now - 40 * DAY
            )
        )
        conn.execute(insert(AuditLog.__table__), [
            {"node_id": store.node_id, "timestamp": datetime.fromtimestamp(t, UTC), "actor": "ops", "action": "edit", "resource": "c1"}
            for t in (now - 400 * DAY, recent)])  # fmt: skip
        conn.execute(insert(TrafficHistory.__table__).values(node_id=store.node_id,
            chain="eth0:in", period="day", period_start=datetime.fromtimestamp(now - 2000 * DAY, UTC), value=5))  # fmt: skip
    deleted = store.telemetry.cleanup(now)
    assert deleted["system_metrics"] == 1 and deleted["network_metrics"] == 1
    assert (
        deleted["log_events"] == 1
        and deleted["audit_logs"] == 1
        and deleted["traffic_history"] == 1
    )
    assert [s["timestamp"] for s in store.telemetry.system_samples(0)] == [recent]
    rolled = {r["hour_timestamp"]: r["sample_count"] for r in store.telemetry.hourly()}
    assert rolled[old - old % HOUR] == 1  # the deleted sample was rolled up first
    with store.reading() as conn:
        assert (
            conn.scalar(select(func.count()).select_from(EventTrace)) == 0
        )  # cascaded with its event
    store.config.set("retention.raw_hours", 1)
    assert store.telemetry.cleanup(now)["system_metrics"] == 1


def test_stats_counts_rows_of_every_table(store):
    store.telemetry.insert_samples([SystemSample(START, cpu_percent=1.0)])
    rows, size = store.telemetry.stats()
    assert rows["system_metrics"] == 1 and rows["containers"] == 0 and "schema" in rows
    if store.location.in_memory:
        assert size is None
    else:
        assert size > 0


def test_collector_status_follows_the_heartbeat(store):
    assert not store.telemetry.collector_status(1000.0).running
    store.telemetry.heartbeat(1000.0, interval=2.0)
    status = store.telemetry.collector_status(1005.0)
    assert status.running and status.interval == 2.0 and status.pid is not None
    assert not store.telemetry.collector_status(1100.0).running  # stale
    store.telemetry.heartbeat(1006.0, interval=2.0, state="stopped")
    assert not store.telemetry.collector_status(1007.0).running


def test_back_filled_samples_are_rolled_up_too(store):
    base = START + 10 * HOUR
    store.telemetry.insert_samples([SystemSample(base + 60, cpu_percent=10.0, memory_percent=1.0)])
    store.telemetry.update_aggregates(base + 3 * HOUR)
    store.telemetry.insert_samples(
        [SystemSample(base - 2 * HOUR, cpu_percent=50.0, memory_percent=1.0)]
    )
    store.telemetry.update_aggregates(base + 3 * HOUR)
    assert [r["hour_timestamp"] for r in store.telemetry.hourly()] == [base - 2 * HOUR, base]


# -- one reading of the collector --------------------------------------------------------------

BOOT = 1_699_000_000


def reading_at(now: float, raw: int) -> tuple[SystemSample, list[NetworkSample], list[Reading]]:
    when = datetime.fromtimestamp(now, UTC)
    return (
        SystemSample(int(now), cpu_percent=12.5, memory_percent=40.0),
        [
            NetworkSample(int(now), "eth0", bytes_recv=raw),
            NetworkSample(int(now), "", bytes_recv=raw),
        ],
        [Reading("eth0:in", raw, BOOT, when)],
    )


def test_a_reading_stores_its_samples_traffic_rollover_and_heartbeat(store):
    now = START + 10 * HOUR + 30.0
    yesterday = datetime.fromtimestamp(now - DAY, UTC)
    store.traffic.record([Reading("quiet:in", 5, BOOT, yesterday)])  # a chain no longer read
    store.traffic.record([Reading("quiet:in", 905, BOOT, yesterday)])
    store.telemetry.record_reading(*reading_at(now - 2, 1000), now=now - 2, interval=2.0)
    store.telemetry.record_reading(*reading_at(now, 1500), now=now, interval=2.0)

    assert [s["cpu_percent"] for s in store.telemetry.system_samples(0)] == [12.5, 12.5]
    assert len(store.telemetry.network_samples(0, interface=None)) == 4
    assert store.traffic.get("eth0:in").value == 500
    # The quiet chain's day ended: its 900 bytes are history, its value starts again at 0.
    assert [(h.chain, h.value) for h in store.traffic.history("quiet:in")] == [("quiet:in", 900)]
    assert store.traffic.get("quiet:in").value == 0
    status = store.telemetry.collector_status(now + 1)
    assert status.running and status.last_seen == now and status.interval == 2.0


def test_a_reading_whose_commit_went_unanswered_is_stored_once(store):
    """The connection was lost during COMMIT: the collector cannot know whether the reading was
    stored, and writes it again with ``again=True``. Stored already: nothing is written twice;
    not stored: it is written."""
    now = START + 10 * HOUR
    store.telemetry.record_reading(*reading_at(now, 1000), now=now, interval=2.0)
    store.telemetry.record_reading(*reading_at(now + 2, 1500), now=now + 2, interval=2.0)
    assert not store.telemetry.record_reading(
        *reading_at(now + 2, 1500), now=now + 2, interval=2.0, again=True
    )
    assert [s["timestamp"] for s in store.telemetry.system_samples(0)] == [now, now + 2]
    assert len(store.telemetry.network_samples(0, interface=None)) == 4
    assert store.traffic.get("eth0:in").value == 500
    # The next reading's COMMIT never reached the server: written again, it is stored.
    assert store.telemetry.record_reading(
        *reading_at(now + 4, 1700), now=now + 4, interval=2.0, again=True
    )
    assert [s["timestamp"] for s in store.telemetry.system_samples(0)] == [now, now + 2, now + 4]
    assert store.traffic.get("eth0:in").value == 700


def test_a_reading_that_cannot_be_written_whole_leaves_nothing(store):
    now = START + 10 * HOUR
    store.telemetry.record_reading(*reading_at(now, 1000), now=now, interval=2.0)
    with store.transaction() as conn:  # the heartbeat, written last, now fails
        conn.execute(text("DROP TABLE metadata"))
    with pytest.raises(StoreError, match="metadata"):
        store.telemetry.record_reading(*reading_at(now + 2, 1500), now=now + 2, interval=2.0)
    assert len(store.telemetry.system_samples(0)) == 1
    assert store.traffic.get("eth0:in").value == 0  # the reading's 500 bytes were not counted
    with pytest.raises(ValidationError):  # a malformed reading: refused before anything is written
        store.telemetry.record_reading(
            SystemSample(int(now + 4)), [], [Reading("eth0\n:in", 1, BOOT, datetime.now(UTC))],
            now=now + 4, interval=2.0,
        )  # fmt: skip
    assert len(store.telemetry.system_samples(0)) == 1
