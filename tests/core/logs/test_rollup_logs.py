"""The log columns of the hourly and daily rollups, on every backend: from each event's own time,
exact against brute-force SQL over log_events, in the log parser's vocabulary, recomputed
without counting twice; history imported after its hours were rolled up is rolled up again."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.store.telemetry import DAY, HOUR, day_of, day_start
from tests.core.logs.threat_events import T0, event, random_events, store_events

COLUMNS = ("total_events", "error_count", "warning_count", "failed_login_count",
           "banned_ip_count", "unique_ips", "unique_users")  # fmt: skip
BRUTE = """
    SELECT {bucket} AS b, count(*),
           sum(CASE WHEN level IN ('emergency', 'alert', 'critical', 'error') THEN 1 ELSE 0 END),
           sum(CASE WHEN level = 'warning' THEN 1 ELSE 0 END),
           sum(CASE WHEN action = 'login_failed' THEN 1 ELSE 0 END),
           sum(CASE WHEN action = 'ban' THEN 1 ELSE 0 END),
           count(DISTINCT ip_address), count(DISTINCT "user")
    FROM log_events WHERE node_id = :node GROUP BY {bucket}"""


def brute(store, seconds: int) -> dict[int, tuple]:
    sql = text(BRUTE.format(bucket=f"(timestamp / {seconds}) * {seconds}"))
    with store.reading() as conn:
        return {
            int(r[0]): tuple(int(v) for v in r[1:])
            for r in conn.execute(sql, {"node": store.node_id})
        }


def hours(store) -> dict[int, tuple]:
    return {h["hour_timestamp"]: tuple(h[c] for c in COLUMNS) for h in store.telemetry.hourly()}


def days(store) -> dict[int, tuple]:
    return {day_start(d["date"]): tuple(d[c] for c in COLUMNS) for d in store.telemetry.daily()}


def test_hourly_and_daily_log_columns_match_brute_force_sql(store):
    store_events(store, random_events(21, 2000, span=3 * DAY))
    end = T0 + 3 * DAY
    store.telemetry.update_aggregates(end)
    assert hours(store) == brute(store, HOUR)
    assert days(store) == brute(store, DAY)
    assert sum(h[3] for h in hours(store).values()) > 0  # login_failed counted
    assert sum(h[1] for h in hours(store).values()) > 0  # emergency to error


def test_recomputing_counts_nothing_twice(store):
    store_events(store, random_events(22, 500, span=DAY))
    store.telemetry.update_aggregates(T0 + DAY)
    once = (hours(store), days(store))
    store.telemetry.update_aggregates(T0 + DAY)
    for hour in range(T0, T0 + DAY, HOUR):
        store.telemetry.recompute_hour(hour)
    store.telemetry.recompute_day(day_of(T0))
    assert (hours(store), days(store)) == once == (brute(store, HOUR), brute(store, DAY))


def test_events_imported_after_their_hours_were_rolled_up_are_rolled_up_by_event_time(store):
    store_events(store, [event(T0 + 2 * DAY, "login_failed", "203.0.113.9", "root")])
    store.threats.update()
    store.telemetry.update_aggregates(T0 + 2 * DAY + 10)
    # A log file of the day before is imported now: its hours were rolled up (empty) already.
    store_events(store, random_events(23, 300, span=DAY))
    store.threats.update()  # moves the rollups' watermark back to the oldest new event's hour
    store.telemetry.update_aggregates(T0 + 2 * DAY + 20)
    assert hours(store) == brute(store, HOUR)
    assert days(store) == brute(store, DAY)


@pytest.mark.parametrize("level", ["emergency", "alert", "critical", "error"])
def test_every_severity_from_error_up_is_an_error(store, level):
    store_events(store, [event(T0, level=level), event(T0, level="warning"),
                         event(T0, "ban_restored", "203.0.113.9"), event(T0, "ban", "2001:db8::1")])  # fmt: skip
    store.telemetry.update_aggregates(T0 + 10)
    [hour] = store.telemetry.hourly()
    assert (hour["error_count"], hour["warning_count"], hour["banned_ip_count"]) == (1, 1, 1)
    assert (hour["unique_ips"], hour["total_events"]) == (2, 4)
