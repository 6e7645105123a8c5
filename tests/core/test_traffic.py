"""Traffic accounting: the counting rules, chain readings, and the repository on every backend."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select, update

from core import NotFound, ValidationError, open_store
from core.collect.traffic import boot_time, counter_readings, interface_readings
from core.models.services import Service
from core.models.telemetry import LogEvent
from core.traffic_rules import (
    WRAP32,
    WRAP64,
    ChainState,
    Finished,
    Reading,
    account,
    classify,
    next_period_start,
    parse_service_chain,
    period_start,
    service_chain,
)
from tests.helpers import store_config_unchecked

T0 = datetime(2024, 3, 10, 12, 0, 0, tzinfo=UTC)
BOOT = 1_710_000_000
RATE = 10_000_000_000  # the default traffic.max_rate, bits/s
GB = 1_000_000_000


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def state(last_raw: int, *, boot: int = BOOT, value: int = 0, time: datetime = T0) -> ChainState:
    return ChainState(last_raw, boot, value, period_start(time, "day"), time)


def add_service(store, sid: str, *, ul: int | None = None, dl: int | None = None, status=0):
    with store.transaction() as conn:
        conn.execute(
            insert(Service.__table__).values(
                node_id=store.node_id, id=sid, ul_limit=ul, dl_limit=dl, status=status
            )
        )


def service_status(store, sid: str) -> int:
    with store.reading() as conn:
        return conn.scalar(select(Service.__table__.c.status).where(Service.__table__.c.id == sid))


def limit_events(store) -> list:
    le = LogEvent.__table__
    with store.reading() as conn:
        return conn.execute(
            select(le).where(le.c.action == "traffic_limit").order_by(le.c.id)
        ).all()


# -- the rules (pure) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("hour", datetime(2024, 3, 10, 12, 0, tzinfo=UTC)),
        ("day", datetime(2024, 3, 10, tzinfo=UTC)),
        ("month", datetime(2024, 3, 1, tzinfo=UTC)),
    ],
)
def test_period_start_is_the_utc_hour_day_or_month_start(period, expected):
    # 13:45 in UTC+01:00 is 12:45 UTC: periods are UTC whatever zone the time is given in.
    t = datetime(2024, 3, 10, 13, 45, 7, 123, tzinfo=timezone(timedelta(hours=1)))
    assert period_start(t, period) == expected
    assert period_start(t, period).tzinfo is not None


def test_next_period_start_crosses_a_year_end():
    t = datetime(2024, 12, 31, 23, 30, tzinfo=UTC)
    assert next_period_start(t, "hour") == datetime(2025, 1, 1, tzinfo=UTC)
    assert next_period_start(t, "day") == datetime(2025, 1, 1, tzinfo=UTC)
    assert next_period_start(t, "month") == datetime(2025, 1, 1, tzinfo=UTC)


def test_period_start_refuses_a_naive_time_and_an_unknown_period():
    with pytest.raises(ValidationError, match="timezone-aware"):
        period_start(datetime(2024, 1, 1), "day")
    with pytest.raises(ValidationError) as err:
        period_start(T0, "week")
    assert err.value.field == "traffic.period"


def test_first_reading_is_a_baseline_that_counts_nothing():
    new, counted, finished = account(
        None, Reading("eth0:in", 123_456, BOOT, T0), period="day", max_rate_bits=RATE
    )
    assert counted == 0 and finished is None
    assert new == ChainState(123_456, BOOT, 0, datetime(2024, 3, 10, tzinfo=UTC), T0)


@pytest.mark.parametrize(
    ("last", "raw", "boot", "elapsed", "rule", "counted"),
    [
        (1000, 1500, BOOT, 2, "count", 500),
        (1000, 1000, BOOT, 2, "count", 0),
        # 10 Gbit/s over 2 s is 2.5 GB: a drop from near 2^32 is a 32-bit wrap...
        (WRAP32 - 100, 50, BOOT, 2, "wrap32", 150),
        # ...and from near 2^64 a 64-bit wrap.
        (WRAP64 - 100, 50, BOOT, 2, "wrap64", 150),
        # A drop from far below either limit is a reset: the new value counts from zero.
        (10 * GB, 7000, BOOT, 2, "reset", 7000),
        (1 * GB, 7000, BOOT, 2, "reset", 7000),
        # A new boot counts the new counter from zero, even when it is above the old one.
        (1000, 5000, BOOT + 3600, 2, "reboot", 5000),
        (5000, 1000, BOOT + 3600, 2, "reboot", 1000),
        # btime jitter (NTP) within 15 s is the same boot.
        (1000, 1500, BOOT + 1, 2, "count", 500),
        (1000, 1500, BOOT - 15, 2, "count", 500),
        # More than 10 Gbit/s is bogus: nothing counts.
        (1000, 1000 + 2_500_000_001, BOOT, 2, "discarded", 0),
        (1000, 1000 + 2_500_000_000, BOOT, 2, "count", 2_500_000_000),
        (10 * GB, 3 * GB, BOOT, 2, "discarded", 0),  # a reset to an impossible value
        (1000, 5 * GB, BOOT + 3600, 2, "discarded", 0),  # a reboot likewise
        # Less than a second elapsed is taken as one second.
        (0, 1_250_000_000, BOOT, 0, "count", 1_250_000_000),
        (0, 1_250_000_001, BOOT, 0, "discarded", 0),
    ],
)
def test_each_rule_of_the_table_counts_what_it_says(last, raw, boot, elapsed, rule, counted):
    s = state(last)
    reading = Reading("eth0:in", raw, boot, at(elapsed))
    assert classify(s, reading, max_rate_bits=RATE) == (rule, counted)
    new, got, _ = account(s, reading, period="day", max_rate_bits=RATE)
    assert got == counted
    assert new.value == counted
    # Whatever the rule, the reading is the new baseline.
    assert (new.last_raw, new.boot_time, new.time) == (raw, boot, at(elapsed))


def test_a_32_bit_wrap_is_only_taken_when_the_max_rate_allows_it():
    # A wrap from 2^32 - 2e9 to 50 means 2e9 + 50 bytes: too many for 10 Gbit/s in one second,
    # so the drop is a reset; over ten seconds it is possible, so it is a wrap.
    s = state(WRAP32 - 2 * GB)
    assert classify(s, Reading("c", 50, BOOT, at(1)), max_rate_bits=RATE) == ("reset", 50)
    assert classify(s, Reading("c", 50, BOOT, at(10)), max_rate_bits=RATE) == (
        "wrap32",
        2 * GB + 50,
    )


def test_a_reading_in_a_new_period_finishes_the_old_one_and_counts_in_the_new():
    s = ChainState(1000, BOOT, 777, datetime(2024, 3, 10, tzinfo=UTC), at(0))
    later = datetime(2024, 3, 11, 0, 0, 5, tzinfo=UTC)
    new, counted, finished = account(
        s, Reading("eth0:in", 1500, BOOT, later), period="day", max_rate_bits=RATE
    )
    assert finished == Finished("eth0:in", "day", datetime(2024, 3, 10, tzinfo=UTC), 777)
    assert counted == 500 and new.value == 500
    assert new.period_start == datetime(2024, 3, 11, tzinfo=UTC)


def test_a_reading_from_before_the_chains_period_counts_in_the_current_period():
    s = ChainState(1000, BOOT, 10, datetime(2024, 3, 10, tzinfo=UTC), at(0))
    earlier = datetime(2024, 3, 9, 23, 59, tzinfo=UTC)  # the clock went back
    new, counted, finished = account(
        s, Reading("eth0:in", 1100, BOOT, earlier), period="day", max_rate_bits=RATE
    )
    assert finished is None and counted == 100
    assert new.value == 110 and new.period_start == datetime(2024, 3, 10, tzinfo=UTC)


def test_interface_readings_name_in_and_out_chains_and_skip_loopback():
    # psutil's order: (bytes_sent, bytes_recv, packets_sent, ...)
    counters = {
        "lo": (9, 9, 1, 1),
        "lo0": (9, 9),
        "lowpan0": (3, 4),
        "eth0": (100, 200, 5, 6),
        "wg0": (7, 8),
    }
    readings = interface_readings(counters, BOOT, T0, loopback={"wg0"})
    assert [(r.chain, r.raw) for r in readings] == [
        ("eth0:in", 200),
        ("eth0:out", 100),
        ("lowpan0:in", 4),
        ("lowpan0:out", 3),
    ]
    assert all(r.boot_time == BOOT and r.time == T0 for r in readings)


def test_counter_readings_keep_the_chain_names():
    readings = counter_readings({"service:web:out": 5, "service:web:in": 7}, BOOT, T0)
    assert [(r.chain, r.raw) for r in readings] == [("service:web:in", 7), ("service:web:out", 5)]


def test_service_chain_names_round_trip():
    assert service_chain("a:b", "in") == "service:a:b:in"
    assert parse_service_chain("service:a:b:in") == ("a:b", "in")
    assert parse_service_chain("service:web:out") == ("web", "out")
    assert parse_service_chain("eth0:in") is None
    assert parse_service_chain("service::in") is None
    with pytest.raises(ValidationError):
        service_chain("web", "up")


def test_boot_time_reads_btime_from_proc_stat(tmp_path):
    (tmp_path / "stat").write_text(
        "cpu  4705 356 584 3699 23 23 0 0 0 0\nintr 1462898 0\nctxt 2055950\n"
        "btime 1710000123\nprocesses 26442\nprocs_running 1\n"
    )
    assert boot_time(tmp_path) == 1710000123


def test_boot_time_without_a_btime_line_is_an_os_error(tmp_path):
    (tmp_path / "stat").write_text("cpu  1 2 3\n")
    with pytest.raises(OSError, match="btime"):
        boot_time(tmp_path)


def test_boot_time_of_this_machine_is_in_the_past():
    assert 0 < boot_time() <= datetime.now(UTC).timestamp()


# -- the repository ---------------------------------------------------------------------------


def test_first_reading_sets_the_baseline_and_counts_nothing(store):
    [result] = store.traffic.record([Reading("eth0:in", 5_000_000, BOOT, T0)])
    assert (result.rule, result.counted, result.value) == ("baseline", 0, 0)
    info = store.traffic.get("eth0:in")
    assert (info.value, info.time, info.period_start) == (0, T0, datetime(2024, 3, 10, tzinfo=UTC))
    assert store.traffic.state("eth0:in").last_raw == 5_000_000


def test_later_readings_count_the_growth(store):
    store.traffic.record([Reading("eth0:in", 1000, BOOT, at(0))])
    store.traffic.record([Reading("eth0:in", 1600, BOOT, at(2))])
    results = store.traffic.record([Reading("eth0:in", 2000, BOOT, at(4))])
    assert [(r.rule, r.counted) for r in results] == [("count", 400)]
    assert store.traffic.get("eth0:in").value == 1000
    assert store.traffic.get("eth0:in").time == at(4)


def test_several_chains_and_readings_are_recorded_in_one_call(store):
    store.traffic.record(
        [
            Reading("eth0:in", 10, BOOT, at(0)),
            Reading("eth0:out", 20, BOOT, at(0)),
            Reading("eth0:in", 15, BOOT, at(1)),  # a second reading of the same chain
        ]
    )
    values = {c.chain: c.value for c in store.traffic.chains()}
    assert values == {"eth0:in": 5, "eth0:out": 0}
    assert store.traffic.names() == ["eth0:in", "eth0:out"]


def test_more_chains_than_one_in_list_holds_are_read_and_written_in_one_call(store):
    # 1,100 chains: two full IN lists of 512 and a padded one of 128 (core.db.prepared).
    chains = [f"veth{i}:in" for i in range(1100)]
    store.traffic.record([Reading(c, 1000, BOOT, at(0)) for c in chains])
    results = store.traffic.record(
        [Reading(c, 1000 + i, BOOT, at(2)) for i, c in enumerate(chains)]
    )
    assert [(r.chain, r.rule, r.counted) for r in results] == [
        (c, "count", i) for i, c in enumerate(chains)
    ]
    assert {c.chain: c.value for c in store.traffic.chains()} == {
        c: i for i, c in enumerate(chains)
    }


def test_counters_near_2_64_are_stored_exactly(store):
    store.traffic.record([Reading("eth0:in", WRAP64 - 7, BOOT, at(0))])
    assert store.traffic.state("eth0:in").last_raw == WRAP64 - 7
    [r] = store.traffic.record([Reading("eth0:in", 3, BOOT, at(1))])
    assert (r.rule, r.counted) == ("wrap64", 10)
    assert store.traffic.state("eth0:in").last_raw == 3


def test_state_persists_across_reopen_so_a_restart_counts_exactly_once(db_path):
    with open_store(db_path) as s:
        s.traffic.record([Reading("eth0:in", 1000, BOOT, at(0))])
        s.traffic.record([Reading("eth0:in", 3000, BOOT, at(10))])
    with open_store(db_path) as s:  # the collector restarted
        [r] = s.traffic.record([Reading("eth0:in", 3500, BOOT, at(20))])
        assert (r.rule, r.counted, r.value) == ("count", 500, 2500)
    with open_store(db_path) as s:
        assert s.traffic.state("eth0:in") == ChainState(
            3500, BOOT, 2500, datetime(2024, 3, 10, tzinfo=UTC), at(20)
        )


def test_a_reboot_counts_the_new_counter_from_zero(store):
    store.traffic.record([Reading("eth0:in", 50_000, BOOT, at(0))])
    [r] = store.traffic.record([Reading("eth0:in", 80_000, BOOT + 600, at(600))])
    assert (r.rule, r.counted) == ("reboot", 80_000)
    assert store.traffic.state("eth0:in").boot_time == BOOT + 600


def test_a_bogus_jump_is_discarded_and_the_next_reading_counts_normally(store):
    store.traffic.record([Reading("eth0:in", 1000, BOOT, at(0))])
    [r] = store.traffic.record([Reading("eth0:in", 10**15, BOOT, at(1))])
    assert (r.rule, r.counted, r.value) == ("discarded", 0, 0)
    [r] = store.traffic.record([Reading("eth0:in", 10**15 + 42, BOOT, at(2))])
    assert (r.rule, r.counted, r.value) == ("count", 42, 42)


def test_the_max_rate_setting_decides_what_is_discarded(store):
    store.config.set("traffic.max_rate", 8000)  # 1000 bytes/s
    store.traffic.record([Reading("eth0:in", 0, BOOT, at(0))])
    [r] = store.traffic.record([Reading("eth0:in", 2000, BOOT, at(2))])
    assert (r.rule, r.counted) == ("count", 2000)
    [r] = store.traffic.record([Reading("eth0:in", 4001, BOOT, at(4))])
    assert (r.rule, r.counted) == ("discarded", 0)


@pytest.mark.parametrize(
    ("period", "same", "next_"),
    [
        ("hour", at(59 * 60 - 1), datetime(2024, 3, 10, 13, 0, 1, tzinfo=UTC)),
        ("day", datetime(2024, 3, 10, 23, 59, 59, tzinfo=UTC), datetime(2024, 3, 11, tzinfo=UTC)),
        (
            "month",
            datetime(2024, 3, 31, 23, 0, tzinfo=UTC),
            datetime(2024, 4, 1, 0, 30, tzinfo=UTC),
        ),
    ],
)
def test_hour_day_and_month_periods_end_at_their_boundary(store, period, same, next_):
    store.config.set("traffic.period", period)
    store.traffic.record([Reading("eth0:in", 0, BOOT, T0)])
    store.traffic.record([Reading("eth0:in", 100, BOOT, same)])
    assert store.traffic.history() == []
    [r] = store.traffic.record([Reading("eth0:in", 130, BOOT, next_)])
    assert r.finished == Finished("eth0:in", period, period_start(T0, period), 100)
    assert store.traffic.get("eth0:in").value == 30
    assert store.traffic.get("eth0:in").period_start == period_start(next_, period)
    [h] = store.traffic.history()
    assert (h.chain, h.period, h.period_start, h.value) == (
        "eth0:in",
        period,
        period_start(T0, period),
        100,
    )


def test_history_filters_by_chain_and_since(store):
    store.config.set("traffic.period", "hour")
    for hour in range(4):
        t = T0 + timedelta(hours=hour)
        store.traffic.record(
            [Reading("eth0:in", 100 * hour, BOOT, t), Reading("eth0:out", 10 * hour, BOOT, t)]
        )
    assert len(store.traffic.history()) == 6
    mine = store.traffic.history("eth0:out")
    # The 12:00 hour only held the baseline; each later hour got 10 bytes.
    assert [(h.period_start, h.value) for h in mine] == [
        (T0, 0),
        (T0 + timedelta(hours=1), 10),
        (T0 + timedelta(hours=2), 10),
    ]
    recent = store.traffic.history(since=T0 + timedelta(hours=2))
    assert [(h.chain, h.value) for h in recent] == [("eth0:in", 100), ("eth0:out", 10)]


def test_rollover_closes_the_period_of_a_quiet_chain(store):
    store.traffic.record([Reading("eth0:in", 0, BOOT, at(0))])
    store.traffic.record([Reading("eth0:in", 900, BOOT, at(10))])
    assert store.traffic.rollover(at(3600)) == []  # still the same day
    finished = store.traffic.rollover(datetime(2024, 3, 11, 0, 0, 1, tzinfo=UTC))
    assert finished == [Finished("eth0:in", "day", datetime(2024, 3, 10, tzinfo=UTC), 900)]
    info = store.traffic.get("eth0:in")
    assert (info.value, info.period_start) == (0, datetime(2024, 3, 11, tzinfo=UTC))
    assert [h.value for h in store.traffic.history()] == [900]
    # A second rollover in the same period does nothing.
    assert store.traffic.rollover(datetime(2024, 3, 11, 5, tzinfo=UTC)) == []


def test_rollover_keeps_the_raw_counter_so_the_next_reading_counts_normally(store):
    store.traffic.record([Reading("eth0:in", 0, BOOT, at(0))])
    store.traffic.rollover(datetime(2024, 3, 11, 0, 0, 1, tzinfo=UTC))
    # 12 hours later the counter grew by 1 TB: 1e12 B over 12 h is far under 10 Gbit/s,
    # which it would not be if the rollover had moved the chain's reading time.
    t = datetime(2024, 3, 11, 0, 0, 2, tzinfo=UTC)
    [r] = store.traffic.record([Reading("eth0:in", 10**12, BOOT, t)])
    assert (r.rule, r.counted, r.finished) == ("count", 10**12, None)


def test_limit_exceeded_flags_the_service_once_and_logs_a_warning(store):
    add_service(store, "web", dl=1000)
    store.traffic.record([Reading("service:web:in", 0, BOOT, at(0))])
    store.traffic.record([Reading("service:web:in", 1000, BOOT, at(1))])
    assert service_status(store, "web") == 0  # at the limit is not over it
    store.traffic.record([Reading("service:web:in", 1001, BOOT, at(2))])
    store.traffic.record([Reading("service:web:in", 5000, BOOT, at(3))])
    assert service_status(store, "web") == 2
    [event] = limit_events(store)
    assert (event.source, event.level, event.service, event.timestamp) == (
        "nodekeeper",
        "warning",
        "web",
        int(at(2).timestamp()),
    )
    assert "service:web:in" in event.message and "1001" in event.message
    assert "1000" in event.message
    meta = json.loads(event.metadata)
    assert (meta["chain"], meta["value"], meta["limit"]) == ("service:web:in", 1001, 1000)


def test_ul_limit_applies_to_out_and_dl_limit_to_in(store):
    add_service(store, "up", ul=100)
    add_service(store, "down", dl=100)
    readings = [
        Reading(service_chain(sid, d), raw, BOOT, t)
        for t, raw in ((at(0), 0), (at(1), 500))
        for sid in ("up", "down")
        for d in ("in", "out")
    ]
    store.traffic.record(readings[:4])
    assert (service_status(store, "up"), service_status(store, "down")) == (0, 0)
    store.traffic.record(readings[4:])
    assert (service_status(store, "up"), service_status(store, "down")) == (2, 2)
    assert {(e.service, json.loads(e.metadata)["chain"]) for e in limit_events(store)} == {
        ("up", "service:up:out"),
        ("down", "service:down:in"),
    }


def test_a_null_or_zero_limit_means_no_limit(store):
    add_service(store, "free", ul=0, dl=None)
    store.traffic.record([Reading("service:free:out", 0, BOOT, at(0))])
    store.traffic.record([Reading("service:free:out", 10**9, BOOT, at(1))])
    assert service_status(store, "free") == 0
    assert limit_events(store) == []


def test_a_chain_of_an_unknown_service_is_counted_without_limits(store):
    store.traffic.record([Reading("service:ghost:in", 0, BOOT, at(0))])
    [r] = store.traffic.record([Reading("service:ghost:in", 10, BOOT, at(1))])
    assert r.counted == 10 and limit_events(store) == []


def test_limit_flag_is_cleared_when_a_reading_starts_a_new_period(store):
    add_service(store, "web", ul=100)
    store.traffic.record([Reading("service:web:out", 0, BOOT, at(0))])
    store.traffic.record([Reading("service:web:out", 500, BOOT, at(1))])
    assert service_status(store, "web") == 2
    store.traffic.record([Reading("service:web:out", 550, BOOT, T0 + timedelta(days=1))])
    assert service_status(store, "web") == 0
    # Going over again in the new period flags and logs again.
    store.traffic.record([Reading("service:web:out", 700, BOOT, T0 + timedelta(days=1, hours=1))])
    assert service_status(store, "web") == 2
    assert len(limit_events(store)) == 2


def test_rollover_clears_the_limit_flag_of_a_quiet_service(store):
    add_service(store, "web", dl=100)
    store.traffic.record([Reading("service:web:in", 0, BOOT, at(0))])
    store.traffic.record([Reading("service:web:in", 500, BOOT, at(1))])
    assert service_status(store, "web") == 2
    store.traffic.rollover(T0 + timedelta(days=1))
    assert service_status(store, "web") == 0
    assert store.traffic.get("service:web:in").value == 0


def test_a_status_other_than_limit_exceeded_is_left_alone_at_a_new_period(store):
    add_service(store, "web", dl=100, status=1)
    store.traffic.record([Reading("service:web:in", 0, BOOT, at(0))])
    store.traffic.rollover(T0 + timedelta(days=1))
    assert service_status(store, "web") == 1


def test_a_limit_crossed_by_the_second_direction_logs_its_own_event(store):
    add_service(store, "web", ul=100, dl=100)
    store.traffic.record(
        [Reading("service:web:in", 0, BOOT, at(0)), Reading("service:web:out", 0, BOOT, at(0))]
    )
    store.traffic.record([Reading("service:web:in", 500, BOOT, at(1))])
    store.traffic.record([Reading("service:web:out", 500, BOOT, at(2))])
    store.traffic.record([Reading("service:web:out", 600, BOOT, at(3))])
    assert service_status(store, "web") == 2
    chains = [json.loads(e.metadata)["chain"] for e in limit_events(store)]
    assert chains == ["service:web:in", "service:web:out"]


def test_limit_events_use_now_when_given(store):
    add_service(store, "web", dl=1)
    store.traffic.record([Reading("service:web:in", 0, BOOT, at(0))])
    store.traffic.record([Reading("service:web:in", 5, BOOT, at(1))], now=at(99))
    assert [e.timestamp for e in limit_events(store)] == [int(at(99).timestamp())]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("traffic.period", "week"),
        ("traffic.max_rate", "fast"),
        ("traffic.max_rate", "0"),
    ],
)
def test_a_bad_traffic_setting_is_refused_and_a_stored_one_does_not_stop_recording(
    store, key, value
):
    with pytest.raises(ValidationError) as err:
        store.config.set(key, value)
    assert (err.value.field, err.value.value) == (key, value)
    store_config_unchecked(store, key, value)  # as an older nodekeeper could have stored it
    store.traffic.record([Reading("eth0:in", 1, BOOT, T0)])  # with the default instead
    assert [c.chain for c in store.traffic.chains()] == ["eth0:in"]


@pytest.mark.parametrize(
    ("reading", "field"),
    [
        (Reading("eth0:in", 1, BOOT, datetime(2024, 1, 1)), "reading eth0:in: time"),
        (Reading("eth0:in", -1, BOOT, T0), "reading eth0:in: raw"),
        (Reading("eth0:in", WRAP64, BOOT, T0), "reading eth0:in: raw"),
        (Reading("eth0:in", 1, "x", T0), "reading eth0:in: boot_time"),  # type: ignore[arg-type]
        (Reading("", 1, BOOT, T0), "reading.chain"),
        (Reading("x" * 256, 1, BOOT, T0), "reading.chain"),
        (Reading("eth0\n:in", 1, BOOT, T0), "reading.chain"),
    ],
)
def test_a_malformed_reading_is_a_validation_error_and_nothing_is_written(store, reading, field):
    with pytest.raises(ValidationError) as err:
        store.traffic.record([Reading("eth1:in", 1, BOOT, T0), reading])
    assert err.value.field == field
    assert store.traffic.chains() == []


def test_record_inside_an_outer_transaction_rolls_back_with_it(store):
    class Boom(Exception):
        pass

    with pytest.raises(Boom), store.transaction():
        store.traffic.record([Reading("eth0:in", 1, BOOT, T0)])
        raise Boom
    assert store.traffic.chains() == []


def test_get_and_state_of_an_unknown_chain_are_not_found(store):
    with pytest.raises(NotFound, match="traffic chain 'nope' not found"):
        store.traffic.get("nope")
    with pytest.raises(NotFound):
        store.traffic.state("nope")
    with pytest.raises(NotFound):
        store.traffic.delete("nope")


def test_a_deleted_chain_starts_again_from_a_baseline(store):
    store.traffic.record([Reading("eth0:in", 1, BOOT, at(0))])
    store.traffic.delete("eth0:in")
    [r] = store.traffic.record([Reading("eth0:in", 500, BOOT, at(1))])
    assert (r.rule, r.counted) == ("baseline", 0)


def test_a_row_without_a_raw_counter_keeps_its_value_and_becomes_a_baseline(store):
    # A row as the service manager kept it (chain, time, value) before raw counters were stored.
    tm = store.traffic.table
    with store.transaction() as conn:
        conn.execute(
            insert(tm).values(node_id=store.node_id, chain="eth0:in", value=4242, time=at(-60))
        )
    [r] = store.traffic.record([Reading("eth0:in", 10**9, BOOT, at(0))])
    assert (r.rule, r.counted, r.value) == ("baseline", 0, 4242)
    [r] = store.traffic.record([Reading("eth0:in", 10**9 + 8, BOOT, at(1))])
    assert r.value == 4250


def test_a_row_without_a_period_from_an_earlier_day_is_closed_into_history(store):
    tm = store.traffic.table
    with store.transaction() as conn:
        conn.execute(
            insert(tm).values(node_id=store.node_id, chain="eth0:in", value=4242, time=at(-86400))
        )
        conn.execute(
            insert(tm).values(node_id=store.node_id, chain="eth0:out", value=99, time=at(-86400))
        )
    [r] = store.traffic.record([Reading("eth0:in", 10**9, BOOT, at(0))])
    assert r.finished == Finished("eth0:in", "day", datetime(2024, 3, 9, tzinfo=UTC), 4242)
    assert (r.rule, r.value) == ("baseline", 0)
    # The quiet one is closed by rollover, the same way.
    [f] = store.traffic.rollover(at(0))
    assert f == Finished("eth0:out", "day", datetime(2024, 3, 9, tzinfo=UTC), 99)
    assert {(h.chain, h.value) for h in store.traffic.history()} == {
        ("eth0:in", 4242),
        ("eth0:out", 99),
    }


def test_rollover_gives_a_row_without_a_period_the_period_of_its_time(store):
    tm = store.traffic.table
    with store.transaction() as conn:
        conn.execute(
            insert(tm).values(node_id=store.node_id, chain="eth0:in", value=4242, time=at(-60))
        )
    assert store.traffic.rollover(at(0)) == []
    info = store.traffic.get("eth0:in")
    assert (info.value, info.period_start) == (4242, datetime(2024, 3, 10, tzinfo=UTC))


def test_a_finished_period_already_in_history_is_added_to(store):
    store.config.set("traffic.period", "hour")
    store.traffic.record([Reading("eth0:in", 0, BOOT, at(0))])
    store.traffic.record([Reading("eth0:in", 10, BOOT, at(3600))])  # hour 12 closed: 0
    store.traffic.record([Reading("eth0:in", 10, BOOT, at(3601))])
    # Move the chain's period back to 12:00 (as a clock set back would), then close it again.
    with store.transaction() as conn:
        tm = store.traffic.table
        conn.execute(update(tm).values(period_start=T0, value=7))
    store.traffic.record([Reading("eth0:in", 20, BOOT, at(3700))])
    assert [(h.period_start, h.value) for h in store.traffic.history()] == [(T0, 7)]
