"""IP reputation and threat scores derived from the log events (store.threats), on every backend:
counts exact against brute-force SQL, each event counted once however often and however the
updates run, the score's formula, decay and exemptions, the node's rows only, retention."""

from __future__ import annotations

import csv
import io
import json
import math
import threading

import pytest
from sqlalchemy import text

from core import ValidationError, open_store
from core.cli import main
from core.store.threats import MARK, base_score, exempt
from tests.core.logs.threat_events import T0, event, random_events, store_events

HOUR, DAY = 3600, 86400

BRUTE = text("""
    SELECT ip_address, min(timestamp), max(timestamp), count(*),
           sum(CASE WHEN action = 'login_failed' THEN 1 ELSE 0 END),
           sum(CASE WHEN action = 'invalid_user' THEN 1 ELSE 0 END),
           sum(CASE WHEN action = 'auth_failure' THEN 1 ELSE 0 END),
           sum(CASE WHEN action = 'ban' THEN 1 ELSE 0 END),
           sum(CASE WHEN action = 'firewall_block' THEN 1 ELSE 0 END),
           sum(CASE WHEN action = 'login_accepted' THEN 1 ELSE 0 END)
    FROM log_events WHERE node_id = :node AND ip_address IS NOT NULL GROUP BY ip_address""")
STORED = text("""
    SELECT ip_address, first_seen, last_seen, total_events, failed_login_count,
           invalid_user_count, auth_failure_count, banned_count, firewall_block_count,
           accepted_login_count
    FROM ip_reputation WHERE node_id = :node""")


def brute(store) -> dict[str, tuple]:
    with store.reading() as conn:
        return {
            r[0]: tuple(int(v) for v in r[1:]) for r in conn.execute(BRUTE, {"node": store.node_id})
        }


def stored(store) -> dict[str, tuple]:
    with store.reading() as conn:
        return {
            r[0]: tuple(int(v) for v in r[1:])
            for r in conn.execute(STORED, {"node": store.node_id})
        }


def test_reputation_counts_match_brute_force_sql_after_updates_between_batches(store):
    events = random_events(1, 1500)
    for start in range(0, 1500, 400):  # batches whose times overlap, an update after each
        store_events(store, events[start : start + 400])
        store.threats.update()
    expected = brute(store)
    assert len(expected) == 10 and stored(store) == expected
    by_ip = {t.ip: t for t in store.threats.threats(now=T0)}
    for ip, (
        first,
        last,
        _total,
        failed,
        invalid,
        auth,
        bans,
        blocks,
        accepted,
    ) in expected.items():
        t = by_ip[ip]
        assert (t.first_seen, t.last_seen, t.failed_logins, t.invalid_users, t.auth_failures,
                t.bans, t.firewall_blocks, t.accepted_logins) == (
            first, last, failed, invalid, auth, bans, blocks, accepted)  # fmt: skip


def test_updating_twice_counts_nothing_twice_and_new_events_once(store):
    store_events(store, random_events(2, 300))
    first = store.threats.update()
    assert first.events == 300
    once = stored(store)
    assert store.threats.update().events == 0 and stored(store) == once
    store_events(store, random_events(3, 200))
    assert store.threats.update().events == 200
    assert stored(store) == brute(store)
    assert store.threats.update().events == 0 and stored(store) == brute(store)


def test_an_update_rolled_back_counts_nothing_and_the_next_counts_each_event_once(store):
    store_events(store, random_events(4, 200))
    with pytest.raises(RuntimeError), store.transaction():
        store.threats.update()
        raise RuntimeError("crash before commit")
    assert stored(store) == {}
    with store.reading() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM metadata WHERE key = :k"), {"k": MARK}).scalar()
            == 0
        )
    store.threats.update()
    assert stored(store) == brute(store)


def test_rebuild_derives_the_same_rows_again(store):
    store_events(store, random_events(5, 300))
    store.threats.update()
    before, patterns = stored(store), store.threats.patterns()
    assert store.threats.rebuild().events == 300
    assert stored(store) == before and store.threats.patterns() == patterns


def test_only_a_ban_is_a_ban_not_a_restored_or_repeated_one(store):
    ip = "203.0.113.9"
    store_events(store, [event(T0, "ban", ip), event(T0 + 1, "ban_restored", ip),
                         event(T0 + 2, "already_banned", ip), event(T0 + 3, "unban", ip),
                         event(T0 + 4, "found", ip)])  # fmt: skip
    store.threats.update()
    [t] = store.threats.threats(now=T0)
    assert t.bans == 1 and t.failed_logins == 0 and stored(store)[ip][2] == 5  # total events


def test_score_follows_the_formula_and_halves_every_half_life(store):
    ip = "198.51.100.4"
    store_events(store, [event(T0 + i, "login_failed", ip, "root") for i in range(8)]
                 + [event(T0 + 8, "invalid_user", ip, "x.y"), event(T0 + 9, "ban", ip),
                    event(T0 + 9, "firewall_block", ip), event(T0 + 9, "login_accepted", ip)])  # fmt: skip
    store.threats.update()
    last = T0 + 9
    points = 8 + 1 + 10 + 0.2  # failed, invalid user, a ban, a firewall block; accepted: 0
    full = 100 * (1 - math.exp(-points / 25))
    assert base_score(points) == pytest.approx(full)

    def score(now):
        return store.threats.threats(now=now)[0].score

    assert score(last) == round(full, 1) == score(last - 100)  # never above its value then
    assert score(last + DAY) == round(full / 2, 1)
    assert score(last + 3 * DAY) == round(full / 8, 1)
    store.config.set("threats.half_life_hours", "6")
    assert score(last + DAY) == round(full / 16, 1)


def test_accepted_logins_neither_raise_nor_lower_the_score(store):
    store_events(store, [event(T0, "login_failed", "203.0.113.9", "root"),
                         event(T0, "login_failed", "203.0.113.77", "root"),
                         event(T0, "login_accepted", "203.0.113.77", "root"),
                         event(T0, "login_accepted", "192.0.2.200", "alice")])  # fmt: skip
    store.threats.update()
    scores = {t.ip: t.score for t in store.threats.threats(now=T0)}
    assert scores["203.0.113.9"] == scores["203.0.113.77"] > 0 and scores["192.0.2.200"] == 0


PRIVATE = ("10.1.2.3", "172.20.0.9", "192.168.1.1", "100.64.3.2", "127.0.0.1", "169.254.9.9",
           "::1", "fe80::1", "fe80::1%eth0", "fd00::5", "::ffff:192.168.1.7", "0.0.0.0", "::")  # fmt: skip
PUBLIC = ("203.0.113.9", "2001:db8:85a3::8a2e:370:7334", "8.8.8.8", "2a00:1450:4001::200e")


def test_private_loopback_and_link_local_addresses_score_zero(store):
    store_events(store, [event(T0, "login_failed", ip, "root") for ip in PRIVATE + PUBLIC])
    store.threats.update()
    scores = {t.ip: t.score for t in store.threats.threats(now=T0)}
    assert {ip: scores[ip] for ip in PRIVATE} == dict.fromkeys(PRIVATE, 0.0)
    assert all(scores[ip] == round(base_score(1), 1) > 0 for ip in PUBLIC)
    with store.reading() as conn:
        zero = (
            conn.execute(text("SELECT ip_address FROM ip_reputation WHERE threat_score = 0"))
            .scalars()
            .all()
        )
    assert sorted(zero) == sorted(PRIVATE)
    assert not exempt("not an address") and exempt("10.0.0.1", ())


def test_allow_listed_networks_score_zero_ipv4_and_ipv6(store):
    store_events(store, [event(T0, "login_failed", ip, "root") for ip in PUBLIC])
    store.threats.update()
    store.config.set("threats.allow", "203.0.113.0/24, 2001:db8::/32 8.8.8.8")
    scores = {t.ip: t.score for t in store.threats.threats(now=T0)}
    assert scores == {
        PUBLIC[0]: 0.0,
        PUBLIC[1]: 0.0,
        PUBLIC[2]: 0.0,
        PUBLIC[3]: round(base_score(1), 1),
    }
    assert [t.ip for t in store.threats.threats(min_score=0.1, now=T0)] == [PUBLIC[3]]


def test_an_allow_list_that_is_not_networks_is_refused(store):
    with pytest.raises(ValidationError, match="threats.allow"):
        store.config.set("threats.allow", "10.0.0.0/8, my-laptop")


def test_ipv6_addresses_are_kept_whole(store):
    ips = ("2001:db8:85a3::8a2e:370:7334", "2001:db8:85a3::1", "2001:db8::ffff:1.2.3.4")
    store_events(store, [event(T0, "login_failed", ip, "root") for ip in ips])
    store.threats.update()
    assert sorted(t.ip for t in store.threats.threats(now=T0)) == sorted(ips)


def test_threats_are_ordered_by_the_score_now_and_filtered_by_it(store):
    old, recent = "203.0.113.9", "198.51.100.4"
    store_events(store, [event(T0 + i, "login_failed", old, "root") for i in range(40)]
                 + [event(T0 + 2 * DAY + i, "login_failed", recent, "root") for i in range(10)])  # fmt: skip
    store.threats.update()
    assert [t.ip for t in store.threats.threats(now=T0 + 40)] == [old, recent]  # 40 > 10
    # Two days later the old burst's score has halved twice: below the recent one's.
    now = T0 + 2 * DAY + 10
    ranked = store.threats.threats(now=now)
    assert [t.ip for t in ranked] == [recent, old]
    everything = [t.score for t in ranked]
    for m in (0, 1, 10, 20, 25, 32.9, 33, 50, 100):
        assert [t.score for t in store.threats.threats(min_score=m, now=now)] == [
            s for s in everything if s >= m
        ], m
    assert store.threats.threats(limit=1, now=now) == ranked[:1]


def test_reputation_and_its_watermark_belong_to_their_node(tmp_path):
    db = tmp_path / "two.db"
    with open_store(db, node="edge-1") as one, open_store(db, node="edge-2") as two:
        store_events(one, [event(T0, "login_failed", "203.0.113.9", "root")])
        store_events(two, [event(T0, "ban", "203.0.113.9")] * 2)
        assert one.threats.update().events == 1
        assert [(t.failed_logins, t.bans) for t in one.threats.threats(now=T0)] == [(1, 0)]
        assert two.threats.threats(now=T0) == []
        assert two.threats.update().events == 2
        assert [(t.failed_logins, t.bans) for t in two.threats.threats(now=T0)] == [(0, 2)]
        assert [(t.failed_logins, t.bans) for t in one.threats.threats(now=T0)] == [(1, 0)]


def test_cleanup_prunes_events_reputation_and_patterns_by_age(store):
    old, recent = "203.0.113.9", "198.51.100.4"
    now = T0 + 40 * DAY
    store_events(store, [event(T0 + i, "login_failed", old, "root") for i in range(12)]
                 + [event(now - HOUR + i, "login_failed", recent, "root") for i in range(12)])  # fmt: skip
    store.threats.update()
    assert {p.signature for p in store.threats.patterns("brute_force")} == {
        f"brute_force:{old}", f"brute_force:{recent}"
    }  # fmt: skip
    deleted = store.telemetry.cleanup(now)  # events kept 30 days by default
    assert deleted["log_events"] == 12 and deleted["ip_reputation"] == 1
    assert deleted["trace_patterns"] == 1
    assert [t.ip for t in store.threats.threats(now=now)] == [recent]
    assert [p.signature for p in store.threats.patterns()] == [f"brute_force:{recent}"]
    assert store.logs.count() == 12


# -- the command


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "nk.db"
    with open_store(path) as store:
        store_events(store, [event(T0 + i, "login_failed", "203.0.113.9", "root") for i in range(5)]
                     + [event(T0, "login_failed", "2001:db8::7", "bad\x1b[31muser"),
                        event(T0 + 9, "login_accepted", "10.0.0.2", "alice")])  # fmt: skip
        # The command scores for the wall clock's now: a century's half-life keeps 2026 fresh.
        store.config.set("threats.half_life_hours", "876000")
    return str(path)


def test_cli_json_has_exactly_the_keys_with_iso_times_after_updating(db, capsys):
    assert main(["threats", "--db", db, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["ip"] for r in rows] == ["203.0.113.9", "2001:db8::7", "10.0.0.2"]
    assert list(rows[0]) == ["ip", "score", "failed_logins", "invalid_users", "bans",
                             "firewall_blocks", "accepted_logins", "first_seen", "last_seen"]  # fmt: skip
    assert rows[0]["failed_logins"] == 5 and rows[0]["first_seen"] == "2026-01-01T00:00:00Z"
    assert rows[0]["last_seen"] == "2026-01-01T00:00:04Z" and rows[2]["score"] == 0
    assert main(["threats", "--db", db, "--format", "json", "--limit", "1"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 1


def test_cli_csv_and_min_score(db, capsys):
    assert main(["threats", "--db", db, "--format", "csv", "--min-score", "0.1"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["ip", "score", "failed_logins", "invalid_users", "bans",
                       "firewall_blocks", "accepted_logins", "first_seen", "last_seen"]  # fmt: skip
    assert [r[0] for r in rows[1:]] == ["203.0.113.9", "2001:db8::7"]
    assert rows[1][2] == "5" and rows[1][7] == "2026-01-01T00:00:00Z"


def test_cli_table_shows_store_text_escaped_and_a_read_only_store_is_not_updated(db, capsys):
    assert main(["threats", "--db", db, "--read-only"]) == 0
    out, err = capsys.readouterr()
    assert out == "" and "no IP" in err  # nothing derived yet, and a read-only store stays so
    assert main(["threats", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "203.0.113.9" in out and "2001:db8::7" in out and "\x1b" not in out
    assert main(["threats", "--db", db, "--min-score", "101"]) == 1
    assert "--min-score" in capsys.readouterr().err


@pytest.mark.parametrize(
    "backend", ["sqlite-file", pytest.param("postgresql", marks=pytest.mark.postgresql)]
)
def test_two_updates_at_once_count_each_event_once(backend, request, tmp_path):
    url = str(tmp_path / "nk.db") if backend == "sqlite-file" else request.getfixturevalue("pg_url")
    with open_store(url) as one, open_store(url) as two:
        store_events(one, random_events(6, 300))
        done = []
        with one.transaction():
            assert one.threats.update().events == 300
            other = threading.Thread(target=lambda: done.append(two.threats.update()))
            other.start()
            other.join(0.5)
            assert other.is_alive()  # waits for the first to commit
        other.join(10)
        assert done[0].events == 0 and stored(one) == brute(one)
